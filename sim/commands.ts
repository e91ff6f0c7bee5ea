// Arm commands as a ros2_control robot takes them: a forward position controller's
// std_msgs/Float64MultiArray (one position per joint, in the arm's joint order) and a joint
// trajectory controller's trajectory_msgs/JointTrajectory (joints by name, any order, points
// interpolated linearly in time from the current setpoint), plus the operator's e-stop.
import type { BoolMsg, Float64MultiArray, JointTrajectory } from "../src/messages/types.ts";

export type SimCommand =
  | { type: "std_msgs/msg/Float64MultiArray"; message: Float64MultiArray }
  | { type: "trajectory_msgs/msg/JointTrajectory"; message: JointTrajectory }
  /** `/omniloop/estop`: true holds the arm where it is and ignores commands until false. */
  | { type: "std_msgs/msg/Bool"; message: BoolMsg };

export class SimCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SimCommandError";
  }
}

/** A trajectory being followed: times relative to its start (s), positions in arm order. */
interface ActiveTrajectory {
  start: number;
  from: Float64Array;
  times: number[];
  points: Float64Array[];
}

const durationS = (d: { sec: number; nanosec: number }) => d.sec + d.nanosec / 1e9;

/** Turns commands into per-step joint targets. State: the active trajectory and the e-stop. */
export class ArmCommander {
  private trajectory: ActiveTrajectory | null = null;
  private target: Float64Array;
  estopped = false;

  constructor(private readonly jointNames: readonly string[], initial: ArrayLike<number>) {
    this.target = Float64Array.from(initial);
  }

  /** Applies a command received at time `now` (s); `measured` is the arm's current position (for
   * the e-stop's hold and the trajectory's first segment). Throws SimCommandError on bad input. */
  apply(cmd: SimCommand, now: number, measured: ArrayLike<number>): void {
    if (cmd.type === "std_msgs/msg/Bool") {
      this.estopped = cmd.message.data;
      if (this.estopped) {
        this.trajectory = null;
        this.target = Float64Array.from(measured);
      }
      return;
    }
    if (cmd.type === "std_msgs/msg/Float64MultiArray") {
      const data = this.checkPositions(cmd.message.data, "Float64MultiArray data");
      if (this.estopped) return;
      this.trajectory = null;
      this.target = data;
      return;
    }
    const traj = this.parseTrajectory(cmd.message);
    if (this.estopped) return;
    this.trajectory = { start: now, from: Float64Array.from(this.target), ...traj };
  }

  /** The joint targets at time `now` (s). */
  targetAt(now: number): Float64Array {
    const t = this.trajectory;
    if (!t) return this.target;
    const s = now - t.start;
    let prevTime = 0;
    let prev = t.from;
    for (let i = 0; i < t.points.length; i++) {
      const time = t.times[i]!;
      const p = t.points[i]!;
      if (s < time) {
        const f = (s - prevTime) / (time - prevTime);
        this.target = prev.map((v, j) => v + (p[j]! - v) * f);
        return this.target;
      }
      prevTime = time;
      prev = p;
    }
    this.target = Float64Array.from(prev);
    this.trajectory = null;
    return this.target;
  }

  private checkPositions(values: ArrayLike<number>, what: string, names: readonly string[] = this.jointNames): Float64Array {
    const n = this.jointNames.length;
    if (values.length !== n) {
      throw new SimCommandError(`${what} has ${values.length} values, expected ${n} (${this.jointNames.join(", ")})`);
    }
    const out = Float64Array.from(values);
    const bad = out.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new SimCommandError(`${what}[${bad}] (${names[bad]}) is ${out[bad]}, expected a finite number`);
    return out;
  }

  private parseTrajectory(m: JointTrajectory): { times: number[]; points: Float64Array[] } {
    const order = this.jointNames.map((name) => m.joint_names.indexOf(name));
    const missing = this.jointNames.filter((_, i) => order[i]! < 0);
    if (missing.length || m.joint_names.length !== this.jointNames.length) {
      throw new SimCommandError(
        `JointTrajectory joint_names [${m.joint_names.join(", ")}]: expected each of ${this.jointNames.join(", ")} exactly once` +
          (missing.length ? ` (missing ${missing.join(", ")})` : ""),
      );
    }
    if (m.points.length === 0) throw new SimCommandError("JointTrajectory has no points, expected at least one");
    let last = 0;
    const times: number[] = [];
    const points = m.points.map((p, i) => {
      const time = durationS(p.time_from_start);
      if (!(time >= last)) {
        throw new SimCommandError(`JointTrajectory points[${i}].time_from_start is ${time} s, expected ≥ ${last} s (non-decreasing)`);
      }
      last = time;
      times.push(time);
      const pos = this.checkPositions(p.positions, `JointTrajectory points[${i}].positions`, m.joint_names);
      return Float64Array.from(order, (k) => pos[k]!);
    });
    return { times, points };
  }
}
