// The open chunk's records, framed in place: message records are written straight into one
// growable buffer (one copy of each message's bytes), schema and channel records come ready-made
// from @mcap/core's record builder, and the per-channel message index is kept alongside.
// @mcap/core's ChunkBuilder does the same job but hands its bytes out only as a copy, which for a
// camera stream is a second pass over every image. A closed chunk's records can be taken whole
// (`take()`: the buffer is handed over, to a compression worker) and a spent buffer given back
// (`recycle()`), so a camera recording reuses a few buffers instead of growing a new one per chunk.
import { Opcode } from "@mcap/core";
import type { MessageIndex } from "@mcap/core";

const MESSAGE_FIXED = 2 + 4 + 8 + 8; // channel id, sequence, log time, publish time

export class ChunkBuffer {
  #buf = new Uint8Array(1 << 16);
  readonly #spare: Uint8Array<ArrayBuffer>[] = [];
  #view = new DataView(this.#buf.buffer);
  #length = 0;
  #messages = 0;
  #indexes = new Map<number, MessageIndex>();
  start = 0n;
  end = 0n;

  get byteLength(): number {
    return this.#length;
  }

  get messageCount(): number {
    return this.#messages;
  }

  /** A view of the records (valid until the next write or reset). */
  get records(): Uint8Array {
    return this.#buf.subarray(0, this.#length);
  }

  get indexes(): Iterable<MessageIndex> {
    return this.#indexes.values();
  }

  /** Appends ready-made records (schema, channel). */
  addRecords(bytes: Uint8Array): void {
    this.#reserve(bytes.byteLength);
    this.#buf.set(bytes, this.#length);
    this.#length += bytes.byteLength;
  }

  addMessage(channelId: number, sequence: number, logTime: bigint, publishTime: bigint, data: Uint8Array): void {
    if (this.#messages === 0 || logTime < this.start) this.start = logTime;
    if (this.#messages === 0 || logTime > this.end) this.end = logTime;
    let index = this.#indexes.get(channelId);
    if (!index) this.#indexes.set(channelId, (index = { channelId, records: [] }));
    index.records.push([logTime, BigInt(this.#length)]);
    const size = 1 + 8 + MESSAGE_FIXED + data.byteLength;
    this.#reserve(size);
    const v = this.#view;
    let o = this.#length;
    v.setUint8(o, Opcode.MESSAGE);
    v.setBigUint64(o + 1, BigInt(MESSAGE_FIXED + data.byteLength), true);
    o += 9;
    v.setUint16(o, channelId, true);
    v.setUint32(o + 2, sequence, true);
    v.setBigUint64(o + 6, logTime, true);
    v.setBigUint64(o + 14, publishTime, true);
    this.#buf.set(data, o + MESSAGE_FIXED);
    this.#length += size;
    this.#messages++;
  }

  /** Hands over the records (the buffer is the caller's from now on, and starts at offset 0) and
   * resets, continuing in a recycled buffer or a new one of the same capacity. */
  take(): Uint8Array {
    const records = this.#buf.subarray(0, this.#length);
    const capacity = this.#buf.length;
    let next = this.#spare.pop();
    while (next && next.length < capacity && this.#spare.length > 0) next = this.#spare.pop();
    this.#buf = next && next.length >= capacity ? next : new Uint8Array(capacity);
    this.#view = new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.byteLength);
    this.reset();
    return records;
  }

  /** A buffer `take()` handed out, back for reuse (a few are kept). */
  recycle(buffer: Uint8Array): void {
    if (this.#spare.length < 4 && buffer.byteOffset === 0) this.#spare.push(new Uint8Array(buffer.buffer as ArrayBuffer));
  }

  reset(): void {
    this.#length = 0;
    this.#messages = 0;
    this.#indexes = new Map();
    this.start = 0n;
    this.end = 0n;
  }

  #reserve(n: number): void {
    if (this.#length + n <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#length + n, this.#buf.length * 2));
    next.set(this.#buf.subarray(0, this.#length));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }
}
