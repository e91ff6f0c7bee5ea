// What both directions of the policy protocol share: the version, the frame codec (the project's
// one codec, src/omnitoken/codec.ts: msgpack with typed arrays, so omnitokens cross bit-exact), and
// field checks that name what is wrong. requests.ts and replies.ts each own one direction.
import { decodeFrame, encodeFrame } from "../../omnitoken/codec.ts";
import type { ModelCard } from "../../omnitoken/card-types.ts";
import { omnitokenProblems } from "../../omnitoken/token.ts";
import type { Omnitoken } from "../../omnitoken/types.ts";
import { ProtocolError } from "./errors.ts";

/** Checked on every message: a client and a server of different versions refuse each other. */
export const PROTOCOL_VERSION = 1;

export type Fields = Record<string, unknown>;

/** What a message is written to TCP in: ZeroMQ copies outgoing messages into a batch buffer of
 * this size and writes it in one go (its default, 8 KiB, splits a camera token's frame into two
 * writes, so the receiving I/O thread wakes twice per message: measured ~15 µs a round trip on
 * loopback). Larger frames go out in as few writes as their size allows. Incoming messages keep
 * ZeroMQ's default read batch: a message larger than it is read into a buffer of its own, so a
 * frame the client keeps (views of it, raw.ts) holds no more memory than its own size. */
export const OUT_BATCH_BYTES = 256 * 1024;
const ZMQ_OUT_BATCH_SIZE = 102;

/** Sets ZMQ_OUT_BATCH_SIZE (an option zeromq.js reaches through its native setter only). A libzmq
 * without it keeps its default batch, which is slower, never wrong. */
export function useOutBatch(socket: object, log: (line: string) => void): void {
  try {
    (socket as { setInt32Option(option: number, value: number): void }).setInt32Option(ZMQ_OUT_BATCH_SIZE, OUT_BATCH_BYTES);
  } catch (err) {
    log(`ZMQ_OUT_BATCH_SIZE not set (${err instanceof Error ? err.message : String(err)}); messages go out in 8 KiB writes`);
  }
}

export function encodeMessage(value: object): Uint8Array {
  return encodeFrame(value);
}

/** One frame → its fields, with the version checked. Throws ProtocolError (FrameError's text kept). */
export function decodeMessage(bytes: Uint8Array, what: string): Fields {
  let value: unknown;
  try {
    value = decodeFrame(bytes);
  } catch (err) {
    throw new ProtocolError(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw new ProtocolError(`${what}: expected a map of fields, found ${describe(value)}`);
  }
  const fields = value as Fields;
  if (fields.v !== PROTOCOL_VERSION) {
    throw new ProtocolError(`${what}: protocol version ${describe(fields.v)}, this build speaks version ${PROTOCOL_VERSION} (update the older side)`);
  }
  return fields;
}

export function describe(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "nothing";
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as { length: number }).length})`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === "object") return "a map";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v);
  return String(v);
}

export function field<T>(f: Fields, key: string, what: string, ok: (v: unknown) => v is T, expected: string): T {
  const v = f[key];
  if (!ok(v)) throw new ProtocolError(`${what}: field "${key}": expected ${expected}, found ${describe(v)}`);
  return v;
}

export const isCount = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
export const isString = (v: unknown): v is string => typeof v === "string";
export const isId = (v: unknown): v is string => typeof v === "string" && v.length >= 1 && v.length <= 64;

/** An array of omnitokens, each well-formed and of `card` when given. */
export function tokens(f: Fields, key: string, what: string, card: ModelCard | undefined, min: number): Omnitoken[] {
  const v = f[key];
  if (!Array.isArray(v) || v.length < min) throw new ProtocolError(`${what}: field "${key}": expected an array of at least ${min} omnitokens, found ${describe(v)}`);
  v.forEach((t: unknown, i) => {
    const problems = omnitokenProblems(t, card);
    if (problems.length > 0) throw new ProtocolError(`${what}: ${key}[${i}] is not an omnitoken${card ? ` of card ${card.name}` : ""}: ${problems.join("; ")}`);
  });
  return v as Omnitoken[];
}
