// The loop's priority request: it raises the nice value when allowed, never lowers the priority,
// says what happened, and refuses nonsense; likewise the real-time scheduling request.
import assert from "node:assert/strict";
import { getPriority } from "node:os";
import { test } from "node:test";
import { spawnSync } from "node:child_process";
import { raiseLoopPriority, requestRealtimeScheduling } from "../../src/loop/priority.ts";

test("asking for a priority the process already has changes nothing", () => {
  const now = getPriority();
  const r = raiseLoopPriority(Math.min(19, now + 1));
  assert.equal(r.raised, false);
  assert.equal(getPriority(), now);
  assert.match(r.message, /already/);
});

test("raising works with privilege, and is reported without it", () => {
  const before = getPriority();
  const r = raiseLoopPriority(before - 1);
  if (r.raised) {
    assert.equal(getPriority(), before - 1);
    assert.match(r.message, new RegExp(`nice ${before} → ${before - 1}`));
  } else {
    assert.equal(getPriority(), before);
    assert.match(r.message, /needs root or CAP_SYS_NICE/);
  }
});

test("a nice value outside -20..19 is refused", () => {
  assert.throws(() => raiseLoopPriority(-21), RangeError);
  assert.throws(() => raiseLoopPriority(0.5), RangeError);
});

test("SCHED_FIFO on the loop thread: granted and visible to the OS, or refused with the reason", () => {
  // In a child process: a real-time main thread must not outlive the check in the test runner.
  const code = `
    import { requestRealtimeScheduling } from "./src/loop/priority.ts";
    import { spawnSync } from "node:child_process";
    const r = requestRealtimeScheduling(10);
    const seen = spawnSync("chrt", ["-p", String(process.pid)], { encoding: "utf8" }).stdout;
    console.log(JSON.stringify({ ...r, seen }));`;
  const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  const r = JSON.parse(run.stdout) as { realtime: boolean; message: string; seen: string };
  if (r.realtime) {
    assert.match(r.seen, /SCHED_FIFO/);
    assert.match(r.seen, /priority: 10/);
    assert.match(r.message, /SCHED_FIFO priority 10/);
  } else {
    assert.match(r.message, /stays at the default policy/);
  }
});

test("without chrt, or with a priority outside 1..99, the request says so or is refused", () => {
  const r = requestRealtimeScheduling(20, "/nonexistent/chrt");
  assert.equal(r.realtime, false);
  assert.match(r.message, /\/nonexistent\/chrt could not run/);
  assert.throws(() => requestRealtimeScheduling(0), RangeError);
  assert.throws(() => requestRealtimeScheduling(100), RangeError);
});
