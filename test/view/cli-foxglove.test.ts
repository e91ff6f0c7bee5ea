// `omniloop sim --foxglove`: the command itself serves the live view. A Foxglove protocol client
// (the package's own) connects as soon as the command says where it listens, subscribes, and
// receives the camera, joint and surprise channels, decoding with their advertised schemas.
// Runs once `omniloop sim` has the flag (skips, saying so, before that).
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { test } from "node:test";
import { VIEW } from "../../src/view/view-topics.ts";
import { Viewer } from "./viewer-client.ts";

const help = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "sim", "--help"], { encoding: "utf8" }).stdout;

/** Resolves once the child's stderr has printed `text`; rejects if it exits first or in 30 s. */
function waitForLine(child: ChildProcess, exited: Promise<number | null>, text: string): Promise<void> {
  let stderr = "";
  return new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no "${text}" line within 30 s; stderr: ${stderr}`)), 30_000);
    child.stderr!.on("data", (d: string) => {
      stderr += d;
      if (stderr.includes(text)) {
        clearTimeout(t);
        resolve();
      }
    });
    void exited.then((code) => reject(new Error(`exited (${code}) before printing "${text}"; stderr: ${stderr}`)));
  });
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

test("omniloop sim --foxglove serves camera, joints and surprise to a Foxglove client", { skip: help.includes("--foxglove") ? false : "omniloop sim has no --foxglove flag yet" }, async () => {
  const port = await freePort();
  const model = help.includes("--model") ? ["--model", "test/fixtures/models/tiny/card.json"] : [];
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "sim", ...model, "--task", "reach", "--episodes", "2", "--foxglove", `127.0.0.1:${port}`], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stderr.setEncoding("utf8");
  child.stdout.resume();
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  try {
    // The command prints where it listens (`… ws://127.0.0.1:PORT …`) before the first episode.
    await waitForLine(child, exited, `ws://127.0.0.1:${port}`);
    const viewer = new Viewer(`ws://127.0.0.1:${port}`);
    try {
      await viewer.subscribe(["/camera/image_raw", "/joint_states", VIEW.surprise]);
      for (let i = 0; i < 300 && [viewer.count("/camera/image_raw"), viewer.count("/joint_states"), viewer.count(VIEW.surprise)].some((n) => n < 5); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepEqual(viewer.invalid, []);
      assert.equal(viewer.channels.get("/camera/image_raw")?.schemaName, "sensor_msgs/msg/Image");
      assert.ok(viewer.count("/camera/image_raw") >= 5, `camera frames: ${viewer.count("/camera/image_raw")}`);
      assert.ok(viewer.count("/joint_states") >= 5, `joint states: ${viewer.count("/joint_states")}`);
      assert.ok(viewer.count(VIEW.surprise) >= 5, `surprise: ${viewer.count(VIEW.surprise)}`);
    } finally {
      viewer.close();
    }
  } finally {
    child.kill("SIGINT");
    await exited;
  }
});

test("omniloop replay --foxglove serves a recorded run to a Foxglove client", async () => {
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const dir = mkdtempSync(join(tmpdir(), "omniloop-replay-view-"));
  const log = join(dir, "run.mcap");
  const rec = spawnSync(process.execPath, ["bin/omniloop.js", "sim", "--model", "test/fixtures/models/tiny/card.json", "--task", "reach", "--episodes", "1", "--record", log, "--quiet"], { encoding: "utf8" });
  assert.equal(rec.status, 0, rec.stderr);
  const port = await freePort();
  const child = spawn(process.execPath, ["bin/omniloop.js", "replay", log, "--rate", "1", "--foxglove", `127.0.0.1:${port}`, "--quiet"], { stdio: ["ignore", "pipe", "pipe"] });
  child.stderr.setEncoding("utf8");
  child.stdout.resume();
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  try {
    await waitForLine(child, exited, `ws://127.0.0.1:${port}`);
    const viewer = new Viewer(`ws://127.0.0.1:${port}`);
    try {
      await viewer.subscribe(["/camera/image_raw", "/joint_states"]);
      for (let i = 0; i < 200 && (viewer.count("/camera/image_raw") < 3 || viewer.count("/joint_states") < 3); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepEqual(viewer.invalid, []);
      assert.ok(viewer.count("/camera/image_raw") >= 3, `camera frames: ${viewer.count("/camera/image_raw")}`);
      assert.ok(viewer.count("/joint_states") >= 3, `joint states: ${viewer.count("/joint_states")}`);
    } finally {
      viewer.close();
    }
  } finally {
    child.kill("SIGINT");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
});
