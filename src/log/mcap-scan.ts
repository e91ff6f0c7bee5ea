// Reads an MCAP file front to back, one top-level record at a time, without trusting its summary:
// the path for every message read, and the one that recovers a file a crash left without a
// footer. Records are framed here (opcode + length) and handed to @mcap/core's McapStreamReader
// for parsing, decompression and CRC checks. A record whose length runs past the end of the file
// is an unfinished tail ("not yet written"), not corruption. A record that fails to parse (bad
// CRC, undecompressible chunk) is reported as damaged and skipped — its neighbours still read —
// and an unknown opcode (framing lost) triggers a search for the next chunk that parses.
//
// Chunks are read, decompressed and CRC-checked ahead of time on the chunk worker threads
// (compression.ts): while the caller decodes and publishes one chunk's messages, the next few are
// being unpacked. The lookahead only follows a well-framed file; whenever the scan goes somewhere
// the lookahead did not (damage, a resync), it drops what it fetched and starts again from there.
// A worker's answer is exactly what the inline path would give, errors included.
import { McapRecordBuilder, McapStreamReader, MCAP_MAGIC, Opcode } from "@mcap/core";
import type { TypedMcapRecord, TypedMcapRecords } from "@mcap/core";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import {
  chunkWorkers, crc32, decompressHandlers, loadCodecs, offloadMinBytes, POOL_STOPPED, type ChunkWorkers, type WorkerReply,
} from "./compression.ts";
import { unpackChunk as unpackChunkRecord } from "./chunk-codec.cjs";
import { LogError } from "./errors.ts";

export interface Damage {
  offset: number;
  length: number;
  reason: string;
}

/** What a scan found about the file's integrity, filled in as it goes. */
export interface ScanReport {
  fileBytes: number;
  /** Bytes of the file that parsed as records (the rest is damaged or an unfinished tail). */
  bytesRead: number;
  sawDataEnd: boolean;
  sawFooter: boolean;
  damaged: Damage[];
  /** An unfinished record at the end of the file: where it starts and how many bytes it has. */
  truncatedTail?: { offset: number; bytes: number; expected: number };
}

export interface ScanOptions {
  /** Skip, without decompressing, chunks whose time range misses [start, end] (ns). Only safe when
   * `known` supplies every schema and channel, since chunks carry them too. */
  start?: bigint;
  end?: bigint;
  /** Schemas and channels to know before the first record (from the file's summary). */
  known?: { schemas: TypedMcapRecords["Schema"][]; channels: TypedMcapRecords["Channel"][] };
  /** Check chunk CRCs (default true). */
  validateCrcs?: boolean;
  /** Unpack chunks ahead on the worker threads (default true where they run). */
  prefetch?: boolean;
}

/** Chunks unpacked ahead at most, and their records' bytes at most. 16 MiB kept both workers busier
 * on noisy camera chunks, but measured side by side on an idle machine (three rounds each) it
 * replayed rendered-camera logs at 37–52× against 57–86× with 8 MiB, and noisy ones at 44–78×
 * against 36–42×: the rendered loss was the larger and the steadier, so 8 MiB stays. */
const AHEAD_CHUNKS = 8;
const AHEAD_BYTES = 8 * 1024 * 1024;
/** Messages at least this large come from the worker in a buffer of their own (copied there, off
 * the main thread); smaller ones are copied here. Either way a message owns its bytes. */
const PART_MIN_BYTES = 64 * 1024;

interface Ahead {
  offset: number;
  length: number;
  uncompressed: number;
  id: number;
}

/** Not an MCAP file at all (bad magic): nothing to recover. */
export class NotMcapError extends LogError {}

const HEADER = 9; // opcode u8 + length u64
const KNOWN_COMPRESSIONS = new Set(["", "zstd", "lz4"]);

export class McapScanner {
  readonly path: string;
  readonly report: ScanReport;
  #fd = -1;
  #schemas = new Map<number, TypedMcapRecords["Schema"]>();
  #channels = new Map<number, TypedMcapRecords["Channel"]>();
  #reader!: McapStreamReader;
  readonly #validate: boolean;
  #scratch = new Uint8Array(0);
  #ahead: Ahead[] = [];
  #pool: ChunkWorkers | undefined;
  /** Where the lookahead examines the next record. */
  #aheadFrom = 0;

  constructor(path: string, opts: ScanOptions = {}) {
    this.path = path;
    this.#validate = opts.validateCrcs ?? true;
    this.report = { fileBytes: 0, bytesRead: 0, sawDataEnd: false, sawFooter: false, damaged: [] };
    for (const s of opts.known?.schemas ?? []) this.#schemas.set(s.id, s);
    for (const c of opts.known?.channels ?? []) this.#channels.set(c.id, c);
    this.#opts = opts;
  }

  #opts: ScanOptions;

  /** Every record of the data section in file order, chunk contents unpacked; ends at DataEnd, at
   * the end of the file, or at an unfinished tail. */
  async *records(): AsyncGenerator<TypedMcapRecord> {
    await loadCodecs();
    // Synchronous reads: from the page cache they take less than the event-loop round trip an
    // async read costs, and the scan is the hot path of replay --max and export.
    this.#fd = openSync(this.path, "r");
    try {
      const size = fstatSync(this.#fd).size;
      this.report.fileBytes = size;
      const magic = this.#read(0, Math.min(size, MCAP_MAGIC.length));
      if (magic.length < MCAP_MAGIC.length || !MCAP_MAGIC.every((b, i) => magic[i] === b)) {
        throw new NotMcapError(
          `${this.path}: not an MCAP file (expected the magic bytes ${hex(Uint8Array.from(MCAP_MAGIC))}, found ${hex(magic) || "nothing"})`,
        );
      }
      this.#resetReader();
      let offset = MCAP_MAGIC.length;
      this.report.bytesRead = offset;
      while (offset < size) {
        if (size - offset < HEADER) {
          this.report.truncatedTail = { offset, bytes: size - offset, expected: HEADER };
          return;
        }
        const head = this.#read(offset, HEADER);
        const opcode = head[0]!;
        const length = Number(new DataView(head.buffer, head.byteOffset, HEADER).getBigUint64(1, true));
        // 0x80.. are private records (kept, skipped by readers); 0x00 and 0x10..0x7f are no record.
        if (opcode < Opcode.MIN || (opcode > Opcode.MAX && opcode < 0x80)) {
          const next = this.#resync(offset + 1, size);
          this.#damage(offset, next - offset, `unknown record opcode 0x${opcode.toString(16).padStart(2, "0")} (framing lost)`);
          offset = next;
          continue;
        }
        if (offset + HEADER + length > size) {
          this.report.truncatedTail = { offset, bytes: size - offset, expected: HEADER + length };
          return;
        }
        if (opcode === Opcode.DATA_END) {
          this.report.sawDataEnd = true;
          this.report.bytesRead += HEADER + length;
          this.report.sawFooter = this.#hasFooter(size);
          return;
        }
        const fixed = opcode === Opcode.CHUNK ? this.#read(offset + HEADER, Math.min(24, length)) : undefined;
        if (fixed && this.#skippable(fixed)) {
          offset += HEADER + length;
          this.report.bytesRead += HEADER + length;
          continue;
        }
        const workers = fixed && uncompressedSize(fixed) >= offloadMinBytes() ? this.#workers() : undefined;
        const reply = workers ? await this.#unpacked(workers, offset, HEADER + length, size) : undefined;
        if (reply) {
          const out: TypedMcapRecord[] = [];
          try {
            if (reply.kind !== "records") throw new Error(reply.kind === "error" ? reply.error : `unexpected reply ${reply.kind}`);
            this.#chunkRecords(reply.records, out, reply.parts, reply.partAt);
            this.report.bytesRead += HEADER + length;
          } catch (err) {
            this.#damage(offset, HEADER + length, (err as Error).message);
            this.#resetReader();
          }
          yield* out;
          offset += HEADER + length;
          continue;
        }
        const bytes = this.#read(offset, HEADER + length, true);
        const out: TypedMcapRecord[] = [];
        try {
          if (opcode === Opcode.CHUNK) this.#chunkRecords(unpackChunk(bytes, this.#validate), out);
          else this.#parse(bytes, out);
          this.report.bytesRead += bytes.byteLength;
        } catch (err) {
          this.#damage(offset, bytes.byteLength, (err as Error).message);
          this.#resetReader();
        }
        yield* out;
        offset += HEADER + length;
      }
    } finally {
      this.#dropAhead();
      closeSync(this.#fd);
      this.#fd = -1;
    }
  }

  #workers(): ChunkWorkers | undefined {
    if (this.#opts.prefetch === false) return undefined;
    this.#pool ??= chunkWorkers();
    return this.#pool;
  }

  /** The chunk record at `offset`, unpacked by a worker (undefined if the pool cannot take it: the
   * scan then reads it inline); keeps the lookahead topped up. */
  async #unpacked(workers: ChunkWorkers, offset: number, length: number, size: number): Promise<WorkerReply | undefined> {
    try {
      const reply = await this.#unpackedBy(workers, offset, length, size);
      if (reply.kind === "error" && reply.error === POOL_STOPPED) throw new Error(reply.error);
      return reply;
    } catch {
      this.#dropAhead();
      this.#pool = undefined;
      this.#opts = { ...this.#opts, prefetch: false };
      return undefined;
    }
  }

  async #unpackedBy(workers: ChunkWorkers, offset: number, length: number, size: number): Promise<WorkerReply> {
    if (this.#ahead[0]?.offset !== offset) {
      this.#dropAhead();
      this.#aheadFrom = offset;
    }
    this.#topUp(workers, size);
    let head = this.#ahead.shift();
    if (!head || head.offset !== offset) {
      // The lookahead stopped short of this chunk (it only follows records it can frame).
      if (head) workers.abandon(head.id);
      this.#dropAhead();
      head = { offset, length, uncompressed: 0, id: this.#submit(workers, offset, length) };
      this.#aheadFrom = offset + length;
    }
    this.#topUp(workers, size);
    return workers.wait(head.id);
  }

  /** Sends chunks after the last one sent to the workers, while the lookahead has room. */
  #topUp(workers: ChunkWorkers, size: number): void {
    let bytes = this.#ahead.reduce((n, a) => n + a.uncompressed, 0);
    while (this.#ahead.length < AHEAD_CHUNKS && bytes < AHEAD_BYTES) {
      const at = this.#aheadFrom;
      if (size - at < HEADER) return;
      const head = this.#read(at, HEADER);
      const opcode = head[0]!;
      const length = Number(new DataView(head.buffer, head.byteOffset, HEADER).getBigUint64(1, true));
      if (opcode < Opcode.MIN || (opcode > Opcode.MAX && opcode < 0x80) || opcode === Opcode.DATA_END) return;
      if (at + HEADER + length > size) return;
      if (opcode === Opcode.CHUNK) {
        const fixed = this.#read(at + HEADER, Math.min(24, length));
        const uncompressed = uncompressedSize(fixed);
        if (uncompressed < offloadMinBytes()) return; // read inline by the scan itself
        if (!this.#skippable(fixed)) {
          this.#ahead.push({ offset: at, length: HEADER + length, uncompressed, id: this.#submit(workers, at, HEADER + length) });
          bytes += uncompressed;
        }
      }
      this.#aheadFrom = at + HEADER + length;
    }
  }

  #submit(workers: ChunkWorkers, offset: number, length: number): number {
    return workers.submit({ op: "unpack", path: this.path, offset, length, validate: this.#validate, partMin: PART_MIN_BYTES });
  }

  #dropAhead(): void {
    for (const a of this.#ahead) this.#pool?.abandon(a.id);
    this.#ahead = [];
  }

  /** Records through the stream reader (it copies what it keeps, so `bytes` may be reused). */
  #parse(bytes: Uint8Array, out: TypedMcapRecord[]): void {
    this.#reader.append(bytes);
    for (let r; (r = this.#reader.nextRecord()); ) {
      if (r.type === "Schema") this.#schemas.set(r.id, r);
      else if (r.type === "Channel") this.#channels.set(r.id, r);
      out.push(r);
    }
  }

  /** A chunk's records. Messages — nearly all the bytes — are framed here with one copy of their
   * data each (the stream reader would copy twice), or none when a worker already took them out
   * (`parts`, each the data of the message record at `partAt` in `records`, which holds only that
   * record's fixed fields); schemas and channels go through #parse. */
  #chunkRecords(records: Uint8Array, out: TypedMcapRecord[], parts: readonly Uint8Array[] = [], partAt: readonly number[] = []): void {
    let part = 0;
    const v = new DataView(records.buffer, records.byteOffset, records.byteLength);
    let o = 0;
    while (o < records.byteLength) {
      if (records.byteLength - o < HEADER) throw new Error(`${records.byteLength - o} bytes remaining in chunk`);
      const op = records[o]!;
      const len = Number(v.getBigUint64(o + 1, true));
      const end = o + HEADER + len;
      if (end > records.byteLength) throw new Error(`a record in the chunk claims ${len} bytes, past the chunk's end`);
      if (op === Opcode.MESSAGE) {
        if (len < 22) throw new Error(`a message record of ${len} bytes is shorter than its fixed fields (22)`);
        const channelId = v.getUint16(o + HEADER, true);
        if (!this.#channels.has(channelId)) throw new Error(`Encountered message on channel ${channelId} without prior channel record`);
        out.push({
          type: "Message",
          channelId,
          sequence: v.getUint32(o + HEADER + 2, true),
          logTime: v.getBigUint64(o + HEADER + 6, true),
          publishTime: v.getBigUint64(o + HEADER + 14, true),
          data: partAt[part] === o ? parts[part++]! : copyOf(records, o + HEADER + 22, end),
        });
      } else if (op === Opcode.SCHEMA || op === Opcode.CHANNEL || op >= 0x80) {
        this.#parse(records.subarray(o, end), out);
      } else {
        throw new Error(`opcode 0x${op.toString(16).padStart(2, "0")} is not allowed inside a chunk`);
      }
      o = end;
    }
  }

  #skippable(chunkTimes: Uint8Array): boolean {
    const { start, end, known } = this.#opts;
    if (!known || (start === undefined && end === undefined) || chunkTimes.byteLength < 16) return false;
    const v = new DataView(chunkTimes.buffer, chunkTimes.byteOffset, 16);
    const first = v.getBigUint64(0, true);
    const last = v.getBigUint64(8, true);
    return (end !== undefined && first > end) || (start !== undefined && last < start);
  }

  #damage(offset: number, length: number, reason: string): void {
    this.report.damaged.push({ offset, length, reason });
  }

  #resetReader(): void {
    this.#reader = this.#primedReader(this.#validate);
  }

  /** A fresh stream reader that already knows every schema and channel seen so far. */
  #primedReader(validateCrcs: boolean): McapStreamReader {
    const reader = new McapStreamReader({ noMagicPrefix: true, decompressHandlers, validateCrcs });
    const b = new McapRecordBuilder();
    for (const s of this.#schemas.values()) b.writeSchema(s);
    for (const c of this.#channels.values()) b.writeChannel(c);
    if (b.length > 0) {
      reader.append(b.buffer);
      while (reader.nextRecord());
    }
    return reader;
  }

  /** The offset of the next plausible chunk record after `from` (or the end of the file): opcode
   * CHUNK, a length that fits, a known compression, and a body that decompresses. */
  #resync(from: number, size: number): number {
    const block = 1 << 20;
    for (let base = from; base < size; base += block) {
      const buf = this.#read(base, Math.min(block + HEADER + 40, size - base));
      for (let i = 0; i < Math.min(block, buf.length); i++) {
        if (buf[i] !== Opcode.CHUNK || i + HEADER + 36 > buf.length) continue;
        const v = new DataView(buf.buffer, buf.byteOffset + i);
        const length = Number(v.getBigUint64(1, true));
        const nameLen = v.getUint32(HEADER + 28, true);
        if (base + i + HEADER + length > size || nameLen > 4 || i + HEADER + 32 + nameLen > buf.length) continue;
        const name = new TextDecoder().decode(buf.subarray(i + HEADER + 32, i + HEADER + 32 + nameLen));
        if (!KNOWN_COMPRESSIONS.has(name)) continue;
        const probe = this.#primedReader(true);
        try {
          probe.append(this.#read(base + i, HEADER + length));
          while (probe.nextRecord());
          return base + i;
        } catch {
          // Not a chunk after all: the byte 0x06 inside other data. Keep looking.
          continue;
        }
      }
    }
    return size;
  }

  #hasFooter(size: number): boolean {
    if (size < MCAP_MAGIC.length * 2) return false;
    const tail = this.#read(size - MCAP_MAGIC.length, MCAP_MAGIC.length);
    return MCAP_MAGIC.every((b, i) => tail[i] === b);
  }

  /** `length` bytes at `position` (fewer at the end of the file). With `reuse`, into a buffer the
   * next reusing read overwrites: for bytes that are parsed, copied out, and dropped. */
  #read(position: number, length: number, reuse = false): Uint8Array {
    let buf: Uint8Array;
    if (reuse) {
      if (this.#scratch.length < length) this.#scratch = new Uint8Array(Math.max(length, 2 * this.#scratch.length));
      buf = this.#scratch.subarray(0, length);
    } else buf = new Uint8Array(length);
    let got = 0;
    while (got < length) {
      const bytesRead = readSync(this.#fd, buf, got, length - got, position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === length ? buf : buf.subarray(0, got);
  }
}

/** A chunk's uncompressed size from its first 24 bytes (start, end, size); 0 if they are short. */
function uncompressedSize(fixed: Uint8Array): number {
  if (fixed.byteLength < 24) return 0;
  return Number(new DataView(fixed.buffer, fixed.byteOffset, 24).getBigUint64(16, true));
}

/** A plain Uint8Array copy of [start, end): `records` may be a Node Buffer, whose slice() is a view
 * (and whose species would make any slice a Buffer). */
function copyOf(records: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  out.set(records.subarray(start, end));
  return out;
}

/** A chunk record → its records, decompressed and CRC-checked. Done here rather than by the
 * stream reader because its CRC is a JS table loop (a quarter of replay's time on camera logs);
 * ours is native (compression.ts). The records then parse as top-level records (Schema,
 * Channel, Message are valid there too). Small chunks come this way; the chunk workers do the
 * same for large ones, through the same function (chunk-codec.cjs). */
function unpackChunk(record: Uint8Array, validate: boolean): Uint8Array {
  return unpackChunkRecord(record, validate, decompressHandlers, crc32);
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}
