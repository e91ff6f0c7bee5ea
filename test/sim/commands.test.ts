// Arm commands: forward-controller arrays and joint trajectories become per-step targets; the
// e-stop holds; malformed commands are refused with a message naming what is wrong.
import assert from "node:assert/strict";
import { test } from "node:test";
import { boolMsg, duration, float64MultiArray, jointTrajectory } from "../../src/messages/make.ts";
import { ArmCommander, SimCommandError } from "../../sim/commands.ts";

const NAMES = ["shoulder_joint", "elbow_joint", "lift_joint"];
const fwd = (data: number[]) => ({ type: "std_msgs/msg/Float64MultiArray" as const, message: float64MultiArray(data) });
const traj = (names: string[], points: { positions: number[]; t: number }[]) => ({
  type: "trajectory_msgs/msg/JointTrajectory" as const,
  message: jointTrajectory({
    joint_names: names,
    points: points.map((p) => ({ positions: p.positions, time_from_start: duration(Math.floor(p.t), Math.round((p.t % 1) * 1e9)) })),
  }),
});

test("a Float64MultiArray sets the targets at once", () => {
  const c = new ArmCommander(NAMES, [0, 1, 0.1]);
  c.apply(fwd([0.2, 0.8, 0.05]), 0, [0, 1, 0.1]);
  assert.deepEqual([...c.targetAt(0)], [0.2, 0.8, 0.05]);
});

test("a JointTrajectory (joints in any order) is interpolated from the current target, then held", () => {
  const c = new ArmCommander(NAMES, [0, 0, 0.1]);
  c.apply(traj(["lift_joint", "shoulder_joint", "elbow_joint"], [{ positions: [0.05, 1, 2], t: 1 }, { positions: [0.05, 1, 0], t: 2 }]), 10, [0, 0, 0.1]);
  const at = (t: number) => [...c.targetAt(t)].map((v) => Math.round(v * 1e9) / 1e9);
  assert.deepEqual(at(10.5), [0.5, 1, 0.075]);
  assert.deepEqual(at(11), [1, 2, 0.05]);
  assert.deepEqual(at(11.5), [1, 1, 0.05]);
  assert.deepEqual(at(20), [1, 0, 0.05]);
});

test("the e-stop holds the measured position and ignores commands until released", () => {
  const c = new ArmCommander(NAMES, [0, 0, 0.1]);
  c.apply(fwd([1, 1, 0.1]), 0, [0, 0, 0.1]);
  c.apply({ type: "std_msgs/msg/Bool", message: boolMsg(true) }, 0.1, [0.3, 0.2, 0.1]);
  c.apply(fwd([2, 2, 0.1]), 0.2, [0.3, 0.2, 0.1]);
  assert.deepEqual([...c.targetAt(0.3)], [0.3, 0.2, 0.1]);
  c.apply({ type: "std_msgs/msg/Bool", message: boolMsg(false) }, 0.4, [0.3, 0.2, 0.1]);
  c.apply(fwd([2, 2, 0.1]), 0.5, [0.3, 0.2, 0.1]);
  assert.deepEqual([...c.targetAt(0.6)], [2, 2, 0.1]);
});

test("malformed commands are refused with the reason", () => {
  const c = new ArmCommander(NAMES, [0, 0, 0.1]);
  const q = [0, 0, 0.1];
  const refuses = (cmd: Parameters<ArmCommander["apply"]>[0], re: RegExp) =>
    assert.throws(() => c.apply(cmd, 0, q), (e: unknown) => e instanceof SimCommandError && re.test(e.message));
  refuses(fwd([1, 2]), /Float64MultiArray data has 2 values, expected 3 \(shoulder_joint, elbow_joint, lift_joint\)/);
  refuses(fwd([1, Number.NaN, 0]), /Float64MultiArray data\[1\] \(elbow_joint\) is NaN, expected a finite number/);
  refuses(traj(["shoulder_joint", "elbow_joint"], [{ positions: [0, 0], t: 1 }]), /joint_names \[shoulder_joint, elbow_joint\]: expected each of .* exactly once \(missing lift_joint\)/);
  refuses(traj(NAMES, []), /JointTrajectory has no points/);
  refuses(traj(NAMES, [{ positions: [0, 0, 0.1], t: 2 }, { positions: [0, 0, 0.1], t: 1 }]), /points\[1\].time_from_start is 1 s, expected ≥ 2 s/);
  refuses(traj(["lift_joint", "shoulder_joint", "elbow_joint"], [{ positions: [Infinity, 0, 0], t: 1 }]), /points\[0\].positions\[0\] \(lift_joint\) is Infinity/);
  assert.deepEqual([...c.targetAt(1)], q, "a refused command changes nothing");
});
