import { test } from "node:test";
import assert from "node:assert/strict";
import { SafetyFilter } from "../../src/loop/safety.ts";
import type { JointSpec } from "../../src/omnitoken/card-types.ts";

// Two joints: a revolute shoulder (±2 rad, 1 rad/s) and a prismatic lift (0..0.2 m, no velocity
// limit in the card, so the filter's default applies).
const joints: JointSpec[] = [
  { name: "shoulder", min: -2, max: 2, unit: "rad", max_velocity: 1 },
  { name: "lift", min: 0, max: 0.2, unit: "m" },
];
const make = () => new SafetyFilter({ joints, periodS: 0.1, defaultMaxVelocity: 0.5 });
const f64 = (...v: number[]) => Float64Array.from(v);

test("a finite in-limit action within the rate limit drives unchanged", () => {
  const s = make();
  const d = s.filter(f64(0.05, 0.01), [], f64(0, 0));
  assert.equal(d.kind, "drive");
  assert.deepEqual(Array.from(d.command!), [0.05, 0.01]);
});

test("NaN or Inf in the action holds the last safe command and counts the reason", () => {
  const s = make();
  s.filter(f64(0.05, 0.01), [], f64(0, 0));
  for (const bad of [NaN, Infinity, -Infinity]) {
    const d = s.filter(f64(bad, 0.02), []);
    assert.equal(d.kind, "hold");
    assert.deepEqual(d.kind === "hold" && d.reasons, ["nonfinite_action"]);
    assert.deepEqual(Array.from(d.command!), [0.05, 0.01]);
  }
  assert.equal(s.stats().byReason.nonfinite_action, 3);
  assert.equal(s.stats().held, 3);
});

test("before any command, a hold sends the measured position; with none, nothing", () => {
  const s = make();
  const d = s.filter(f64(NaN, 0), [], f64(0.3, 0.1));
  assert.deepEqual(Array.from(d.command!), [0.3, 0.1]);
  const e = make().filter(f64(NaN, 0), [], null);
  assert.equal(e.command, null);
});

test("targets beyond the joint limits are clamped to them", () => {
  const s = new SafetyFilter({ joints, periodS: 0.1, defaultMaxVelocity: Infinity });
  const d = s.filter(f64(-1.95, 0.5), [], f64(-1.9, 0.19));
  assert.equal(d.kind, "drive");
  assert.deepEqual(Array.from(d.command), [-1.95, 0.2]);
  assert.deepEqual(d.kind === "drive" && d.clamped, [1]);
});

test("a step faster than max_velocity × period is cut to the rate limit, per joint", () => {
  const s = make();
  const d = s.filter(f64(1.0, 0.2), [], f64(0, 0)); // wants +1 rad and +0.2 m in 0.1 s
  assert.equal(d.kind, "drive");
  assert.ok(Math.abs(d.command[0]! - 0.1) < 1e-12); // 1 rad/s × 0.1 s
  assert.ok(Math.abs(d.command[1]! - 0.05) < 1e-12); // default 0.5 m/s × 0.1 s
  assert.deepEqual(d.kind === "drive" && d.rateLimited, [0, 1]);
  const next = s.filter(f64(1.0, 0.2), []); // continues from the last command, not the target
  assert.ok(Math.abs(next.command![0]! - 0.2) < 1e-12);
});

test("e-stop and stale inputs hold with every reason named", () => {
  const s = make();
  s.filter(f64(0.1, 0.05), [], f64(0, 0));
  const d = s.filter(f64(0.15, 0.05), ["estop", "stale_input"]);
  assert.equal(d.kind, "hold");
  assert.deepEqual(d.kind === "hold" && d.reasons, ["estop", "stale_input"]);
  assert.deepEqual(Array.from(d.command!), [0.1, 0.05]);
  const st = s.stats();
  assert.equal(st.byReason.estop, 1);
  assert.equal(st.byReason.stale_input, 1);
});

test("no action at all holds as policy_unavailable", () => {
  const d = make().filter(null, [], f64(0, 0));
  assert.deepEqual(d.kind === "hold" && d.reasons, ["policy_unavailable"]);
});

test("an action of the wrong width is refused with both numbers", () => {
  assert.throws(() => make().filter(f64(0, 0, 0), []), /action has 3 joints, the card declares 2/);
});
