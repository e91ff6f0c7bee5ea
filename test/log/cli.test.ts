// The log commands end to end, as a person runs them: `record --bus zmq://…` records a running bus
// (a hub in this process, the recorder a separate process) until --duration; `inspect` and
// `replay` read what it wrote; bad input gets a one-line error naming it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ZmqBus } from "../../src/bus/zmq.ts";
import { openLog } from "../../src/log/reader.ts";
import { decoderFor } from "../../src/log/decode.ts";

const dir = mkdtempSync(join(tmpdir(), "omniloop-cli-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const root = join(import.meta.dirname, "../..");
const cli = (args: string[]) => spawnSync(process.execPath, ["--import", "tsx", join(root, "src/cli/main.ts"), ...args], { cwd: root, encoding: "utf8" });

test("record --bus zmq:// records a running bus; inspect and replay read the file", async () => {
  const port = 20000 + Math.floor(Math.random() * 20000) * 2;
  const url = `zmq://127.0.0.1:${port}`;
  const bus = await ZmqBus.open(url, { hub: true });
  const out = join(dir, "bus.mcap");
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(root, "src/cli/main.ts"), "record", "--bus", url, "--topics", "/joint_states,/omniloop/task", "--out", out, "--duration", "3"],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d));
  const subscribed = new Promise<void>((resolve) => child.stderr.on("data", (d: Buffer) => ((stderr += d), stderr.includes("Ctrl-C") && resolve())));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  try {
    await subscribed;
    await bus.ready();
    await new Promise((r) => setTimeout(r, 500)); // the recorder's subscription reaches the hub
    const joints = { name: "/joint_states", type: "sensor_msgs/msg/JointState" } as const;
    for (let i = 0; i < 50; i++) {
      bus.publish(joints, { header: { stamp: { sec: 1, nanosec: i }, frame_id: "" }, name: ["a"], position: Float64Array.of(i), velocity: new Float64Array(0), effort: new Float64Array(0) });
      await new Promise((r) => setTimeout(r, 10));
    }
    bus.publish({ name: "/omniloop/task", type: "std_msgs/msg/String" }, { data: "touch the red block" });
    assert.equal(await exited, 0, stderr);
  } finally {
    child.kill();
    await bus.close();
  }
  assert.match(stdout, /record: 51 messages into .*bus\.mcap/);
  const positions: number[] = [];
  for await (const m of (await openLog(out)).messages({ topics: ["/joint_states"] })) {
    const d = decoderFor(m.channel);
    assert.ok(d.ok);
    positions.push((d.decode(m.data) as { position: Float64Array }).position[0]!);
  }
  assert.deepEqual(positions, Array.from({ length: 50 }, (_, i) => i), "every message, in order");

  const inspect = cli(["inspect", out]);
  assert.equal(inspect.status, 0, inspect.stderr);
  assert.match(inspect.stdout, /closed cleanly/);
  assert.match(inspect.stdout, /\/joint_states\s+sensor_msgs\/msg\/JointState\s+cdr\s+50/);
  const replayed = cli(["replay", out, "--max", "--json"]);
  assert.equal(replayed.status, 0, replayed.stderr);
  const r = JSON.parse(replayed.stdout) as { published: number; byTopic: Record<string, number> };
  assert.deepEqual(r.byTopic, { "/joint_states": 50, "/omniloop/task": 1 });
});

test("bad input is a one-line error that names it", () => {
  const junk = join(dir, "junk.mcap");
  writeFileSync(junk, "not a log");
  const inspect = cli(["inspect", junk]);
  assert.equal(inspect.status, 2);
  assert.match(inspect.stderr, /^omniloop: inspect: .*junk\.mcap: not an MCAP file \(expected the magic bytes/m);
  assert.doesNotMatch(inspect.stderr, /\n\s+at /, "no stack trace");
  const map = join(dir, "bad-map.yaml");
  writeFileSync(map, "columns:\n  pixles: /camera/image_raw\n");
  const imp = cli(["import", junk, "--card", join(root, "sim/card.json"), "--map", map, "--out", join(dir, "x.mcap")]);
  assert.equal(imp.status, 2);
  assert.match(imp.stderr, /columns\.pixles: the card omniloop-sim-scara has no such column \(it has text, pixels, objects, action\)/);
  const rate = cli(["replay", junk, "--rate", "-1"]);
  assert.equal(rate.status, 2);
  assert.match(rate.stderr, /--rate: expected a number above 0, found "-1"/);
});
