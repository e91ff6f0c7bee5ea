// Teleop's key handling without a terminal: input chunks split into keys (arrow escape sequences
// included), keys move the tip target, a target out of reach is refused with a note.
import assert from "node:assert/strict";
import { test } from "node:test";
import { forwardKinematics } from "../../sim/kinematics.ts";
import { Jogger, keysOf } from "../../sim/jog.ts";
import { loadArm } from "../../sim/robot.ts";

const arm = loadArm();

test("keysOf splits a chunk of fast typing into keys", () => {
  assert.deepEqual(keysOf("dd\x1b[Aw\x1bOBr f+-xq"), ["x+", "x+", "y+", "y+", "y-", "z+", "hold", "z-", "coarser", "finer", "quit"]);
  assert.deepEqual(keysOf("\x1b[5~\x1b[6~\x03"), ["z+", "z-", "quit"]);
});

test("keys move the target by the step; out of reach is refused; hold clears the target", () => {
  const jog = new Jogger(arm.geometry, arm.joints);
  const q = Float64Array.of(0, 1.5, 0.08);
  const tip = forwardKinematics(arm.geometry, q);
  jog.press("x+", q);
  jog.press("x+", q);
  jog.press("z-", q);
  assert.ok(Math.abs(jog.target!.x - (tip.x + 0.02)) < 1e-12 && Math.abs(jog.target!.z - (tip.z - 0.01)) < 1e-12);
  const cmd = jog.command(q);
  assert.ok(cmd.some((v, i) => v !== q[i]), "a command toward the target");
  jog.press("finer", q);
  assert.equal(jog.step, 0.005);
  for (let i = 0; i < 200; i++) jog.press("y-", q); // walks toward the front edge, far out of reach
  assert.equal(jog.note, "out of reach");
  jog.press("hold", q);
  assert.equal(jog.target, null);
  assert.deepEqual([...jog.command(q)], [...q]);
});
