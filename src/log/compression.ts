// Chunk compression for MCAP: zstd (rosbag2's default) and lz4, the two chunk compressions the
// MCAP spec names and rosbag2 and Foxglove read.
//
// zstd compresses with a native binding (@toondepauw/node-zstd: libzstd through napi-rs, its
// prebuilt binaries shipped as per-platform optional packages, no install script) where it loads —
// about 1.3× the WebAssembly build's speed on camera noise and 1.6× on rendered frames here — and
// with @foxglove/wasm-zstd where it does not (`codecInfo()` says which and why, and a process
// warning says so once). Both write standard zstd frames; the files are the same either way.
// Decompression stays with the WebAssembly builds (@foxglove/wasm-zstd, @foxglove/wasm-lz4): given
// the chunk's size they decompress in one shot into a buffer of exactly that size, faster here
// than the native binding (which grows its output as it goes), and a corrupt chunk can never make
// them allocate more than its header claims. lz4 chunks are written by lz4-napi (lz4_flex, prebuilt
// platform packages) where it loads — standard LZ4 frames of independent 256 KiB blocks, framed here
// from its block compressor (chunk-codec.cjs lz4Frame) into a buffer kept from chunk to chunk — and
// by lz4js (pure JS) where it does not; since lz4js writes some multi-block frames LZ4's C library
// rejects, its frames are checked against that decoder and a chunk it would spoil is stored
// uncompressed instead.
//
// "auto" (the recorder's default) is zstd for every chunk except those whose zstd sample (the one
// adaptive compression takes anyway) does not even halve: entropy-bound data such as camera frames
// with sensor noise, where zstd's edge is its entropy coding, paid again on every replay. Those are
// lz4: on noisy 640×480 frames it decompresses ~3× as fast (WebAssembly, ~2 GB/s a core against
// ~0.7) for chunks ~1.3× as large (0.77 of raw against 0.60), and compresses about as fast.
//
// Adaptive: a chunk that compression would not shrink by a tenth is stored uncompressed (MCAP
// compression "", which every MCAP reader reads, rosbag2 and Foxglove included), so that
// incompressible data — already-compressed images, encrypted or random payloads — is not paid for
// twice, once compressing it and again decompressing it on every replay. A large chunk is first
// judged by compressing a sample of it (a few slices spread over it); only a sample that plainly
// does not compress skips the full compression (`packAdaptive`, chunk-codec.cjs: the figures and
// the decision are shared with the worker threads). On by default; `adaptive: false` compresses
// every chunk whatever it gives.
//
// Compression is most of the cost of recording and replaying camera logs, so it runs off the main
// thread: `chunkWorkers()` is a pool of worker threads (chunk-worker.cjs, plain CommonJS, sharing
// chunk-codec.cjs with this side) that compress chunks for the writer (and, for a file, write them
// too, in order: src/log/mcap-writer.ts) and read, decompress, CRC-check and split chunks ahead of
// the reader (src/log/mcap-scan.ts). The main thread is left to encode,
// frame and decode messages. Chunks under `offloadMinBytes()` (uncompressed) are done inline: a
// round trip to a worker costs more. Where worker threads cannot start, everything runs inline.
//
// Environment, for measurements and as an escape hatch: OMNILOOP_ZSTD=wasm compresses with the
// WebAssembly zstd even where the native one loads; OMNILOOP_LOG_WORKERS=N sets the pool size
// (0: no workers, everything inline; default: the number of cores, at most 4). `configureCodecs`
// does the same from code.
//
// The wasm modules load asynchronously: `await loadCodecs()` once before using anything here.
import lz4js from "lz4js";
import lz4Decompress from "@foxglove/wasm-lz4";
import * as zstd from "@foxglove/wasm-zstd";
import type { DecompressHandlers } from "@mcap/core";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import { crc32 as zlibCrc32 } from "node:zlib";
import { ADAPTIVE, lz4Frame, packAdaptive, packAuto, type PackedChunk } from "./chunk-codec.cjs";

export { ADAPTIVE, lz4Frame, packAdaptive, packAuto, sampleOf, type PackedChunk } from "./chunk-codec.cjs";

/** "auto": zstd, except chunks a zstd sample shows to be entropy-bound (camera frames with sensor
 * noise), which are lz4 — see ADAPTIVE.lz4Above in chunk-codec.cjs. Every chunk is still zstd, lz4
 * or stored, so any MCAP reader reads the file. */
export type Compression = "zstd" | "lz4" | "auto" | "none";
export const COMPRESSIONS: readonly Compression[] = ["zstd", "lz4", "auto", "none"];

const require = createRequire(import.meta.url);

interface NativeZstd {
  Encoder: new (level: number) => { encodeSync(data: Uint8Array): Uint8Array };
  Decoder: new () => { decodeSync(data: Uint8Array): Uint8Array };
}

const NATIVE_ZSTD = "@toondepauw/node-zstd";
const LZ4_NATIVE = "lz4-napi";

interface Lz4Native {
  /** The block's uncompressed size (u32 LE), then the raw LZ4 block. */
  compressSync(data: Buffer): Uint8Array;
}

/** lz4-napi (lz4_flex through napi-rs, prebuilt platform packages): its blocks, framed by lz4Frame,
 * are written several times faster than lz4js writes frames, and LZ4's C library always reads them.
 * Its own frame encoder (compressFrameSync) grows its output as it goes: ~1.5× slower here. */
let lz4NativeModule: { module?: Lz4Native } | undefined;

function lz4Native(): Lz4Native | undefined {
  if (!lz4NativeModule) {
    if (forced.lz4 === "lz4js") {
      lz4NativeModule = {};
      return undefined;
    }
    try {
      const m = require(LZ4_NATIVE) as Lz4Native;
      const probe = new TextEncoder().encode("omniloop lz4 probe ".repeat(8));
      // Chunks are framed here from its blocks (lz4Frame), which must lead with their size.
      const block = m.compressSync(Buffer.from(probe));
      if (block.byteLength < 5 || new DataView(block.buffer, block.byteOffset, 4).getUint32(0, true) !== probe.byteLength) {
        throw new Error("its blocks do not lead with their size");
      }
      lz4NativeModule = { module: m };
    } catch {
      lz4NativeModule = {}; // lz4js, checked chunk by chunk
    }
  }
  return lz4NativeModule.module;
}

/** The native zstd binding, or why it is not used. Loaded once, on first use; a binding that does
 * not load is said once, as a process warning. */
let nativeZstd: { module?: NativeZstd; reason: string } | undefined;
let warned = false;

function native(): NativeZstd | undefined {
  if (!nativeZstd) {
    if (forced.zstd === "wasm") nativeZstd = { reason: "configured to use WebAssembly zstd" };
    else if (forced.zstd === undefined && process.env.OMNILOOP_ZSTD === "wasm") nativeZstd = { reason: "OMNILOOP_ZSTD=wasm" };
    else {
      try {
        const m = require(NATIVE_ZSTD) as NativeZstd;
        // A round trip: a binding that loads but does not work is no better than none.
        const probe = new TextEncoder().encode("omniloop zstd probe ".repeat(8));
        const back = new m.Decoder().decodeSync(new m.Encoder(1).encodeSync(probe));
        if (back.byteLength !== probe.byteLength || !probe.every((b, i) => back[i] === b)) {
          throw new Error("its frames do not decompress to the input");
        }
        nativeZstd = { module: m, reason: "" };
      } catch (err) {
        nativeZstd = { reason: `${NATIVE_ZSTD} does not load here (${firstLine(err)}); using WebAssembly zstd` };
        if (!warned) {
          warned = true;
          process.emitWarning(`chunk compression: ${nativeZstd.reason} (slower; the files are the same)`, { code: "OMNILOOP_ZSTD_FALLBACK" });
        }
      }
    }
  }
  return nativeZstd.module;
}

/** CRC-32 (MCAP's, zlib's polynomial) of `data`: @node-rs/crc32 (SIMD, prebuilt platform
 * packages) where it loads, about twice node:zlib's speed here; node:zlib's (Node ≥ 20.15)
 * otherwise; undefined where neither exists (MCAP then writes 0: "not computed"). */
export const crc32: ((data: Uint8Array) => number) | undefined = (() => {
  try {
    const m = require("@node-rs/crc32") as { crc32: (data: Uint8Array) => number };
    if (m.crc32(new TextEncoder().encode("123456789")) === 0xcbf43926) return (data: Uint8Array) => m.crc32(data);
  } catch {
    // not installed, or no binary for this platform: zlib's below
  }
  return typeof zlibCrc32 === "function" ? (data: Uint8Array) => zlibCrc32(data) : undefined;
})();

const firstLine = (err: unknown) => String((err as Error)?.message ?? err).split("\n")[0]!;

let loaded: Promise<void> | undefined;

export function loadCodecs(): Promise<void> {
  loaded ??= Promise.all([
    zstd.isLoaded,
    lz4Decompress.isLoaded,
    (async () => {
      try {
        const factory = require(join(dirname(require.resolve("@foxglove/wasm-lz4")), "wasm-lz4.js")) as () => Promise<Lz4Module>;
        const M = await factory();
        if (typeof M._decompressFrame === "function" && typeof M._createDecompressionContext === "function") lz4Module = M;
      } catch {
        // the package's own function, with its one shared context
      }
    })(),
  ]).then(() => {
    native();
  });
  return loaded;
}

export interface CodecInfo {
  /** Which zstd compresses chunks: "native" (@toondepauw/node-zstd) or "wasm". */
  zstd: "native" | "wasm";
  /** Why the native zstd is not used, when it is not. */
  zstdReason?: string;
  /** Which lz4 compresses chunks: "native" (lz4-napi) or "lz4js". */
  lz4: "native" | "lz4js";
  /** Worker threads that compress and decompress chunks (0: all inline). */
  workers: number;
  workersReason?: string;
}

/** What compresses and decompresses chunks in this process (after `loadCodecs()`). */
export function codecInfo(): CodecInfo {
  const n = native();
  const w = workerCount();
  return {
    zstd: n ? "native" : "wasm",
    ...(n ? {} : { zstdReason: nativeZstd?.reason ?? "" }),
    lz4: lz4Native() ? "native" : "lz4js",
    workers: poolFailure ? 0 : w,
    ...(poolFailure ? { workersReason: poolFailure } : w === 0 ? { workersReason: "no worker threads configured (OMNILOOP_LOG_WORKERS=0 or configureCodecs)" } : {}),
  };
}

/** The sample's zstd level: the chunk's, but no slower than level 1 (a sample that does not
 * compress at level 1 will not at 19 either, to within the margin `sampleSkipAbove` leaves). */
const sampleLevel = (level: number) => Math.min(level, 1);

/** The `compressChunk` function an MCAP writer takes; undefined for "none". `level` is zstd's
 * (negative levels trade ratio for speed). `adaptive` (default true): chunks that do not compress
 * are stored raw (`packAdaptive`). Runs on the calling thread. */
export function chunkCompressor(
  compression: Compression,
  level = 1,
  adaptive = true,
): ((data: Uint8Array) => PackedChunk) | undefined {
  if (compression === "auto") {
    const zstd = plainCompressor("zstd", level)!;
    const lz4 = lz4Native() ? plainCompressor("lz4", level) : undefined;
    const sample = plainCompressor("zstd", sampleLevel(level))!;
    let buffer: Uint8Array | undefined;
    const scratch = () => (buffer ??= new Uint8Array(ADAPTIVE.slices * ADAPTIVE.sliceBytes));
    return (data) => packAuto(data, zstd, lz4, (s) => sample(s).compressedData, scratch, adaptive);
  }
  const one = plainCompressor(compression, level);
  if (!one || !adaptive) return one;
  let sampler: (s: Uint8Array) => { length: number };
  if (compression === "lz4" && !lz4Native()) sampler = (s) => lz4js.compress(s); // only its size counts: not read back
  else {
    const c = plainCompressor(compression, sampleLevel(level))!;
    sampler = (s) => c(s).compressedData;
  }
  let buffer: Uint8Array | undefined;
  const scratch = () => (buffer ??= new Uint8Array(ADAPTIVE.slices * ADAPTIVE.sliceBytes));
  return (data) => packAdaptive(data, one, sampler, scratch);
}

function plainCompressor(compression: Exclude<Compression, "auto">, level: number): ((data: Uint8Array) => PackedChunk) | undefined {
  switch (compression) {
    case "zstd": {
      const n = native();
      if (n) {
        const encoder = new n.Encoder(level);
        return (data) => ({ compression: "zstd", compressedData: encoder.encodeSync(data) });
      }
      return (data) => ({ compression: "zstd", compressedData: zstd.compress(data, level) });
    }
    case "lz4": {
      const n = lz4Native();
      if (n) {
        // Framed from blocks in a buffer kept from chunk to chunk; the chunk gets an exact copy.
        let out = new Uint8Array(0);
        const buffer = (bound: number) => (out.byteLength >= bound ? out : (out = new Uint8Array(bound)));
        const block = (p: Uint8Array) => n.compressSync(Buffer.from(p.buffer, p.byteOffset, p.byteLength));
        return (data) => ({ compression: "lz4", compressedData: lz4Frame(data, block, buffer).slice() });
      }
      return (data) => {
        // lz4js writes some multi-block frames that LZ4's C library (rosbag2, Foxglove, our
        // reader) rejects: keep its frame only if that decoder reads it back, else store as is.
        const packed = Uint8Array.from(lz4js.compress(data));
        try {
          const back = lz4DecompressFrame(packed, data.byteLength);
          if (back.byteLength === data.byteLength && Buffer.compare(back, Buffer.from(data.buffer, data.byteOffset, data.byteLength)) === 0) {
            return { compression: "lz4", compressedData: packed };
          }
        } catch {
          // not readable: stored as it is
        }
        return { compression: "", compressedData: data };
      };
    }
    case "none":
      return undefined;
  }
}

/** lz4 frames → bytes, through @foxglove/wasm-lz4's emscripten build loaded directly. The
 * package's own function shares one LZ4F decompression context for the life of the process and
 * never resets it, so after one corrupt frame every later frame fails too; here a context that
 * fails is replaced (the failed one is leaked: it is small, and this happens only on bad data). */
interface Lz4Module {
  HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _free(p: number): void;
  _createDecompressionContext(): number;
  _decompressFrame(ctx: number, dst: number, dstSize: number, src: number, srcSize: number): number;
}
let lz4Module: Lz4Module | undefined;
let lz4Context = 0;

function lz4DecompressFrame(src: Uint8Array, size: number): Uint8Array {
  const M = lz4Module;
  if (!M) return lz4Decompress(src, size);
  lz4Context ||= M._createDecompressionContext();
  const s = M._malloc(src.byteLength);
  const d = M._malloc(size);
  try {
    if (!s || !d) throw new Error(`out of WebAssembly memory for a ${size}-byte lz4 chunk`);
    M.HEAPU8.set(src, s);
    const n = M._decompressFrame(lz4Context, d, size, s, src.byteLength);
    if (n < 0) {
      lz4Context = 0;
      throw new Error("Error during decompression");
    }
    return M.HEAPU8.slice(d, d + n);
  } finally {
    M._free(s);
    M._free(d);
  }
}

/** Decompression for every chunk compression the MCAP spec names (rosbag2 writes zstd). */
export const decompressHandlers: DecompressHandlers = {
  zstd: (buffer, size) => zstd.decompress(buffer, Number(size)),
  lz4: (buffer, size) => lz4DecompressFrame(buffer, Number(size)),
};

// ---------------------------------------------------------------------------------------------
// The worker pool.

let offloadMin = 256 * 1024;

/** Chunks smaller than this are compressed and decompressed inline. */
export function offloadMinBytes(): number {
  return offloadMin;
}

/** Sets the inline/worker threshold (tests set 0 to send every chunk through the workers). */
export function setOffloadMinBytes(bytes: number): void {
  offloadMin = bytes;
}

/** Settings made in code (benchmarks comparing variants, tests of the fallbacks); they win over
 * the environment. */
const forced: { zstd?: "native" | "wasm"; lz4?: "native" | "lz4js"; workers?: number } = {};

/** Chooses the zstd and lz4 compressors and the worker pool size for this process from now on
 * (undefined: back to the default). Stops the current pool; the next use starts a new one. */
export function configureCodecs(opts: { zstd?: "native" | "wasm"; lz4?: "native" | "lz4js"; workers?: number }): void {
  forced.zstd = opts.zstd;
  forced.lz4 = opts.lz4;
  forced.workers = opts.workers;
  nativeZstd = undefined;
  lz4NativeModule = undefined;
  pool?.close();
  pool = undefined;
  poolFailure = undefined;
}

function workerCount(): number {
  if (forced.workers !== undefined) return forced.workers;
  const env = process.env.OMNILOOP_LOG_WORKERS;
  if (env !== undefined && env !== "" && Number.isInteger(Number(env)) && Number(env) >= 0) return Number(env);
  return Math.min(4, availableParallelism());
}

/** What a worker answers: a compressed chunk, a chunk's records, or why it could not. */
export type WorkerReply =
  | { id: number; kind: "compressed"; compression: string; compressed: Uint8Array; crc: number; raw?: Uint8Array }
  | { id: number; kind: "written"; compression: string; position: number; chunkLength: number; compressedSize: number; raw: Uint8Array }
  | { id: number; kind: "records"; records: Uint8Array; parts: Uint8Array[]; partAt: number[] }
  | { id: number; kind: "error"; error: string; raw?: Uint8Array };

/** Where a worker writes a chunk itself: the file (by descriptor, positional writes), the chunk's
 * turn in the file, and what goes around its records. `order` is the writer's shared state: an
 * Int32 turn counter at 0 and the file position (BigInt64) at byte 8; a worker waits until the
 * turn is `seq`, writes at the position, advances both, and wakes the others. */
export interface ChunkWrite {
  fd: number;
  order: SharedArrayBuffer;
  seq: number;
  start: bigint;
  end: bigint;
  /** The message index records that follow the chunk. */
  indexes: Uint8Array;
}

export type WorkerJob =
  | { op: "compress"; data: Uint8Array; compression: Exclude<Compression, "none">; level: number; adaptive: boolean; write?: ChunkWrite }
  | { op: "unpack"; path: string; offset: number; length: number; validate: boolean; partMin: number };

interface Slot {
  worker: Worker;
  port: MessagePort;
  inFlight: number;
  asyncWaiters: number;
}

/** The worker threads' code: plain CommonJS, which they load without the TypeScript loader. */
const WORKER_FILE = new URL("./chunk-worker.cjs", import.meta.url);

/** The error of jobs still in flight when their pool was stopped (`configureCodecs`). */
export const POOL_STOPPED = "the chunk worker pool was stopped";

/** How long a blocking wait gives a worker before it is declared lost. */
const WORKER_DEADLINE_MS = 120_000;

/** A pool of worker threads that compress and unpack chunks. Results are collected by job id,
 * either blocking (`waitSync`, for the synchronous recorder) or awaited (`wait`, for the reader). */
export class ChunkWorkers {
  readonly size: number;
  readonly #slots: Slot[] = [];
  readonly #done: Int32Array;
  readonly #results = new Map<number, WorkerReply>();
  readonly #owner = new Map<number, Slot>();
  readonly #waiters = new Map<number, (r: WorkerReply) => void>();
  readonly #abandoned = new Set<number>();
  #nextId = 1;
  #turn = 0;
  #closed = false;

  constructor(size: number) {
    this.size = size;
    this.#done = new Int32Array(new SharedArrayBuffer(4 * size));
    const paths = {
      wasmZstd: require.resolve("@foxglove/wasm-zstd"),
      wasmLz4: require.resolve("@foxglove/wasm-lz4"),
      wasmZstdModule: join(dirname(require.resolve("@foxglove/wasm-zstd")), "wasm-zstd.js"),
      crc32: resolveOr("@node-rs/crc32"),
      wasmLz4Module: join(dirname(require.resolve("@foxglove/wasm-lz4")), "wasm-lz4.js"),
      lz4js: require.resolve("lz4js"),
      lz4Native: lz4Native() ? require.resolve(LZ4_NATIVE) : "",
      nativeZstd: native() ? require.resolve(NATIVE_ZSTD) : "",
    };
    for (let i = 0; i < size; i++) {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(WORKER_FILE, {
        workerData: { port: port2, done: this.#done, slot: i, paths, useNative: Boolean(native()) },
        transferList: [port2],
        stdout: false,
        stderr: false,
      });
      worker.unref();
      const slot: Slot = { worker, port: port1, inFlight: 0, asyncWaiters: 0 };
      port1.on("message", (r: WorkerReply) => this.#accept(slot, r));
      port1.unref();
      worker.on("error", (err) => this.#lost(slot, `a chunk worker failed: ${firstLine(err)}`));
      worker.on("exit", (code) => {
        if (!this.#closed) this.#lost(slot, `a chunk worker exited (code ${code})`);
      });
      this.#slots.push(slot);
    }
  }

  /** Starts a job; `transfer` lists the buffers handed over (the caller must not touch them). */
  submit(job: WorkerJob, transfer: ArrayBuffer[] = []): number {
    if (this.#closed) throw new Error(POOL_STOPPED);
    const id = this.#nextId++;
    // The least loaded worker, ties taken in turn. Ties used to go to the first worker, so two
    // chunks in a row could queue on one worker while the other, done with its only chunk and
    // waiting for its turn to write it, sat idle: a third of a noisy-camera recording for one of
    // two workers, in a profile. Replies not yet collected are taken first: they are not in flight.
    for (const s of this.#slots) this.#poll(s);
    let slot = this.#slots[this.#turn % this.#slots.length]!;
    for (let i = 1; i < this.#slots.length; i++) {
      const s = this.#slots[(this.#turn + i) % this.#slots.length]!;
      if (s.inFlight < slot.inFlight) slot = s;
    }
    this.#turn = this.#slots.indexOf(slot) + 1;
    slot.port.postMessage({ ...job, id }, transfer);
    slot.inFlight++;
    this.#owner.set(id, slot);
    return id;
  }

  /** The reply to job `id` if it has come (without waiting). */
  take(id: number): WorkerReply | undefined {
    const r = this.#results.get(id);
    if (r) {
      this.#results.delete(id);
      return r;
    }
    const slot = this.#owner.get(id);
    if (!slot) throw new Error(`chunk worker: no job ${id}`);
    this.#poll(slot);
    const got = this.#results.get(id);
    if (got) this.#results.delete(id);
    return got;
  }

  /** Blocks the thread until job `id`'s reply comes. */
  waitSync(id: number): WorkerReply {
    const deadline = Date.now() + WORKER_DEADLINE_MS;
    for (;;) {
      const slot = this.#owner.get(id);
      const index = slot ? this.#slots.indexOf(slot) : -1;
      const seen = index >= 0 ? Atomics.load(this.#done, index) : 0;
      const r = this.take(id);
      if (r) return r;
      if (Date.now() > deadline) throw new Error(`a chunk worker did not answer in ${WORKER_DEADLINE_MS / 1000} s`);
      Atomics.wait(this.#done, index, seen, 1000);
    }
  }

  /** Job `id`'s reply, awaited (the event loop stays alive while something waits). */
  wait(id: number): Promise<WorkerReply> {
    const r = this.take(id);
    if (r) return Promise.resolve(r);
    const slot = this.#owner.get(id)!;
    if (slot.asyncWaiters++ === 0) slot.port.ref();
    return new Promise((resolve) => {
      this.#waiters.set(id, (reply) => {
        if (--slot.asyncWaiters === 0) slot.port.unref();
        resolve(reply);
      });
    });
  }

  /** Stops the workers: jobs in flight fail, and no more are taken. */
  close(): void {
    this.#closed = true;
    for (const s of this.#slots) {
      s.port.close();
      void s.worker.terminate();
    }
    for (const [id, slot] of [...this.#owner]) this.#accept(slot, { id, kind: "error", error: POOL_STOPPED });
  }

  /** Forgets job `id`: its reply is dropped when it comes. */
  abandon(id: number): void {
    if (this.#results.delete(id)) return;
    if (this.#owner.has(id)) this.#abandoned.add(id);
  }

  #poll(slot: Slot): void {
    for (let m; (m = receiveMessageOnPort(slot.port)); ) this.#accept(slot, m.message as WorkerReply);
  }

  #accept(slot: Slot, r: WorkerReply): void {
    slot.inFlight--;
    this.#owner.delete(r.id);
    if (this.#abandoned.delete(r.id)) return;
    const waiter = this.#waiters.get(r.id);
    if (waiter) {
      this.#waiters.delete(r.id);
      waiter(r);
    } else this.#results.set(r.id, r);
  }

  /** A worker died: its jobs fail, and no more are sent to the pool. */
  #lost(slot: Slot, why: string): void {
    poolFailure ??= why;
    if (pool === this) pool = undefined;
    this.#poll(slot);
    for (const [id, s] of [...this.#owner]) {
      if (s !== slot) continue;
      this.#accept(slot, { id, kind: "error", error: why });
    }
  }
}

let pool: ChunkWorkers | undefined;
let poolFailure: string | undefined;

function resolveOr(name: string): string {
  try {
    return require.resolve(name);
  } catch {
    return "";
  }
}

/** The process's chunk worker pool (started on first use), or undefined where workers are off or
 * could not start (everything then runs inline). */
export function chunkWorkers(): ChunkWorkers | undefined {
  if (pool || poolFailure) return pool;
  const n = workerCount();
  if (n === 0) return undefined;
  try {
    pool = new ChunkWorkers(n);
  } catch (err) {
    poolFailure = `worker threads do not start here (${firstLine(err)})`;
  }
  return pool;
}

/** A chunk compressed by a worker. `raw` is the input's buffer, handed back for reuse. */
export interface CompressedChunk {
  compression: string;
  compressedData: Uint8Array;
  crc: number;
  raw?: Uint8Array;
}

/** A chunk a worker compressed and wrote itself (`ChunkWrite`): where, and how long. */
export interface WrittenChunk {
  compression: string;
  position: number;
  chunkLength: number;
  compressedSize: number;
  raw?: Uint8Array;
}

/** Chunk compression on the worker pool, for the MCAP writer: `submit` hands a chunk's records
 * over (their buffer is transferred), and with `write` the worker also writes the chunk to the
 * file in its turn; `collect` gets the result. */
export interface ChunkOffload {
  readonly minBytes: number;
  submit(raw: Uint8Array, write?: ChunkWrite): number;
  /** The result, or undefined if not ready and `block` is false. Throws if the worker failed
   * (after handing back the chunk's buffer through `spare`, if it can). */
  collect(ticket: number, block: boolean, spare?: (raw: Uint8Array) => void): CompressedChunk | WrittenChunk | undefined;
}

/** Offloaded compression, or undefined for "none" or where no workers run. `adaptive` as for
 * `chunkCompressor`. */
export function chunkOffload(compression: Compression, level = 1, adaptive = true): ChunkOffload | undefined {
  if (compression === "none") return undefined;
  const workers = chunkWorkers();
  if (!workers) return undefined;
  return {
    get minBytes() {
      return offloadMinBytes();
    },
    submit(raw, write) {
      if (raw.byteOffset !== 0) throw new Error("chunk offload: records must start their buffer");
      return workers.submit({ op: "compress", data: raw, compression, level, adaptive, ...(write ? { write } : {}) }, [raw.buffer as ArrayBuffer]);
    },
    collect(ticket, block, spare) {
      const r = block ? workers.waitSync(ticket) : workers.take(ticket);
      if (!r) return undefined;
      if (r.kind === "error") {
        if (r.raw && spare) spare(r.raw);
        throw new Error(`chunk compression failed: ${r.error}`);
      }
      if (r.kind === "compressed") return { compression: r.compression, compressedData: r.compressed, crc: r.crc, raw: r.raw };
      if (r.kind === "written") {
        return { compression: r.compression, position: r.position, chunkLength: r.chunkLength, compressedSize: r.compressedSize, raw: r.raw };
      }
      throw new Error(`chunk compression: unexpected reply ${r.kind}`);
    },
  };
}
