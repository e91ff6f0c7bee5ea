// The one binary codec of omniloop (zmq frames, omnitokens in logs): a 3-byte header, then one
// msgpack value. Swapping the codec means editing this file only.
//
//   byte 0..1  magic 0xC1 0x4F — 0xC1 is the one byte msgpack never uses, so a frame cannot be
//              mistaken for a bare msgpack value
//   byte 2     frame version (1)
//   byte 3..   the value, msgpack with msgpackr's typed-array extension (ext type 0x74)
//
// Typed arrays (Float32Array, Float64Array, Int32Array, BigInt64Array, Uint8Array… every kind)
// come back as the same kind, bit-exact, NaN payloads included: msgpackr copies their bytes (in
// this machine's byte order, little-endian on every platform omniloop runs on). Plain numbers are
// float64 or msgpack integers: NaN and ±Infinity survive; a plain -0 comes back as 0 (msgpack
// integers have no sign of zero). Maps/Sets/Dates come back as themselves (msgpackr moreTypes).
import { C1, Packr } from "msgpackr";
import type { ModelCard } from "./card-types.ts";
import { omnitokenProblems } from "./token.ts";
import type { Omnitoken } from "./types.ts";

export const FRAME_VERSION = 1;
const MAGIC = [0xc1, 0x4f] as const;
const HEADER = 3;

/** A frame that is not one this build can read: wrong magic, unknown version, truncated, malformed. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FrameError";
  }
}

// useRecords off: every frame stands alone (no structure table shared between sender and
// receiver), and plain msgpack readers (Python's msgpack) see ordinary maps.
// copyBuffers: a decoded Uint8Array never aliases the frame it came from.
const packr = new Packr({ useRecords: false, moreTypes: true, copyBuffers: true, mapsAsObjects: true });

export function encodeFrame(value: unknown): Uint8Array {
  const body = packr.pack(value);
  const frame = new Uint8Array(HEADER + body.length);
  frame[0] = MAGIC[0];
  frame[1] = MAGIC[1];
  frame[2] = FRAME_VERSION;
  frame.set(body, HEADER);
  return frame;
}

export function decodeFrame(bytes: Uint8Array): unknown {
  if (!(bytes instanceof Uint8Array)) throw new FrameError(`expected a frame as bytes (Uint8Array), got ${bytes === null ? "null" : typeof bytes}`);
  if (bytes.length < HEADER + 1) throw new FrameError(`truncated frame: ${bytes.length} bytes, a frame has at least ${HEADER + 1} (header + value)`);
  if (bytes[0] !== MAGIC[0] || bytes[1] !== MAGIC[1]) {
    throw new FrameError(`not an omniloop frame: expected magic c1 4f, found ${hex(bytes[0]!)} ${hex(bytes[1]!)}`);
  }
  if (bytes[2] !== FRAME_VERSION) throw new FrameError(`frame version ${bytes[2]} is not supported (this build reads version ${FRAME_VERSION})`);
  const body = bytes.subarray(HEADER);
  let value: unknown;
  let end = -1;
  try {
    // Sequential reading stops after the first value and says where it ended, so trailing bytes
    // are found without msgpackr's own check (which JSON-stringifies the whole value first).
    packr.unpackMultiple(body, (v: unknown, _start?: number, stop?: number) => {
      value = v;
      end = stop ?? -1;
      return false;
    });
  } catch (err) {
    throw new FrameError(explain(err, body));
  }
  if (end !== body.length) throw new FrameError(`malformed frame: ${body.length - end} bytes of trailing garbage after the value (which ends at byte ${HEADER + end})`);
  if (holdsReservedByte(value)) throw new FrameError(`malformed frame: the value holds the reserved msgpack byte 0xc1`);
  return value;
}

/** An omnitoken in a frame. */
export function encodeOmnitoken(t: Omnitoken): Uint8Array {
  const problems = omnitokenProblems(t);
  if (problems.length > 0) throw new FrameError(`cannot encode: not an omnitoken: ${problems.join("; ")}`);
  return encodeFrame(t);
}

/** The omnitoken in a frame, checked to be well-formed (and to have `card`'s columns and widths, when given). */
export function decodeOmnitoken(bytes: Uint8Array, card?: ModelCard): Omnitoken {
  const value = decodeFrame(bytes);
  const problems = omnitokenProblems(value, card);
  if (problems.length > 0) throw new FrameError(`frame holds no well-formed omnitoken${card ? ` of card ${card.name}` : ""}: ${problems.join("; ")}`);
  return value as Omnitoken;
}

const hex = (b: number): string => b.toString(16).padStart(2, "0");

function explain(err: unknown, body: Uint8Array): string {
  const e = err as Error & { incomplete?: boolean };
  const message = e instanceof Error ? e.message : String(err);
  if (e.incomplete || /Unexpected end/.test(message)) return `truncated frame: the value needs more than the ${body.length} bytes after the header`;
  return `malformed frame: ${message}`;
}

/** Whether 0xC1 (msgpackr decodes it to its `C1` marker instead of failing) sits anywhere in the value. */
function holdsReservedByte(value: unknown): boolean {
  if (value === C1) return true;
  if (typeof value !== "object" || value === null || ArrayBuffer.isView(value)) return false;
  if (Array.isArray(value)) return value.some(holdsReservedByte);
  if (value instanceof Map) return [...value.values()].some(holdsReservedByte);
  return Object.values(value).some(holdsReservedByte);
}
