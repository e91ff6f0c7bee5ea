// sensor_msgs/JointState → the action column: the card's joints, looked up by NAME (drivers list
// joints in any order, and often more than the model uses — extras are ignored), each mapped from
// [min, max] to [-1, 1]. Not clamped: a joint past its limit reads |x| > 1, because the safety
// filter and the surprise metric need the truth, and the model should see what the robot did.
import type { ActionColumnSpec } from "../omnitoken/card-types.ts";
import type { JointState } from "../messages/types.ts";
import { EncodeError, outputArray } from "./errors.ts";
import { toUnit } from "./scale.ts";

// The message's name order rarely changes between ticks: remember the last mapping per card spec.
const lastOrder = new WeakMap<ActionColumnSpec, { names: string[]; index: Int32Array }>();

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** For each card joint, its index in `names`; EncodeError naming the first missing joint. */
export function jointIndex(names: readonly string[], spec: ActionColumnSpec): Int32Array {
  const cached = lastOrder.get(spec);
  if (cached && sameNames(cached.names, names)) return cached.index;
  const joints = spec.action.joints;
  const index = new Int32Array(joints.length);
  joints.forEach((j, k) => {
    const i = names.indexOf(j.name);
    if (i < 0) {
      const has = names.length === 0 ? "no joints" : names.map((n) => JSON.stringify(n)).join(", ");
      throw new EncodeError("joint_state", `joint ${JSON.stringify(j.name)} of the card is missing; the message has ${has}`);
    }
    index[k] = i;
  });
  lastOrder.set(spec, { names: names.slice(), index });
  return index;
}

/** Encodes the measured joint positions into the card's action column (writes into `out` if given). */
export function encodeJointState(msg: JointState, spec: ActionColumnSpec, out?: Float32Array): Float32Array {
  const joints = spec.action.joints;
  if (msg.position.length !== msg.name.length) {
    throw new EncodeError("joint_state", `it has ${msg.name.length} names but ${msg.position.length} positions; expected one position per name`);
  }
  const index = jointIndex(msg.name, spec);
  const data = outputArray("joint_state", spec.width, out);
  for (let k = 0; k < joints.length; k++) {
    const j = joints[k]!;
    const x = msg.position[index[k]!]!;
    if (!Number.isFinite(x)) throw new EncodeError("joint_state", `joint ${JSON.stringify(j.name)} position is ${x}; expected a finite number`);
    data[k] = toUnit(x, j.min, j.max);
  }
  return data;
}
