import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeJointState } from "../../src/encoders/joints.ts";
import { jointState } from "../../src/messages/make.ts";
import { actionSpec } from "./helpers.ts";

// Three joints with limits [-1, 2], [-1.5, 3], [-2, 4] (actionSpec's pattern).
const spec = actionSpec("float64_multi_array", ["a", "b", "c"]);
const f = Math.fround;

describe("encodeJointState", () => {
  it("looks joints up by name, in any order, ignoring extras", () => {
    const msg = jointState({ name: ["extra", "c", "a", "b"], position: [99, 4, -1, 0.75] });
    // a: -1 → -1; b: 0.75 in [-1.5, 3] → 0; c: 4 → 1.
    assert.deepEqual(Array.from(encodeJointState(msg, spec)), [-1, 0, 1]);
    // Same names, new order: the cached index must not be reused.
    const reordered = jointState({ name: ["a", "b", "c"], position: [0.5, 3, -2] });
    assert.deepEqual(Array.from(encodeJointState(reordered, spec)), [0, 1, -1]);
  });

  it("does not clamp: past a limit reads beyond ±1", () => {
    const msg = jointState({ name: ["a", "b", "c"], position: [3.5, -1.5, 1] });
    assert.deepEqual(Array.from(encodeJointState(msg, spec)), [f(2), -1, 0]);
  });

  it("writes into the caller's array", () => {
    const out = new Float32Array(3);
    assert.equal(encodeJointState(jointState({ name: ["a", "b", "c"], position: [0, 0, 0] }), spec, out), out);
  });

  it("names a missing joint, a non-finite position and a length mismatch", () => {
    assert.throws(() => encodeJointState(jointState({ name: ["a", "c"], position: [0, 0] }), spec), {
      name: "EncodeError",
      message: `cannot encode joint_state: joint "b" of the card is missing; the message has "a", "c"`,
    });
    assert.throws(() => encodeJointState(jointState({ name: [], position: [] }), spec), { message: `cannot encode joint_state: joint "a" of the card is missing; the message has no joints` });
    assert.throws(() => encodeJointState(jointState({ name: ["a", "b", "c"], position: [0, NaN, 0] }), spec), {
      message: `cannot encode joint_state: joint "b" position is NaN; expected a finite number`,
    });
    assert.throws(() => encodeJointState(jointState({ name: ["a", "b", "c"], position: [0] }), spec), {
      message: "cannot encode joint_state: it has 3 names but 1 positions; expected one position per name",
    });
  });
});
