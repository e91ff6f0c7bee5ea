// Raw token frames: the binary encoding of the per-tick messages — step and rollout requests and
// the prediction that answers them. A step's omnitoken is mostly one big Float32 column (a camera's
// pixels); msgpack would copy it into a map of typed-array extensions and copy it out again, and
// build a map, strings and arrays per message on both sides. A raw frame is one flat buffer: a
// fixed header, then each token's columns in the card's order as little-endian bytes. The receiver
// reads the columns as views into the frame it received (no copy), aligned by construction.
//
// Everything else (hello, start, ping, bye; welcome, pong, error) stays msgpack (wire.ts). Which
// encoding a step uses is negotiated, never assumed: every msgpack reply of this build carries
// `raw: RAW_VERSION` (the raw frame version it reads), and a client sends raw frames only to the
// server instance that advertised the version it writes; otherwise (an older server, another raw
// version, a restarted server not heard from yet) it sends msgpack, which every build reads. The
// server answers a raw request with a raw prediction and a msgpack one with msgpack. A raw frame of
// a version the receiver does not read is refused with a message naming both versions.
//
// Layout (little-endian; offsets in bytes):
//    0  u8   0xC1 (the byte msgpack never uses, as in the codec's frames)
//    1  u8   0x52 "R" (a codec frame has 0x4F here)
//    2  u8   raw frame version (RAW_VERSION)
//    3  u8   kind: 1 step, 2 rollout (requests), 3 prediction (reply)
//    4  u32  token count
//    8  f64  request id
//   16  f64  episode
//   24  f64  from (request: seq of the first token) or fed (prediction)
//   32  f64  horizon (rollout; 0 otherwise)
//   40  u32  peer id length in bytes: the client's id on a request, the server's on a reply
//   44  the peer id (UTF-8), zero-padded to a multiple of 4
//   then each token: f64 step, f64 stamp.sec, f64 stamp.nanosec, then per column of the card, in
//   the card's order: u8 origin (0 observed, 1 predicted, 2 absent), u8 type (1 Float32, 2 Int32),
//   u16 0, u32 length (elements), then length × 4 bytes of data (machine order: little-endian).
import type { ColumnSpec, ModelCard } from "../../omnitoken/card-types.ts";
import { omnitokenProblems } from "../../omnitoken/token.ts";
import type { Cell, Omnitoken, Origin } from "../../omnitoken/types.ts";
import { ProtocolError } from "./errors.ts";
import type { Reply } from "./replies.ts";
import type { Request } from "./requests.ts";
import { isCount, isId } from "./wire.ts";

/** The raw frame version this build reads and writes. */
export const RAW_VERSION = 1;

const MAGIC0 = 0xc1;
const MAGIC1 = 0x52;
const KIND_STEP = 1;
const KIND_ROLLOUT = 2;
const KIND_PREDICTION = 3;
const FIXED = 44; // header up to the peer id
const TOKEN_HEAD = 24;
const MAX_PEER_BYTES = 256; // ids are 1..64 characters (wire.ts isId)
const CELL_HEAD = 8;
const TYPE_F32 = 1;
const TYPE_I32 = 2;
const ORIGIN_CODES: readonly Origin[] = ["observed", "predicted", "absent"];

/** Typed arrays are copied in machine order: raw frames are written and read only where that is
 * little-endian (every platform omniloop runs on); elsewhere the protocol stays msgpack. */
export const RAW_SUPPORTED = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export type StepRequest = Extract<Request, { kind: "step" | "rollout" }>;
export type Prediction = Extract<Reply, { kind: "prediction" }>;

/** A raw frame that cannot be read. `address`: the request's id and client when the header could be
 * read, so the server can answer `bad_request` instead of leaving the client to its deadline. */
export class RawFrameError extends ProtocolError {
  readonly address: { id: number; client: string } | undefined;
  constructor(message: string, address?: { id: number; client: string }) {
    super(message);
    this.address = address;
  }
}

/** Whether `bytes` is a raw frame (of any version); anything else goes to the msgpack decoder. */
export function isRawFrame(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === MAGIC0 && bytes[1] === MAGIC1;
}

// ---------------------------------------------------------------------------------------- writing

/** The step or rollout as a raw frame, or undefined when a token does not have exactly the card's
 * columns (then the request goes as msgpack, and the server's checks name what is wrong). */
export function encodeRawRequest(r: StepRequest, card: ModelCard): Buffer | undefined {
  if (!RAW_SUPPORTED) return undefined;
  return encode(r.kind === "step" ? KIND_STEP : KIND_ROLLOUT, r.id, r.episode, r.from, r.kind === "rollout" ? r.horizon : 0, r.client, r.tokens, card);
}

/** The prediction as a raw frame, or undefined when a token does not fit the card (sent as msgpack). */
export function encodeRawPrediction(p: Prediction, card: ModelCard): Buffer | undefined {
  if (!RAW_SUPPORTED) return undefined;
  return encode(KIND_PREDICTION, p.id, p.episode, p.fed, 0, p.server, p.tokens, card);
}

function encode(kind: number, id: number, episode: number, seq: number, horizon: number, peer: string, tokens: readonly Omnitoken[], card: ModelCard): Buffer | undefined {
  const cols = card.columns;
  let tokenBytes = TOKEN_HEAD + cols.length * CELL_HEAD;
  for (const spec of cols) tokenBytes += 4 * width(spec);
  for (const t of tokens) if (!fits(t, cols)) return undefined;
  const peerBytes = Buffer.byteLength(peer, "utf8");
  if (peerBytes > MAX_PEER_BYTES) return undefined;
  const start = FIXED + align4(peerBytes);
  const out = Buffer.allocUnsafe(start + tokens.length * tokenBytes);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out[0] = MAGIC0;
  out[1] = MAGIC1;
  out[2] = RAW_VERSION;
  out[3] = kind;
  view.setUint32(4, tokens.length, true);
  view.setFloat64(8, id, true);
  view.setFloat64(16, episode, true);
  view.setFloat64(24, seq, true);
  view.setFloat64(32, horizon, true);
  view.setUint32(40, peerBytes, true);
  out.write(peer, FIXED, "utf8");
  out.fill(0, FIXED + peerBytes, start); // never send uninitialised memory
  let at = start;
  for (const t of tokens) {
    view.setFloat64(at, t.step, true);
    view.setFloat64(at + 8, t.stamp.sec, true);
    view.setFloat64(at + 16, t.stamp.nanosec, true);
    at += TOKEN_HEAD;
    for (const spec of cols) {
      const cell = t.columns[spec.name]!;
      const data = cell.data;
      view.setUint8(at, ORIGIN_CODES.indexOf(cell.origin));
      view.setUint8(at + 1, data instanceof Float32Array ? TYPE_F32 : TYPE_I32);
      view.setUint16(at + 2, 0, true);
      view.setUint32(at + 4, data.length, true);
      at += CELL_HEAD;
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
      at += data.byteLength;
    }
  }
  return out;
}

/** Exactly the card's columns, each of its type and width, with a known origin, and a numeric step
 * and stamp (anything else is left to msgpack and the receiver's checks). */
function fits(t: Omnitoken, cols: readonly ColumnSpec[]): boolean {
  if (typeof t !== "object" || t === null || typeof t.columns !== "object" || t.columns === null) return false;
  if (typeof t.step !== "number" || typeof t.stamp !== "object" || t.stamp === null) return false;
  if (typeof t.stamp.sec !== "number" || typeof t.stamp.nanosec !== "number") return false;
  let n = 0;
  for (const name in t.columns) if (Object.hasOwn(t.columns, name)) n += 1;
  if (n !== cols.length) return false;
  for (const spec of cols) {
    const cell = t.columns[spec.name];
    if (cell === undefined || !ORIGIN_CODES.includes(cell.origin)) return false;
    const want = spec.kind === "text" ? Int32Array : Float32Array;
    if (!(cell.data instanceof want) || cell.data.constructor !== want || cell.data.length !== width(spec)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------- reading

/** A raw step or rollout, checked as `checkRequest` checks its msgpack form. Throws RawFrameError. */
export function decodeRawRequest(bytes: Uint8Array, card: ModelCard): StepRequest {
  const f = header(bytes, "request");
  const kind = f.kind === KIND_STEP ? "step" : f.kind === KIND_ROLLOUT ? "rollout" : undefined;
  const what = kind ? `request "${kind}"` : "raw request";
  const peerLength = f.peer.length;
  if (!isId(f.peer)) throw new RawFrameError(`${what}: field "client": expected a client id (1..64 characters), found ${peerLength} characters`);
  if (!isCount(f.id)) throw new RawFrameError(`${what}: field "id": expected a non-negative integer, found ${f.id}`);
  const address = { id: f.id, client: f.peer };
  try {
    if (kind === undefined) throw new RawFrameError(`raw request: kind code ${f.kind} is not a request (1 step, 2 rollout)`);
    count(f.episode, "episode", what);
    count(f.seq, "from", what);
    if (f.count < 1) throw new RawFrameError(`${what}: field "tokens": expected an array of at least 1 omnitokens, found an array of 0`);
    const tokens = readTokens(bytes, f, card, what);
    if (kind === "step") return { kind, client: f.peer, id: f.id, episode: f.episode, from: f.seq, tokens };
    if (!(isCount(f.horizon) && f.horizon >= 1 && f.horizon <= card.context_length)) {
      throw new RawFrameError(`${what}: field "horizon": expected an integer in [1, ${card.context_length}], found ${f.horizon}`);
    }
    return { kind, client: f.peer, id: f.id, episode: f.episode, from: f.seq, tokens, horizon: f.horizon };
  } catch (err) {
    throw new RawFrameError((err as Error).message, address);
  }
}

/** A raw prediction, its tokens checked against `card` (the welcome's). Throws RawFrameError. */
export function decodeRawPrediction(bytes: Uint8Array, card: ModelCard | undefined): Prediction {
  const f = header(bytes, "reply");
  if (f.kind !== KIND_PREDICTION) throw new RawFrameError(`raw reply: kind ${f.kind} is not a reply (3 prediction)`);
  const what = `reply "prediction"`;
  if (!card) throw new RawFrameError(`${what}: a raw prediction before the welcome brought the card`);
  if (!isCount(f.id)) throw new RawFrameError(`${what}: field "id": expected a non-negative integer, found ${f.id}`);
  const peerLength = f.peer.length;
  if (!isId(f.peer)) throw new RawFrameError(`${what}: field "server": expected a server id, found ${peerLength} characters`);
  count(f.episode, "episode", what);
  count(f.seq, "fed", what);
  if (f.count < 1) throw new RawFrameError(`${what}: field "tokens": expected an array of at least 1 omnitokens, found an array of 0`);
  const tokens = readTokens(bytes, f, card, what);
  return { kind: "prediction", id: f.id, server: f.peer, episode: f.episode, fed: f.seq, tokens, raw: RAW_VERSION };
}

interface Header {
  view: DataView;
  kind: number;
  count: number;
  id: number;
  episode: number;
  seq: number;
  horizon: number;
  peer: string;
  /** Where the tokens start. */
  at: number;
}

function header(bytes: Uint8Array, what: "request" | "reply"): Header {
  if (bytes.length < FIXED) throw new RawFrameError(`raw ${what}: truncated frame: ${bytes.length} bytes, the header alone has ${FIXED}`);
  if (bytes[2] !== RAW_VERSION) {
    throw new RawFrameError(`raw ${what}: raw frame version ${bytes[2]}, this build reads raw frame version ${RAW_VERSION} (update the older side)`);
  }
  if (!RAW_SUPPORTED) throw new RawFrameError(`raw ${what}: this machine is big-endian; it speaks msgpack frames only`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const peerBytes = view.getUint32(40, true);
  const at = FIXED + align4(peerBytes);
  if (peerBytes > MAX_PEER_BYTES || at > bytes.length) throw new RawFrameError(`raw ${what}: truncated frame: a ${peerBytes}-byte peer id in ${bytes.length} bytes`);
  return {
    view,
    kind: bytes[3]!,
    count: view.getUint32(4, true),
    id: view.getFloat64(8, true),
    episode: view.getFloat64(16, true),
    seq: view.getFloat64(24, true),
    horizon: view.getFloat64(32, true),
    peer: Buffer.from(bytes.buffer, bytes.byteOffset + FIXED, peerBytes).toString("utf8"),
    at,
  };
}

function count(v: number, key: string, what: string): void {
  if (!isCount(v)) throw new RawFrameError(`${what}: field "${key}": expected a non-negative integer, found ${v}`);
}

/** The frame's tokens, each column a view into `bytes` (a copy only where a column would not be
 * 4-byte aligned in the buffer the frame arrived in). */
function readTokens(bytes: Uint8Array, f: Header, card: ModelCard, what: string): Omnitoken[] {
  const cols = card.columns;
  const { view } = f;
  let at = f.at;
  const key = (i: number) => `${what}: tokens[${i}] is not an omnitoken of card ${card.name}`;
  // Every token takes at least its head and its cells' heads: a count the frame cannot hold is
  // refused before anything is allocated for it.
  if (f.count * (TOKEN_HEAD + cols.length * CELL_HEAD) > bytes.length - at) throw truncated(bytes, what);
  const tokens: Omnitoken[] = new Array<Omnitoken>(f.count);
  for (let i = 0; i < f.count; i++) {
    if (at + TOKEN_HEAD > bytes.length) throw truncated(bytes, what);
    const step = view.getFloat64(at, true);
    const sec = view.getFloat64(at + 8, true);
    const nanosec = view.getFloat64(at + 16, true);
    at += TOKEN_HEAD;
    const columns: Record<string, Cell> = {};
    for (const spec of cols) {
      if (at + CELL_HEAD > bytes.length) throw truncated(bytes, what);
      const code = view.getUint8(at);
      const type = view.getUint8(at + 1);
      const length = view.getUint32(at + 4, true);
      at += CELL_HEAD;
      const origin = ORIGIN_CODES[code];
      if (origin === undefined) throw new RawFrameError(`${key(i)}: columns.${spec.name}.origin: expected one of ${ORIGIN_CODES.join(", ")}, got code ${code}`);
      if (type !== TYPE_F32 && type !== TYPE_I32) throw new RawFrameError(`${key(i)}: columns.${spec.name}.data: expected a Float32Array or Int32Array, got type code ${type}`);
      if (at + 4 * length > bytes.length) throw truncated(bytes, what);
      const data = type === TYPE_F32 ? view32(Float32Array, bytes, at, length) : view32(Int32Array, bytes, at, length);
      at += 4 * length;
      columns[spec.name] = { origin, data };
    }
    const token: Omnitoken = { step, stamp: { sec, nanosec }, columns };
    if (!Number.isSafeInteger(step) || step < 0 || !Number.isSafeInteger(sec) || !Number.isInteger(nanosec) || nanosec < 0 || nanosec >= 1e9 || !shaped(columns, cols)) {
      // The slow path names every problem as the msgpack checks do.
      throw new RawFrameError(`${key(i)}: ${omnitokenProblems(token, card).join("; ")}`);
    }
    tokens[i] = token;
  }
  if (at !== bytes.length) throw new RawFrameError(`${what}: malformed raw frame: ${bytes.length - at} bytes of trailing garbage after the last token (which ends at byte ${at})`);
  return tokens;
}

function shaped(columns: Record<string, Cell>, cols: readonly ColumnSpec[]): boolean {
  for (const spec of cols) {
    const data = columns[spec.name]!.data;
    if (data.constructor !== (spec.kind === "text" ? Int32Array : Float32Array) || data.length !== width(spec)) return false;
  }
  return true;
}

function view32<T extends Float32Array | Int32Array>(Kind: { new (b: ArrayBufferLike, o: number, n: number): T; new (n: number): T }, bytes: Uint8Array, at: number, length: number): T {
  const offset = bytes.byteOffset + at;
  if (offset % 4 === 0) return new Kind(bytes.buffer, offset, length);
  const copy = new Kind(length);
  new Uint8Array(copy.buffer).set(bytes.subarray(at, at + 4 * length));
  return copy;
}

function truncated(bytes: Uint8Array, what: string): RawFrameError {
  return new RawFrameError(`${what}: truncated raw frame: the tokens need more than its ${bytes.length} bytes`);
}

const width = (spec: ColumnSpec): number => (spec.kind === "text" ? 1 : spec.width);
const align4 = (n: number): number => (n + 3) & ~3;
