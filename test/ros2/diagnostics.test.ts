// Health as diagnostic_msgs/msg/DiagnosticArray: the window's figures and the level's rules.
import assert from "node:assert/strict";
import { test } from "node:test";
import { assess, diagnosticArray, DIAGNOSTIC_LEVEL, HealthWindow, type NodeStatus } from "../../src/bus/ros2/diagnostics.ts";
import { HOLD_REASONS, type SafetyCounts } from "../../src/loop/safety.ts";
import { validateMessage } from "../../src/messages/validate.ts";

const counts = (driven: number, held: Partial<Record<(typeof HOLD_REASONS)[number], number>> = {}): SafetyCounts => ({
  driven,
  held: Object.values(held).reduce((a, b) => a + b, 0),
  byReason: Object.fromEntries(HOLD_REASONS.map((r) => [r, held[r] ?? 0])) as SafetyCounts["byReason"],
  clamped: 0,
  rateLimited: 0,
});

const status: NodeStatus = { node: "/omniloop", state: "active", model: "m", provider: "cpu", targetRateHz: 10, lastError: null, lastPolicyError: null, episode: "touch" };

test("a window: rate from ticks over seconds, step percentiles, holds since the last window, mean surprise", () => {
  const w = new HealthWindow(0n);
  w.close(0n, counts(0)); // the window starts at the loop's counts
  for (const ms of [1, 2, 3, 4, 100]) w.step(ms);
  w.surprise(["pixels", "action"], [0.5, NaN]);
  w.surprise(["pixels", "action"], [0.25, 0.1]);
  const f = w.close(1_000_000_000n, counts(8, { estop: 2 }));
  assert.equal(f.ticks, 10);
  assert.equal(f.rateHz, 10);
  assert.equal(f.stepP50Ms, 3);
  assert.equal(f.stepP99Ms, 100);
  assert.equal(f.holds.estop, 2);
  assert.deepEqual(f.surprise, { pixels: 0.375, action: 0.1 });
  const next = w.close(2_000_000_000n, counts(18, { estop: 2 }));
  assert.equal(next.holds.estop, 0, "holds count per window");
  assert.equal(next.totalHolds.estop, 2, "and in total");
  assert.ok(Number.isNaN(next.stepP50Ms));
});

test("levels: ERROR on a failed transition or an unavailable policy, WARN on holds or a slow loop, OK otherwise", () => {
  const w = new HealthWindow(0n);
  w.close(0n, counts(0));
  const fine = w.close(1_000_000_000n, counts(10));
  assert.deepEqual(assess(status, fine), { level: DIAGNOSTIC_LEVEL.OK, message: "driving at 10.0 Hz" });
  assert.deepEqual(assess({ ...status, state: "inactive" }, fine), { level: DIAGNOSTIC_LEVEL.OK, message: "inactive: not driving" });
  assert.equal(assess({ ...status, lastError: "configure failed: x" }, fine).level, DIAGNOSTIC_LEVEL.ERROR);
  const slow = w.close(2_000_000_000n, counts(17));
  assert.deepEqual(assess(status, slow), { level: DIAGNOSTIC_LEVEL.WARN, message: "loop at 7.0 Hz, below 10 Hz" });
  const gone = w.close(3_000_000_000n, counts(20, { policy_unavailable: 7 }));
  assert.deepEqual(assess({ ...status, lastPolicyError: "zmq://gpu:5560: no reply to step within 50 ms" }, gone), {
    level: DIAGNOSTIC_LEVEL.ERROR,
    message: "holding: policy unavailable (zmq://gpu:5560: no reply to step within 50 ms)",
  });
  const stale = w.close(4_000_000_000n, counts(25, { policy_unavailable: 7, stale_input: 5 }));
  assert.deepEqual(assess(status, stale), { level: DIAGNOSTIC_LEVEL.WARN, message: "holding: stale_input ×5" });
});

test("the message is a valid DiagnosticArray with every figure as a key/value", () => {
  const w = new HealthWindow(0n);
  w.close(0n, counts(0));
  w.step(2.5);
  w.surprise(["pixels"], [0.125]);
  const msg = diagnosticArray(status, w.close(1_000_000_000n, counts(10)), { sec: 5, nanosec: 6 });
  assert.deepEqual(validateMessage("diagnostic_msgs/msg/DiagnosticArray", msg), msg);
  const s = msg.status[0]!;
  assert.equal(s.name, "omniloop: loop");
  assert.equal(s.hardware_id, "/omniloop");
  const kv = Object.fromEntries(s.values.map((v) => [v.key, v.value]));
  assert.equal(kv.loop_rate_hz, "10.00");
  assert.equal(kv.step_ms_p50, "2.500");
  assert.equal(kv["holds.policy_unavailable"], "0");
  assert.equal(kv["surprise.pixels"], "0.1250");
  assert.equal(kv.lifecycle_state, "active");
});
