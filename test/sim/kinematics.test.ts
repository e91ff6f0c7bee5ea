// SCARA kinematics: IK inverts FK on both elbow branches, refuses what is out of reach, and the
// physics engine's arm ends up where FK says.
import assert from "node:assert/strict";
import { test } from "node:test";
import { chooseIk, forwardKinematics, inverseKinematics } from "../../sim/kinematics.ts";
import { loadArm } from "../../sim/robot.ts";
import { Rng } from "../../sim/prng.ts";

const arm = loadArm();
const g = arm.geometry;

test("IK ∘ FK is the identity on both branches (random reachable points)", () => {
  const rng = new Rng(3);
  for (let i = 0; i < 500; i++) {
    const q = Float64Array.of(rng.uniform(-2.4, 2.4), rng.uniform(0.2, 2.5) * (rng.next() < 0.5 ? -1 : 1), rng.uniform(0.005, 0.12));
    const tip = forwardKinematics(g, q);
    const sols = inverseKinematics(g, tip);
    assert.equal(sols.length, 2);
    const match = sols.find((s) => Math.abs(s[1]! - q[1]!) < 1e-9);
    assert.ok(match, `no branch matches q=${[...q]}`);
    assert.ok(Math.abs(match[0]! - q[0]!) < 1e-9 && Math.abs(match[2]! - q[2]!) < 1e-12);
    for (const s of sols) {
      const back = forwardKinematics(g, s);
      assert.ok(Math.hypot(back.x - tip.x, back.y - tip.y, back.z - tip.z) < 1e-12);
    }
  }
});

test("out of reach: no solution; chooseIk respects limits and prefers the nearer branch", () => {
  assert.deepEqual(inverseKinematics(g, { x: 0, y: g.baseY - 0.45, z: 0.05 }), []); // beyond 0.40 m
  assert.deepEqual(inverseKinematics(g, { x: 0, y: g.baseY - 0.01, z: 0.05 }), []); // inside 0.04 m
  const tip = { x: 0.1, y: 0, z: 0.05 };
  const [plus, minus] = inverseKinematics(g, tip);
  assert.deepEqual(chooseIk(g, tip, arm.joints, plus!), plus);
  assert.deepEqual(chooseIk(g, tip, arm.joints, minus!), minus);
  assert.equal(chooseIk(g, { ...tip, z: 0.5 }, arm.joints, plus!), null, "lift beyond its limit");
});
