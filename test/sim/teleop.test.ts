// Keyboard teleop driven through a real terminal: tmux runs `omniloop teleop --sim --record`, the
// test types keys with send-keys, reads the screen with capture-pane, and sees the tip follow the
// keys; quitting leaves a readable MCAP log of the session. Needs tmux (apt-get install -y tmux).
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openLog } from "../../src/log/reader.ts";

function haveTmux(): boolean {
  if (spawnSync("tmux", ["-V"]).status === 0) return true;
  // CI images may lack it; try once to install it (needs root and apt).
  spawnSync("apt-get", ["install", "-y", "-qq", "tmux"], { stdio: "ignore", timeout: 120_000 });
  return spawnSync("tmux", ["-V"]).status === 0;
}

const tmux = (...args: string[]) => execFileSync("tmux", args, { encoding: "utf8" });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Screen {
  text: string;
  tip: { x: number; y: number; z: number } | null;
}

function screen(session: string): Screen {
  const text = tmux("capture-pane", "-p", "-t", session);
  const m = /tip {4}x=([-+]\d\.\d+) y=([-+]\d\.\d+) z=([-+]\d\.\d+) m/.exec(text);
  return { text, tip: m ? { x: Number(m[1]), y: Number(m[2]), z: Number(m[3]) } : null };
}

async function until(session: string, what: string, ok: (s: Screen) => boolean, ms = 15_000): Promise<Screen> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = screen(session);
    if (ok(s)) return s;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; the screen shows:\n${s.text}`);
    await sleep(100);
  }
}

const tmuxReady = haveTmux();

test("teleop in a terminal: keys jog the tip, the screen shows the task, the session is recorded", { skip: tmuxReady ? false : "tmux is not installed and could not be installed (apt-get install -y tmux)", timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "omniloop-teleop-"));
  const log = join(dir, "demo.mcap");
  const session = `omniloop-teleop-${process.pid}`;
  const cmd = `${process.execPath} --import tsx src/cli/main.ts teleop --sim --seed 3 --task reach --record ${log}; echo EXIT=$?; sleep 60`;
  tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "24", "-c", process.cwd(), cmd);
  try {
    const start = await until(session, "the teleop screen", (s) => s.tip !== null);
    assert.match(start.text, /task: {3}(touch|reach|tap|go and touch|put the tip on) the \w+ block/);
    assert.match(start.text, /status: running/);
    assert.match(start.text, /keys: .*q: quit/);
    const t0 = start.tip!;

    for (let i = 0; i < 5; i++) tmux("send-keys", "-t", session, "d"); // +x, 10 mm each
    tmux("send-keys", "-t", session, "Up"); // +y 10 mm (an arrow key's escape sequence)
    const moved = await until(session, "the tip to move 5 cm in x", (s) => Math.abs(s.tip!.x - (t0.x + 0.05)) < 0.004 && Math.abs(s.tip!.y - (t0.y + 0.01)) < 0.004);
    assert.ok(Math.abs(moved.tip!.z - t0.z) < 0.003, "z unchanged");
    for (let i = 0; i < 3; i++) tmux("send-keys", "-t", session, "f"); // down 3 cm
    await until(session, "the tip to go down 3 cm", (s) => Math.abs(s.tip!.z - (t0.z - 0.03)) < 0.003);

    tmux("send-keys", "-t", session, "q");
    const end = await until(session, "teleop to exit", (s) => /EXIT=\d+/.test(s.text));
    assert.match(end.text, /EXIT=0/);
    assert.match(end.text, /teleop: 1 episode\(s\); \d+ messages into/);
    assert.ok(existsSync(log));

    const counts: Record<string, number> = {};
    let firstEvent = "";
    for await (const m of (await openLog(log)).messages()) {
      counts[m.channel.topic] = (counts[m.channel.topic] ?? 0) + 1;
      if (m.channel.topic === "/omniloop/episode" && !firstEvent) firstEvent = Buffer.from(m.data).toString("latin1");
    }
    for (const t of ["/joint_states", "/camera/image_raw", "/detections", "/omniloop/task", "/forward_position_controller/commands"]) {
      assert.ok((counts[t] ?? 0) > 0, `no ${t} in the log: ${JSON.stringify(counts)}`);
    }
    assert.match(firstEvent, /"event":"start","seed":3,"task":"reach"/);
  } finally {
    spawnSync("tmux", ["kill-session", "-t", session]);
    rmSync(dir, { recursive: true, force: true });
  }
});
