// Messages between omniloop and rclnodejs. Our message model is ROS 2's, field for field, with the
// array conventions rclnodejs uses by default (enableTypedArray: float64[] → Float64Array, uint8[] →
// Uint8Array, …), so a ROS message crosses as it is, checked on the way in. An omnitoken has no ROS
// type of its own: it travels as std_msgs/msg/UInt8MultiArray holding its codec frame (what the
// MCAP logs store), so rosbag2 records it and omniloop tools read it back.
import { decodeOmnitoken, encodeOmnitoken } from "../../omnitoken/codec.ts";
import type { Omnitoken } from "../../omnitoken/types.ts";
import { checkMessage } from "../payload.ts";
import { OMNITOKEN_TYPE } from "../topics.ts";
import type { BusMessageTypes, BusTypeName } from "../types.ts";

export const OMNITOKEN_ROS_TYPE = "std_msgs/msg/UInt8MultiArray";

/** std_msgs/msg/UInt8MultiArray, as rclnodejs delivers it. */
export interface UInt8MultiArray {
  layout: { dim: { label: string; size: number; stride: number }[]; data_offset: number };
  data: Uint8Array;
}

/** The ROS 2 type a bus type travels as. */
export function rosTypeOf(type: BusTypeName): string {
  return type === OMNITOKEN_TYPE ? OMNITOKEN_ROS_TYPE : type;
}

/** Our message → what rclnodejs publishes (checked first: a bad message never leaves). */
export function toRos<K extends BusTypeName>(type: K, message: BusMessageTypes[K], where: string): object {
  const checked = checkMessage(type, message, where);
  if (type === OMNITOKEN_TYPE) {
    const frame = encodeOmnitoken(checked as Omnitoken);
    const wrapped: UInt8MultiArray = { layout: { dim: [{ label: "omnitoken", size: frame.length, stride: 1 }], data_offset: 0 }, data: frame };
    return wrapped;
  }
  return checked as object;
}

/** What rclnodejs delivered → our message, checked. Throws MessageError / FrameError / OmnitokenError:
 * the bus counts the message as malformed and drops it. */
export function fromRos<K extends BusTypeName>(type: K, raw: unknown, where: string): BusMessageTypes[K] {
  if (type === OMNITOKEN_TYPE) {
    const data = (raw as Partial<UInt8MultiArray> | null)?.data;
    const bytes = data instanceof Uint8Array ? data : Array.isArray(data) ? Uint8Array.from(data as number[]) : undefined;
    if (!bytes) throw new TypeError(`${where}: expected std_msgs/msg/UInt8MultiArray with the omnitoken frame in data, found no byte array`);
    return decodeOmnitoken(bytes) as BusMessageTypes[K];
  }
  return checkMessage(type, raw, where);
}
