// The joint setpoint generator: reaches the target exactly, never overshoots, never exceeds the
// velocity and acceleration limits, and re-plans when the target moves mid-motion.
import assert from "node:assert/strict";
import { test } from "node:test";
import { advanceProfile } from "../../sim/profile.ts";

const dt = 1 / 240;

function run(target: number, lim: { vmax: number; amax: number }, steps: number, s = { x: 0, v: 0, a: 0 }) {
  const xs: number[] = [];
  for (let i = 0; i < steps; i++) {
    const v0 = s.v;
    advanceProfile(s, target, lim, dt);
    assert.ok(Math.abs(s.v) <= lim.vmax + 1e-9, `speed ${s.v} over ${lim.vmax}`);
    // Landing on the target may stop from crawl speed (≤ 2·a·dt) in one step.
    assert.ok(Math.abs(s.v - v0) <= 2 * lim.amax * dt + 1e-9, `acceleration ${(s.v - v0) / dt}`);
    xs.push(s.x);
  }
  return { xs, s };
}

test("a short move lands exactly within the triangular-profile time, without overshoot", () => {
  const lim = { vmax: 3.5, amax: 100 };
  const { xs, s } = run(0.1, lim, 24);
  assert.equal(s.x, 0.1);
  assert.equal(s.v, 0);
  assert.ok(Math.max(...xs) <= 0.1);
  const arrived = xs.indexOf(0.1) + 1;
  const ideal = 2 * Math.sqrt(0.1 / lim.amax) / dt; // 15.2 steps
  assert.ok(arrived <= Math.ceil(ideal) + 2, `arrived after ${arrived} steps, ideal ${ideal.toFixed(1)}`);
});

test("a long move cruises at vmax; a reversed target mid-motion brakes and comes back", () => {
  const lim = { vmax: 0.5, amax: 15 };
  const { xs } = run(-0.1, lim, 240);
  assert.equal(xs[xs.length - 1], -0.1);
  const s = { x: 0, v: 0, a: 0 };
  run(1, { vmax: 3, amax: 50 }, 20, s); // moving fast toward 1
  const { s: end, xs: back } = run(0, { vmax: 3, amax: 50 }, 240, s);
  assert.equal(end.x, 0);
  assert.ok(Math.min(...back) >= 0, "no overshoot past the new target");
});
