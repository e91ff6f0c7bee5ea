import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { actionToCommand, commandToAction, denormaliseAction, normaliseAction } from "../../src/encoders/command.ts";
import { validateMessage } from "../../src/messages/validate.ts";
import type { CommandMode } from "../../src/omnitoken/card-types.ts";
import { actionSpec, prng } from "./helpers.ts";

const stamp = { sec: 100, nanosec: 5 };
const MODES: CommandMode[] = ["joint_trajectory", "float64_multi_array", "twist"];

function randomAction(seed: number, n: number): Float32Array {
  const rand = prng(seed);
  return Float32Array.from({ length: n }, () => rand() * 2 - 1);
}

describe("normaliseAction / denormaliseAction", () => {
  const spec = actionSpec(); // 7 joints, limits [-1 - 0.5i, 2 + i]

  it("maps limits to ±1 and back", () => {
    const lo = spec.action.joints.map((j) => j.min);
    const hi = spec.action.joints.map((j) => j.max);
    assert.deepEqual(Array.from(normaliseAction(lo, spec)), new Array(7).fill(-1));
    assert.deepEqual(Array.from(normaliseAction(hi, spec)), new Array(7).fill(1));
    assert.deepEqual(Array.from(denormaliseAction(new Float32Array(7).fill(-1), spec)), lo);
    assert.deepEqual(Array.from(denormaliseAction(new Float32Array(7).fill(1), spec)), hi);
  });

  it("round-trips: normalise ∘ denormalise is the identity on float32 actions", () => {
    for (let seed = 1; seed <= 50; seed++) {
      const a = randomAction(seed, 7);
      const back = normaliseAction(denormaliseAction(a, spec), spec);
      for (let k = 0; k < 7; k++) assert.ok(Math.abs(back[k]! - a[k]!) <= 1e-7, `seed ${seed} joint ${k}: ${back[k]} vs ${a[k]}`);
    }
  });

  it("does not clamp", () => {
    assert.equal(denormaliseAction(Float32Array.of(2, 0, 0, 0, 0, 0, 0), spec)[0], 3.5);
  });

  it("rejects NaN/Inf and a wrong length, naming the joint", () => {
    assert.throws(() => denormaliseAction(Float32Array.of(0, 0, NaN, 0, 0, 0, 0), spec), { name: "EncodeError", message: `cannot encode action: joint "lift" is NaN; expected a finite number` });
    assert.throws(() => normaliseAction([0, Infinity, 0, 0, 0, 0, 0], spec), { message: `cannot encode joint values: joint "elbow" is Infinity; expected a finite number` });
    assert.throws(() => denormaliseAction(new Float32Array(6), spec), {
      message: "cannot encode action: it has 6 values, the card's action column has 7 joints (shoulder, elbow, lift, wrist, j5, j6, gripper)",
    });
  });
});

describe("actionToCommand", () => {
  for (const mode of MODES) {
    it(`${mode}: a valid ROS message that commandToAction turns back into the action`, () => {
      const spec = actionSpec(mode);
      for (let seed = 1; seed <= 20; seed++) {
        const a = randomAction(seed, 7);
        const cmd = actionToCommand(a, spec, stamp, { controlRateHz: 10 });
        validateMessage(cmd.type, cmd.message);
        const back = commandToAction(cmd, spec);
        const joints = mode === "twist" ? [0, 1, 2] : [0, 1, 2, 3, 4, 5, 6]; // twist carries only its mapped joints
        for (const k of joints) assert.ok(Math.abs(back[k]! - a[k]!) <= 1e-7, `seed ${seed} joint ${k}: ${back[k]} vs ${a[k]}`);
      }
    });
  }

  it("joint_trajectory: one point, one control period ahead, stamped", () => {
    const spec = actionSpec("joint_trajectory", ["a", "b"]);
    const cmd = actionToCommand(Float32Array.of(-1, 1), spec, stamp, { controlRateHz: 30 });
    assert.equal(cmd.type, "trajectory_msgs/msg/JointTrajectory");
    if (cmd.type !== "trajectory_msgs/msg/JointTrajectory") return;
    assert.deepEqual(cmd.message.header, { stamp, frame_id: "" });
    assert.deepEqual(cmd.message.joint_names, ["a", "b"]);
    assert.equal(cmd.message.points.length, 1);
    assert.deepEqual(Array.from(cmd.message.points[0]!.positions), [-1, 3]);
    assert.deepEqual(cmd.message.points[0]!.time_from_start, { sec: 0, nanosec: 33_333_333 });
    assert.throws(() => actionToCommand(Float32Array.of(0, 0), spec, stamp, { controlRateHz: 0 }), { message: "cannot encode action: control rate 0 Hz; expected a positive number (the card's control_rate_hz)" });
  });

  it("float64_multi_array: one dim labelled joints", () => {
    const cmd = actionToCommand(Float32Array.of(0, 0), actionSpec("float64_multi_array", ["a", "b"]), stamp, { controlRateHz: 10 });
    assert.deepEqual(cmd, {
      type: "std_msgs/msg/Float64MultiArray",
      message: { layout: { dim: [{ label: "joints", size: 2, stride: 2 }], data_offset: 0 }, data: Float64Array.of(0.5, 0.75) },
    });
  });

  it("twist: fields by twist_map, null → 0", () => {
    // twist_map: linear.x ← j0, linear.y ← j1, angular.z ← j2.
    const cmd = actionToCommand(Float32Array.of(1, -1, 0), actionSpec("twist", ["vx", "vy", "wz"]), stamp, { controlRateHz: 10 });
    assert.deepEqual(cmd, { type: "geometry_msgs/msg/Twist", message: { linear: { x: 2, y: -1.5, z: 0 }, angular: { x: 0, y: 0, z: 1 } } });
    const bad = actionSpec("twist", ["vx", "vy", "wz"]);
    bad.action.command.twist_map = ["vx", null, null, null, null, "nope"];
    assert.throws(() => actionToCommand(Float32Array.of(0, 0, 0), bad, stamp, { controlRateHz: 10 }), { message: `cannot encode action: twist_map[5] names joint "nope", which the card's action column does not have` });
  });

  it("refuses NaN in the action", () => {
    assert.throws(() => actionToCommand(Float32Array.of(NaN, 0), actionSpec("float64_multi_array", ["a", "b"]), stamp, { controlRateHz: 10 }), { message: `cannot encode action: joint "a" is NaN; expected a finite number` });
  });
});
