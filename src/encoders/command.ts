// The action column → a robot command, per the card's command mode:
//   joint_trajectory     trajectory_msgs/JointTrajectory with one point, reached one control period
//                        after the stamp (1 / the card's control_rate_hz);
//   float64_multi_array  std_msgs/Float64MultiArray, one dim labelled "joints" (ros2_control's
//                        forward_position_controller), values in card joint order;
//   twist                geometry_msgs/Twist, each field taken from the joint twist_map names
//                        (null → 0).
// Values are denormalised from [-1, 1] to each joint's [min, max] without clamping: limits, rates
// and e-stop are the safety filter's job, and it needs to see what the model asked for.
import type { ActionColumnSpec } from "../omnitoken/card-types.ts";
import type { Float64MultiArray, JointTrajectory, Time, Twist } from "../messages/types.ts";
import { EncodeError, outputArray } from "./errors.ts";
import { fromUnit, toUnit } from "./scale.ts";

export type ActionCommand =
  | { type: "trajectory_msgs/msg/JointTrajectory"; message: JointTrajectory }
  | { type: "std_msgs/msg/Float64MultiArray"; message: Float64MultiArray }
  | { type: "geometry_msgs/msg/Twist"; message: Twist };

function checkLength(input: string, length: number, spec: ActionColumnSpec): void {
  if (length !== spec.action.joints.length) {
    throw new EncodeError(input, `it has ${length} values, the card's action column has ${spec.action.joints.length} joints (${spec.action.joints.map((j) => j.name).join(", ")})`);
  }
}

function checkFinite(input: string, v: number, joint: string): void {
  if (!Number.isFinite(v)) throw new EncodeError(input, `joint ${JSON.stringify(joint)} is ${v}; expected a finite number`);
}

/** [-1, 1] per joint → joint units (rad, m, …), in card joint order. NaN/±Inf → EncodeError. */
export function denormaliseAction(action: ArrayLike<number>, spec: ActionColumnSpec, out?: Float64Array): Float64Array {
  checkLength("action", action.length, spec);
  const joints = spec.action.joints;
  const values = out ?? new Float64Array(joints.length);
  for (let k = 0; k < joints.length; k++) {
    const j = joints[k]!;
    checkFinite("action", action[k]!, j.name);
    values[k] = fromUnit(action[k]!, j.min, j.max);
  }
  return values;
}

/** Joint units, in card joint order → [-1, 1] (the inverse of denormaliseAction). */
export function normaliseAction(values: ArrayLike<number>, spec: ActionColumnSpec, out?: Float32Array): Float32Array {
  checkLength("joint values", values.length, spec);
  const joints = spec.action.joints;
  const action = outputArray("joint values", spec.width, out);
  for (let k = 0; k < joints.length; k++) {
    const j = joints[k]!;
    checkFinite("joint values", values[k]!, j.name);
    action[k] = toUnit(values[k]!, j.min, j.max);
  }
  return action;
}

export interface CommandOptions {
  /** The card's control_rate_hz: a trajectory point is due one period after the stamp. */
  controlRateHz: number;
}

/** The command message for `action` in the card's command mode, stamped `stamp`. */
export function actionToCommand(action: ArrayLike<number>, spec: ActionColumnSpec, stamp: Time, options: CommandOptions): ActionCommand {
  const values = denormaliseAction(action, spec);
  const joints = spec.action.joints;
  const { mode, twist_map } = spec.action.command;
  const header = { stamp: { sec: stamp.sec, nanosec: stamp.nanosec }, frame_id: "" };
  switch (mode) {
    case "joint_trajectory": {
      const rate = options.controlRateHz;
      if (!(rate > 0 && Number.isFinite(rate))) throw new EncodeError("action", `control rate ${rate} Hz; expected a positive number (the card's control_rate_hz)`);
      const periodNs = Math.round(1e9 / rate);
      const empty = new Float64Array(0);
      return {
        type: "trajectory_msgs/msg/JointTrajectory",
        message: {
          header,
          joint_names: joints.map((j) => j.name),
          points: [
            {
              positions: values,
              velocities: empty,
              accelerations: empty,
              effort: empty,
              time_from_start: { sec: Math.floor(periodNs / 1e9), nanosec: periodNs % 1e9 },
            },
          ],
        },
      };
    }
    case "float64_multi_array":
      return {
        type: "std_msgs/msg/Float64MultiArray",
        message: { layout: { dim: [{ label: "joints", size: values.length, stride: values.length }], data_offset: 0 }, data: values },
      };
    case "twist": {
      if (!twist_map || twist_map.length !== 6) {
        throw new EncodeError("action", `command mode twist needs a twist_map of 6 entries (linear.x/y/z, angular.x/y/z), the card has ${twist_map ? twist_map.length : "none"}`);
      }
      const field = (k: number): number => {
        const name = twist_map[k];
        if (name === null || name === undefined) return 0;
        const i = joints.findIndex((j) => j.name === name);
        if (i < 0) throw new EncodeError("action", `twist_map[${k}] names joint ${JSON.stringify(name)}, which the card's action column does not have`);
        return values[i]!;
      };
      return {
        type: "geometry_msgs/msg/Twist",
        message: { linear: { x: field(0), y: field(1), z: field(2) }, angular: { x: field(3), y: field(4), z: field(5) } },
      };
    }
    default: {
      const never: never = mode;
      throw new EncodeError("action", `unknown command mode ${JSON.stringify(never)}`);
    }
  }
}

/** The inverse, for replay, scoring and datasets: a command message back to the action column
 * (a trajectory's last point is its goal; twist fields no joint maps to are ignored). */
export function commandToAction(command: ActionCommand, spec: ActionColumnSpec, out?: Float32Array): Float32Array {
  const joints = spec.action.joints;
  switch (command.type) {
    case "std_msgs/msg/Float64MultiArray":
      return normaliseAction(command.message.data, spec, out);
    case "trajectory_msgs/msg/JointTrajectory": {
      const { joint_names, points } = command.message;
      const last = points[points.length - 1];
      if (!last) throw new EncodeError("joint trajectory", "it has no points");
      if (last.positions.length !== joint_names.length) {
        throw new EncodeError("joint trajectory", `its last point has ${last.positions.length} positions for ${joint_names.length} joints`);
      }
      const values = joints.map((j) => {
        const i = joint_names.indexOf(j.name);
        if (i < 0) throw new EncodeError("joint trajectory", `joint ${JSON.stringify(j.name)} of the card is missing; it has ${joint_names.join(", ")}`);
        return last.positions[i]!;
      });
      return normaliseAction(values, spec, out);
    }
    case "geometry_msgs/msg/Twist": {
      const { linear, angular } = command.message;
      const fields = [linear.x, linear.y, linear.z, angular.x, angular.y, angular.z];
      const map = spec.action.command.twist_map ?? [];
      // Joints no twist field maps to read as the middle of their range (normalised 0).
      const values = joints.map((j) => {
        const k = map.indexOf(j.name);
        return k < 0 ? (j.min + j.max) / 2 : fields[k]!;
      });
      return normaliseAction(values, spec, out);
    }
  }
}
