// The ZeroMQ bus's wire format, one multipart message per bus message:
//   [0] topic name, UTF-8, then NUL   — subscriptions are the exact bytes "name\0", so "/a" never
//                                        matches "/ab"; a first byte NUL marks a control frame
//   [1] message type name, UTF-8      — "sensor_msgs/msg/JointState", "omniloop/msg/Omnitoken"
//   [2] 17 bytes: protocol version (u8 = 1), publisher id (8 random bytes), sequence (u64 BE)
//   [3] the payload: one codec frame (src/omnitoken/codec.ts)
// The sequence counts per publisher and topic from 0, so a subscriber sees a gap as dropped
// messages. Pure functions: no socket here.

export const BUS_PROTOCOL_VERSION = 1;
export const HEADER_BYTES = 17;
export const PUBLISHER_ID_BYTES = 8;

export type ParsedFrame =
  | { kind: "message"; topic: string; type: string; publisher: string; seq: number; payload: Uint8Array }
  /** A bus's own probe coming back (`ready()`), never delivered to subscribers. */
  | { kind: "control"; name: string }
  /** `topic` is what the first part names, when it names one. */
  | { kind: "malformed"; topic: string | undefined; reason: string };

export function topicPart(name: string): Buffer {
  return Buffer.from(`${name}\0`, "utf8");
}

export function controlPart(name: string): Buffer {
  return Buffer.from(`\0${name}\0`, "utf8");
}

export function encodeHeader(publisher: Uint8Array, seq: number): Buffer {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header[0] = BUS_PROTOCOL_VERSION;
  header.set(publisher.subarray(0, PUBLISHER_ID_BYTES), 1);
  header.writeBigUInt64BE(BigInt(seq), 1 + PUBLISHER_ID_BYTES);
  return header;
}

export function parseFrame(parts: readonly Buffer[]): ParsedFrame {
  const first = parts[0];
  if (!first || first.length === 0) return { kind: "malformed", topic: undefined, reason: "empty first part (expected a topic name)" };
  const nul = first.indexOf(0);
  if (nul === 0) {
    const end = first.indexOf(0, 1);
    return { kind: "control", name: first.toString("utf8", 1, end < 0 ? first.length : end) };
  }
  if (nul < 0) return { kind: "malformed", topic: undefined, reason: "first part has no NUL after the topic name" };
  const topic = first.toString("utf8", 0, nul);
  if (nul !== first.length - 1) {
    return { kind: "malformed", topic, reason: `first part: expected the topic name then NUL, found ${first.length - nul - 1} bytes after the NUL` };
  }
  if (parts.length !== 4) {
    return { kind: "malformed", topic, reason: `expected 4 parts [topic, type, publisher+sequence, payload], found ${parts.length}` };
  }
  const header = parts[2]!;
  if (header.length !== HEADER_BYTES) {
    return { kind: "malformed", topic, reason: `part 3 (publisher+sequence): expected ${HEADER_BYTES} bytes, found ${header.length}` };
  }
  if (header[0] !== BUS_PROTOCOL_VERSION) {
    return { kind: "malformed", topic, reason: `bus protocol version ${header[0]} is not supported (this build speaks version ${BUS_PROTOCOL_VERSION})` };
  }
  return {
    kind: "message",
    topic,
    type: parts[1]!.toString("utf8"),
    publisher: header.toString("hex", 1, 1 + PUBLISHER_ID_BYTES),
    seq: Number(header.readBigUInt64BE(1 + PUBLISHER_ID_BYTES)),
    payload: parts[3]!,
  };
}
