// A chunked MCAP writer built from @mcap/core's record and chunk builders. It exists beside
// @mcap/core's McapWriter for one reason: that writer closes a chunk only when it is full, and
// keeps `#finalizeChunk` private, so a quiet stream could sit unwritten for minutes. Crash safety
// needs `flush()` — close the open chunk now — so a killed recorder loses at most the open chunk.
// Writes are synchronous: once `flush()` or `end()` returns, every byte is the kernel's, and a
// SIGKILL cannot take them back. With an `offload`, a chunk that fills up is compressed on a
// worker thread while messages go on into the next one. Into a file sink the worker writes the
// chunk itself, in its turn (chunks reach the file in the order they were closed, each whole
// before the next starts, so a crash still leaves a clean prefix); into any other sink the
// finished chunks are written, in order, by the next call that finds them done (a write,
// `poll()`, `flush()`). At most `maxInFlight` chunks are ever outstanding — past that a write
// waits for the oldest.
import { McapRecordBuilder, Opcode } from "@mcap/core";
import type { ChunkIndex, MessageIndex, MetadataIndex, Schema, Channel, Statistics, SummaryOffset } from "@mcap/core";
import { closeSync, openSync, writeSync } from "node:fs";
import { crc32 as zlibCrc32 } from "node:zlib";
import { ChunkBuffer } from "./chunk-buffer.ts";
import { crc32 as chunkCrc32, type ChunkOffload, type ChunkWrite, type CompressedChunk, type WrittenChunk } from "./compression.ts";

/** Where the bytes go; synchronous so that "written" means handed to the kernel. */
export interface ByteSink {
  /** Appends `data`. */
  write(data: Uint8Array): void;
  close(): void;
  /** A file sink's descriptor: compression workers may then append chunks to it themselves, with
   * positional writes, and report them through `skip`. */
  readonly fd?: number;
  /** `bytes` were appended through `fd` by someone else. */
  skip?(bytes: number): void;
}

/** A file opened for writing (truncated if it exists). Every write is positional, so that worker
 * threads can append through the same descriptor. */
export function fileSink(path: string): ByteSink {
  const fd = openSync(path, "w");
  let position = 0;
  return {
    fd,
    write(data) {
      let off = 0;
      while (off < data.byteLength) off += writeSync(fd, data, off, data.byteLength - off, position + off);
      position += data.byteLength;
    },
    skip(bytes) {
      position += bytes;
    },
    close() {
      closeSync(fd);
    },
  };
}

// zlib.crc32 (Node ≥ 20.15) is native and ~10× faster than a JS table; where it is missing the
// CRC fields are written as 0, which MCAP defines as "not computed".
const utf8 = new TextEncoder();
const crc32: ((data: Uint8Array, value?: number) => number) | undefined =
  typeof zlibCrc32 === "function" ? zlibCrc32 : undefined;

export interface ChunkedMcapWriterOptions {
  sink: ByteSink;
  profile: string; // "ros2" for rosbag2-compatible logs
  library: string;
  /** Close a chunk once its uncompressed records pass this many bytes. */
  chunkSize: number;
  compressChunk?: (data: Uint8Array) => { compression: string; compressedData: Uint8Array };
  /** Compress chunks of at least `offload.minBytes` on worker threads (the same compression as
   * `compressChunk`, which still does the small ones). */
  offload?: ChunkOffload;
  /** Chunks at most in compression at once (default 4). */
  maxInFlight?: number;
}

/** A closed chunk on its way to the file: compressed already, or a worker's ticket. */
interface ClosedChunk {
  ticket?: number;
  done?: CompressedChunk;
  start: bigint;
  end: bigint;
  uncompressedSize: number;
  indexes: MessageIndex[];
  submittedAt: bigint;
  /** When a worker writes it: its message index records' offsets within `indexBytes`. */
  indexBytes?: Uint8Array;
  indexOffsets?: Map<number, bigint>;
}

export class ChunkedMcapWriter {
  readonly #sink: ByteSink;
  readonly #opts: ChunkedMcapWriterOptions;
  readonly #records = new McapRecordBuilder();
  readonly #chunk = new ChunkBuffer();
  readonly #schemas = new Map<number, Schema>();
  readonly #channels = new Map<number, Channel>();
  readonly #writtenSchemas = new Set<number>();
  readonly #writtenChannels = new Set<number>();
  readonly #chunkIndexes: ChunkIndex[] = [];
  readonly #metadataIndexes: MetadataIndex[] = [];
  readonly #stats: Statistics = {
    messageCount: 0n,
    schemaCount: 0,
    channelCount: 0,
    attachmentCount: 0,
    metadataCount: 0,
    chunkCount: 0,
    messageStartTime: 0n,
    messageEndTime: 0n,
    channelMessageCounts: new Map(),
  };
  readonly #inFlight: ClosedChunk[] = [];
  /** Shared with the workers that write chunks: the turn (Int32 at 0), the position (BigInt64 at 8). */
  readonly #order = new SharedArrayBuffer(16);
  readonly #sharedPosition = new BigInt64Array(this.#order, 8, 1);
  #seq = 0;
  #position = 0n;
  #ended = false;

  constructor(opts: ChunkedMcapWriterOptions) {
    this.#opts = opts;
    this.#sink = opts.sink;
    this.#records.writeMagic();
    this.#records.writeHeader({ profile: opts.profile, library: opts.library });
    this.#emit();
  }

  /** Bytes handed to the sink so far. */
  get bytesWritten(): number {
    return Number(this.#position);
  }

  /** Messages waiting in the open chunk (lost if the process dies now). */
  get pendingMessages(): number {
    return this.#chunk.messageCount;
  }

  /** Closed chunks not yet written (being compressed on a worker). */
  get chunksInFlight(): number {
    return this.#inFlight.length;
  }

  /** How long the oldest chunk in compression has been there, ms (0 if none). */
  get oldestInFlightMs(): number {
    const first = this.#inFlight[0];
    return first ? Number(process.hrtime.bigint() - first.submittedAt) / 1e6 : 0;
  }

  get messageCount(): number {
    return Number(this.#stats.messageCount);
  }

  addSchema(name: string, encoding: string, data: Uint8Array): number {
    const id = this.#schemas.size + 1; // 0 means "no schema" in MCAP
    this.#schemas.set(id, { id, name, encoding, data });
    this.#stats.schemaCount++;
    return id;
  }

  addChannel(topic: string, schemaId: number, messageEncoding: string, metadata = new Map<string, string>()): number {
    const id = this.#channels.size;
    this.#channels.set(id, { id, schemaId, topic, messageEncoding, metadata });
    this.#stats.channelCount++;
    return id;
  }

  addMessage(channelId: number, sequence: number, logTime: bigint, publishTime: bigint, data: Uint8Array): void {
    if (this.#ended) throw new Error("ChunkedMcapWriter: addMessage after end()");
    const channel = this.#channels.get(channelId);
    if (!channel) throw new Error(`ChunkedMcapWriter: no channel ${channelId}`);
    if (!this.#writtenChannels.has(channelId)) {
      // Schema and channel go into the chunk that first uses them, so a reader that scans the file
      // from the start (crash recovery) meets them before their first message.
      const b = new McapRecordBuilder();
      if (channel.schemaId !== 0 && !this.#writtenSchemas.has(channel.schemaId)) {
        b.writeSchema(this.#schemas.get(channel.schemaId)!);
        this.#writtenSchemas.add(channel.schemaId);
      }
      b.writeChannel(channel);
      this.#chunk.addRecords(b.buffer);
      this.#writtenChannels.add(channelId);
    }
    const s = this.#stats;
    if (s.messageCount === 0n || logTime < s.messageStartTime) s.messageStartTime = logTime;
    if (s.messageCount === 0n || logTime > s.messageEndTime) s.messageEndTime = logTime;
    s.messageCount++;
    s.channelMessageCounts.set(channelId, (s.channelMessageCounts.get(channelId) ?? 0n) + 1n);
    this.#chunk.addMessage(channelId, sequence, logTime, publishTime, data);
    if (this.#chunk.byteLength >= this.#opts.chunkSize) {
      const offload = this.#opts.offload;
      if (offload && this.#chunk.byteLength >= offload.minBytes) {
        this.#submit(offload);
        // Write what is done; wait for the oldest only when too many are outstanding.
        this.#drain(false);
        while (this.#inFlight.length > (this.#opts.maxInFlight ?? 4)) this.#writeHead(true);
      } else this.flush();
    }
  }

  /** Writes the chunks that workers have finished (in order), without waiting. */
  poll(): void {
    this.#drain(false);
  }

  /** Waits for every closed chunk and writes it (the open one stays open). */
  flushClosed(): void {
    this.#drain(true);
  }

  /** A metadata record (name → string map), written at once outside any chunk. */
  addMetadata(name: string, metadata: Map<string, string>): void {
    this.#drain(true); // after every chunk already closed, in file order
    const offset = this.#position;
    const length = this.#records.writeMetadata({ name, metadata });
    this.#metadataIndexes.push({ offset, length, name });
    this.#stats.metadataCount++;
    this.#emit();
  }

  /** Closes the open chunk, if any, and writes it and every chunk before it, with their message
   * indexes: when this returns, all messages added so far are the kernel's. */
  flush(): void {
    this.#drain(true);
    const chunk = this.#chunk;
    if (chunk.messageCount === 0) return;
    const raw = chunk.records;
    const packed = this.#opts.compressChunk?.(raw) ?? { compression: "", compressedData: raw };
    this.#write({
      done: { ...packed, crc: chunkCrc32 ? chunkCrc32(raw) : 0 },
      start: chunk.start,
      end: chunk.end,
      uncompressedSize: raw.byteLength,
      indexes: [...chunk.indexes],
      submittedAt: 0n,
    });
    chunk.reset();
  }

  /** Hands the open chunk to a compression worker (which writes it too, into a file sink). */
  #submit(offload: ChunkOffload): void {
    const chunk = this.#chunk;
    const closed: ClosedChunk = {
      start: chunk.start,
      end: chunk.end,
      uncompressedSize: chunk.byteLength,
      indexes: [...chunk.indexes],
      submittedAt: process.hrtime.bigint(),
    };
    let write: ChunkWrite | undefined;
    if (this.#sink.fd !== undefined && this.#sink.skip) {
      const b = new McapRecordBuilder();
      const offsets = new Map<number, bigint>();
      for (const index of closed.indexes) {
        offsets.set(index.channelId, BigInt(b.length));
        b.writeMessageIndex(index);
      }
      closed.indexBytes = b.buffer.slice();
      closed.indexOffsets = offsets;
      if (this.#inFlight.length === 0) Atomics.store(this.#sharedPosition, 0, this.#position);
      write = { fd: this.#sink.fd, order: this.#order, seq: this.#seq++, start: closed.start, end: closed.end, indexes: closed.indexBytes };
    }
    closed.ticket = offload.submit(chunk.take(), write);
    this.#inFlight.push(closed);
  }

  /** Writes finished chunks from the head of the queue; with `block`, all of them. */
  #drain(block: boolean): void {
    while (this.#inFlight.length > 0 && this.#writeHead(block));
  }

  /** Writes the oldest chunk in flight if it is done (or once it is, with `block`). */
  #writeHead(block: boolean): boolean {
    const head = this.#inFlight[0]!;
    let done: CompressedChunk | WrittenChunk | undefined;
    try {
      done = this.#opts.offload!.collect(head.ticket!, block, (raw) => this.#chunk.recycle(raw));
    } catch (err) {
      this.#inFlight.shift(); // that chunk is lost; say so once, and go on with the next
      throw err;
    }
    if (!done) return false;
    this.#inFlight.shift();
    if (done.raw) this.#chunk.recycle(done.raw);
    if ("position" in done) this.#written(head, done);
    else {
      head.done = done;
      this.#write(head);
    }
    return true;
  }

  /** Books a chunk a worker wrote: the chunk index, the position. */
  #written(chunk: ClosedChunk, w: WrittenChunk): void {
    const chunkStartOffset = BigInt(w.position);
    if (chunkStartOffset !== this.#position) {
      throw new Error(`ChunkedMcapWriter: a worker wrote a chunk at ${chunkStartOffset}, expected ${this.#position}`);
    }
    const chunkLength = BigInt(w.chunkLength);
    const messageIndexStart = chunkStartOffset + chunkLength;
    const messageIndexOffsets = new Map<number, bigint>();
    for (const [channelId, rel] of chunk.indexOffsets!) messageIndexOffsets.set(channelId, messageIndexStart + rel);
    const messageIndexLength = BigInt(chunk.indexBytes!.byteLength);
    this.#chunkIndexes.push({
      messageStartTime: chunk.start,
      messageEndTime: chunk.end,
      chunkStartOffset,
      chunkLength,
      messageIndexOffsets,
      messageIndexLength,
      compression: w.compression,
      compressedSize: BigInt(w.compressedSize),
      uncompressedSize: BigInt(chunk.uncompressedSize),
    });
    this.#stats.chunkCount++;
    const total = chunkLength + messageIndexLength;
    this.#sink.skip!(Number(total));
    this.#position += total;
  }

  /** The chunk record's fixed fields are framed here and its (compressed) records handed to the
   * sink as they are: no copy of a camera chunk into a record builder and out again. */
  #write(chunk: ClosedChunk): void {
    const packed = chunk.done!;
    const name = utf8.encode(packed.compression);
    const fixed = new DataView(new ArrayBuffer(1 + 8 + 8 + 8 + 8 + 4 + 4 + name.byteLength + 8));
    const chunkLength = BigInt(fixed.byteLength + packed.compressedData.byteLength);
    let o = 0;
    fixed.setUint8(o, Opcode.CHUNK);
    fixed.setBigUint64((o += 1), chunkLength - 9n, true);
    fixed.setBigUint64((o += 8), chunk.start, true);
    fixed.setBigUint64((o += 8), chunk.end, true);
    fixed.setBigUint64((o += 8), BigInt(chunk.uncompressedSize), true);
    fixed.setUint32((o += 8), packed.crc, true);
    fixed.setUint32((o += 4), name.byteLength, true);
    new Uint8Array(fixed.buffer).set(name, (o += 4));
    fixed.setBigUint64((o += name.byteLength), BigInt(packed.compressedData.byteLength), true);
    const chunkStartOffset = this.#position;
    this.#sink.write(new Uint8Array(fixed.buffer));
    this.#sink.write(packed.compressedData);
    this.#position += chunkLength;

    const messageIndexStart = this.#position;
    let messageIndexLength = 0n;
    const messageIndexOffsets = new Map<number, bigint>();
    for (const index of chunk.indexes) {
      messageIndexOffsets.set(index.channelId, messageIndexStart + messageIndexLength);
      messageIndexLength += this.#records.writeMessageIndex(index);
    }
    this.#chunkIndexes.push({
      messageStartTime: chunk.start,
      messageEndTime: chunk.end,
      chunkStartOffset,
      chunkLength,
      messageIndexOffsets,
      messageIndexLength,
      compression: packed.compression,
      compressedSize: BigInt(packed.compressedData.byteLength),
      uncompressedSize: BigInt(chunk.uncompressedSize),
    });
    this.#stats.chunkCount++;
    this.#emit();
  }

  /** Flushes, then writes DataEnd, the summary (schemas, channels, statistics, indexes) and the
   * footer, and closes the sink. A file without them is what a crash leaves. */
  end(): void {
    if (this.#ended) return;
    this.flush();
    // 0: "not computed". Every chunk carries the CRC of its records; a second pass over every
    // byte written for the data section's CRC would cost a fifth of a camera recording's time.
    this.#records.writeDataEnd({ dataSectionCrc: 0 });
    this.#emit();
    this.#ended = true;

    const summaryStart = this.#position;
    const b = this.#records;
    const offsets: SummaryOffset[] = [];
    const group = (opcode: Opcode, write: () => bigint) => {
      const start = summaryStart + BigInt(b.length);
      const length = write();
      if (length > 0n) offsets.push({ groupOpcode: opcode, groupStart: start, groupLength: length });
    };
    const sum = <T>(items: Iterable<T>, f: (x: T) => bigint) => {
      let n = 0n;
      for (const x of items) n += f(x);
      return n;
    };
    group(Opcode.SCHEMA, () => sum(this.#schemas.values(), (s) => b.writeSchema(s)));
    group(Opcode.CHANNEL, () => sum(this.#channels.values(), (c) => b.writeChannel(c)));
    group(Opcode.STATISTICS, () => b.writeStatistics(this.#stats));
    group(Opcode.METADATA_INDEX, () => sum(this.#metadataIndexes, (m) => b.writeMetadataIndex(m)));
    group(Opcode.CHUNK_INDEX, () => sum(this.#chunkIndexes, (c) => b.writeChunkIndex(c)));
    const summaryOffsetStart = summaryStart + BigInt(b.length);
    for (const o of offsets) b.writeSummaryOffset(o);

    // The footer's CRC covers the summary and the footer up to the CRC field itself.
    const footerHead = new DataView(new ArrayBuffer(1 + 8 + 8 + 8));
    footerHead.setUint8(0, Opcode.FOOTER);
    footerHead.setBigUint64(1, 8n + 8n + 4n, true);
    footerHead.setBigUint64(9, summaryStart, true);
    footerHead.setBigUint64(17, summaryOffsetStart, true);
    const summaryCrc = crc32 ? crc32(new Uint8Array(footerHead.buffer), crc32(b.buffer)) : 0;
    b.writeFooter({ summaryStart, summaryOffsetStart, summaryCrc });
    b.writeMagic();
    this.#sink.write(b.buffer);
    this.#position += BigInt(b.buffer.byteLength);
    b.reset();
    this.#sink.close();
  }

  /** Hands the record builder's bytes to the sink, keeping the position. */
  #emit(): void {
    const bytes = this.#records.buffer;
    this.#sink.write(bytes);
    this.#position += BigInt(bytes.byteLength);
    this.#records.reset();
  }
}
