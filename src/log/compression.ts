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
// platform packages) where it loads, by lz4js (pure JS) where it does not — and since lz4js writes
// some multi-block frames LZ4's C library rejects, its frames are checked against that decoder and
// a chunk it would spoil is stored uncompressed instead.
//
// Compression is most of the cost of recording and replaying camera logs, so it runs off the main
// thread: `chunkWorkers()` is a pool of worker threads that compress chunks for the writer (and,
// for a file, write them too, in order: src/log/mcap-writer.ts) and read, decompress, CRC-check
// and split chunks ahead of the reader (src/log/mcap-scan.ts). The main thread is left to encode,
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

export type Compression = "zstd" | "lz4" | "none";
export const COMPRESSIONS: readonly Compression[] = ["zstd", "lz4", "none"];

const require = createRequire(import.meta.url);

interface NativeZstd {
  Encoder: new (level: number) => { encodeSync(data: Uint8Array): Uint8Array };
  Decoder: new () => { decodeSync(data: Uint8Array): Uint8Array };
}

const NATIVE_ZSTD = "@toondepauw/node-zstd";
const LZ4_NATIVE = "lz4-napi";

interface Lz4Native {
  compressFrameSync(data: Buffer): Uint8Array;
}

/** lz4-napi (lz4_flex through napi-rs, prebuilt platform packages): writes lz4 frames ~1.3× (camera
 * noise) to ~6× (rendered frames) faster than lz4js, and frames LZ4's C library always reads. */
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
      m.compressFrameSync(Buffer.from(probe));
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

/** The `compressChunk` function an MCAP writer takes; undefined for "none". `level` is zstd's
 * (negative levels trade ratio for speed). Runs on the calling thread. */
export function chunkCompressor(
  compression: Compression,
  level = 1,
): ((data: Uint8Array) => { compression: string; compressedData: Uint8Array }) | undefined {
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
      if (n) return (data) => ({ compression: "lz4", compressedData: n.compressFrameSync(Buffer.from(data.buffer, data.byteOffset, data.byteLength)) });
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
  | { id: number; kind: "compressed"; compression: string; compressed: Uint8Array; crc: number; raw: Uint8Array }
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
  | { op: "compress"; data: Uint8Array; compression: "zstd" | "lz4"; level: number; write?: ChunkWrite }
  | { op: "unpack"; path: string; offset: number; length: number; validate: boolean; partMin: number };

// The worker's code, plain CommonJS (the installed CLI runs TypeScript through a loader that worker
// threads do not inherit). `unpack` mirrors mcap-scan.ts's unpackChunk, error texts included.
const WORKER_SOURCE = String.raw`
"use strict";
const { workerData } = require("node:worker_threads");
const fs = require("node:fs");
const zlib = require("node:zlib");
const { port, done, slot, paths, useNative } = workerData;
// The packages' own functions: only where the emscripten builds do not load directly (below).
let wasmZstd;
let wasmLz4;
const lz4js = require(paths.lz4js);
let lz4Native;
if (paths.lz4Native) {
  try { lz4Native = require(paths.lz4Native); } catch (err) { lz4Native = undefined; }
}
let nativeZstd;
if (useNative) {
  try { nativeZstd = require(paths.nativeZstd); } catch (err) { nativeZstd = undefined; }
}
const encoders = new Map();
let crc32 = typeof zlib.crc32 === "function" ? zlib.crc32 : undefined;
if (paths.crc32) {
  try {
    const fast = require(paths.crc32).crc32;
    if (fast(new TextEncoder().encode("123456789")) === 0xcbf43926) crc32 = fast;
  } catch (err) {
    // zlib's, above
  }
}
const utf8 = new TextDecoder();
const utf8enc = new TextEncoder();
const HEADER = 9;

// A copy whose buffer is exactly its bytes: what can be transferred, never a view into a pool, a
// WebAssembly memory or a native (non-detachable) buffer.
function own(bytes) {
  const out = new Uint8Array(bytes.byteLength);
  out.set(bytes);
  return out;
}

// [the compression the chunk gets, its bytes]. lz4 through lz4-napi where it loads; lz4js
// otherwise, keeping its frame only if the reference decoder reads it back (lz4js writes some
// multi-block frames that LZ4's C library rejects) and storing the chunk uncompressed if not.
function pack(job) {
  const raw = job.data;
  if (job.compression === "zstd") {
    if (nativeZstd) {
      let e = encoders.get(job.level);
      if (!e) encoders.set(job.level, (e = new nativeZstd.Encoder(job.level)));
      return ["zstd", e.encodeSync(raw)];
    }
    return ["zstd", compressZstdWasm(raw, job.level)];
  }
  if (lz4Native) return ["lz4", lz4Native.compressFrameSync(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength))];
  const packed = Uint8Array.from(lz4js.compress(raw));
  try {
    const back = decompressLz4(packed, raw.byteLength);
    if (back.byteLength === raw.byteLength && Buffer.compare(Buffer.from(back.buffer, back.byteOffset, back.byteLength), Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)) === 0) return ["lz4", packed];
  } catch (err) {
    // not readable: stored as it is, below
  }
  return ["", raw];
}

function compress(job) {
  const raw = job.data;
  if (job.write) return compressAndWrite(job);
  const crc = crc32 ? crc32(raw) : 0;
  const [compression, bytes] = pack(job);
  const compressed = own(bytes);
  return [{ id: job.id, kind: "compressed", compression, compressed, crc, raw }, [compressed.buffer, raw.buffer]];
}

function writeAll(fd, bytes, position) {
  let off = 0;
  while (off < bytes.byteLength) off += fs.writeSync(fd, bytes, off, bytes.byteLength - off, position + off);
}

// Compresses, then — once it is this chunk's turn — writes the chunk record and its message
// indexes where the file has got to. The wait is asynchronous (Atomics.waitAsync), so the worker
// goes on with other jobs meanwhile: two recorders sharing the pool can never wait on each other.
// A chunk that fails still takes its turn (writing nothing), so the chunks after it go on.
function compressAndWrite(job) {
  const raw = job.data;
  let compression;
  let compressed;
  let crc = 0;
  let failure;
  try {
    crc = crc32 ? crc32(raw) : 0;
    [compression, compressed] = pack(job);
  } catch (err) {
    failure = err;
  }
  whenTurn(job, () => {
    const w = job.write;
    const turn = new Int32Array(w.order, 0, 1);
    const pos = new BigInt64Array(w.order, 8, 1);
    try {
      if (failure) throw failure;
      const position = Atomics.load(pos, 0);
      const name = utf8enc.encode(compression);
      const fixed = new DataView(new ArrayBuffer(1 + 8 + 8 + 8 + 8 + 4 + 4 + name.byteLength + 8));
      const chunkLength = fixed.byteLength + compressed.byteLength;
      let o = 0;
      fixed.setUint8(o, 0x06);
      fixed.setBigUint64((o += 1), BigInt(chunkLength - 9), true);
      fixed.setBigUint64((o += 8), w.start, true);
      fixed.setBigUint64((o += 8), w.end, true);
      fixed.setBigUint64((o += 8), BigInt(raw.byteLength), true);
      fixed.setUint32((o += 8), crc, true);
      fixed.setUint32((o += 4), name.byteLength, true);
      new Uint8Array(fixed.buffer).set(name, (o += 4));
      fixed.setBigUint64((o += name.byteLength), BigInt(compressed.byteLength), true);
      const p = Number(position);
      writeAll(w.fd, new Uint8Array(fixed.buffer), p);
      writeAll(w.fd, compressed, p + fixed.byteLength);
      writeAll(w.fd, w.indexes, p + chunkLength);
      Atomics.store(pos, 0, position + BigInt(chunkLength + w.indexes.byteLength));
      reply({ id: job.id, kind: "written", compression, position: p, chunkLength, compressedSize: compressed.byteLength, raw }, [raw.buffer]);
    } catch (err) {
      reply({ id: job.id, kind: "error", error: String((err && err.message) || err), raw }, [raw.buffer]);
    } finally {
      Atomics.store(turn, 0, w.seq + 1);
      Atomics.notify(turn, 0);
    }
  });
  return undefined; // replied to from whenTurn
}

function whenTurn(job, run) {
  const w = job.write;
  const turn = new Int32Array(w.order, 0, 1);
  const t = Atomics.load(turn, 0);
  if (t === w.seq) return run();
  const waiting = Atomics.waitAsync(turn, 0, t, 120000);
  const again = (outcome) => {
    if (outcome === "timed-out") {
      reply({ id: job.id, kind: "error", error: "chunk " + w.seq + " waited 120 s for its turn to be written (turn " + Atomics.load(turn, 0) + ")", raw: job.data }, [job.data.buffer]);
      return;
    }
    whenTurn(job, run);
  };
  if (waiting.async) waiting.value.then(again);
  else again(waiting.value);
}

// The chunk read from the file goes into a buffer kept from job to job.
let readBuffer = new Uint8Array(0);
function readAt(path, offset, length) {
  const fd = fs.openSync(path, "r");
  try {
    if (readBuffer.byteLength < length) readBuffer = new Uint8Array(Math.max(length, 2 * readBuffer.byteLength));
    const buf = readBuffer.subarray(0, length);
    let got = 0;
    while (got < length) {
      const n = fs.readSync(fd, buf, got, length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    if (got !== length) throw new Error("the chunk record ends " + (length - got) + " bytes early (the file shrank?)");
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}

function unpack(job) {
  const record = readAt(job.path, job.offset, job.length);
  const v = new DataView(record.buffer, record.byteOffset, record.byteLength);
  let o = HEADER + 16;
  const uncompressedSize = v.getBigUint64(o, true);
  const expectedCrc = v.getUint32(o + 8, true);
  o += 12;
  const nameLength = v.getUint32(o, true);
  const compression = utf8.decode(record.subarray(o + 4, o + 4 + nameLength));
  o += 4 + nameLength;
  const recordsLength = Number(v.getBigUint64(o, true));
  o += 8;
  if (o + recordsLength !== record.byteLength) {
    throw new Error("chunk records length " + recordsLength + " does not fit the chunk record (" + (record.byteLength - o) + " bytes left)");
  }
  let records = record.subarray(o);
  if (compression === "zstd") records = decompressZstd(records, Number(uncompressedSize));
  else if (compression === "lz4") records = decompressLz4(records, Number(uncompressedSize));
  else if (compression !== "") throw new Error('unsupported chunk compression "' + compression + '"');
  if (BigInt(records.byteLength) !== uncompressedSize) {
    throw new Error("chunk decompressed to " + records.byteLength + " bytes, its header says " + uncompressedSize);
  }
  if (job.validate && expectedCrc !== 0 && crc32 !== undefined) {
    const actual = crc32(records);
    if (actual !== expectedCrc) throw new Error("Incorrect chunk CRC " + actual + " (expected " + expectedCrc + ")");
  }
  const { skeleton, parts, partAt } = split(records, job.partMin);
  return [{ id: job.id, kind: "records", records: skeleton, parts, partAt }, [skeleton.buffer, ...parts.map((p) => p.buffer)]];
}

// Decompression straight into a region of WebAssembly memory kept from chunk to chunk, through
// the same emscripten builds the @foxglove packages load (their own functions allocate and copy
// out a fresh buffer per call, which on camera logs costs more than decompressing). The result is
// a view into that memory, valid until the next chunk; split() copies out what leaves the worker.
// Where the builds do not load that way, the packages' functions do the work.
let zstdModule;
let lz4Module;
let lz4Context = 0;
const regions = new Map();
function region(M, name, size) {
  let r = regions.get(name);
  if (!r || r.size < size) {
    if (r) M._free(r.ptr);
    const grown = Math.max(size, r ? 2 * r.size : 0);
    r = { ptr: M._malloc(grown), size: grown };
    if (!r.ptr) throw new Error("out of WebAssembly memory for a " + size + "-byte chunk");
    regions.set(name, r);
  }
  return r.ptr;
}
function decompressZstd(src, size) {
  const M = zstdModule;
  if (!M) return wasmZstd.decompress(src, size);
  const s = region(M, "zstd.src", src.byteLength);
  const d = region(M, "zstd.dst", size);
  M.HEAPU8.set(src, s);
  const n = M._decompress(d, size, s, src.byteLength);
  if (n < 0) throw new Error("Error during decompression");
  return M.HEAPU8.subarray(d, d + n);
}
function compressZstdWasm(src, level) {
  const M = zstdModule;
  if (!M) return wasmZstd.compress(src, level);
  const bound = M._compressBound(src.byteLength);
  const s = region(M, "zstd.csrc", src.byteLength);
  const d = region(M, "zstd.cdst", bound);
  M.HEAPU8.set(src, s);
  const n = M._compress(d, bound, s, src.byteLength, level);
  if (n < 0) throw new Error("Error during compression");
  return M.HEAPU8.slice(d, d + n);
}
function decompressLz4(src, size) {
  const M = lz4Module;
  if (!M) return wasmLz4(src, size);
  lz4Context = lz4Context || M._createDecompressionContext();
  const s = region(M, "lz4.src", src.byteLength);
  const d = region(M, "lz4.dst", size);
  M.HEAPU8.set(src, s);
  const n = M._decompressFrame(lz4Context, d, size, s, src.byteLength);
  if (n < 0) {
    lz4Context = 0; // a context that failed fails every frame after (see Lz4Decoder)
    throw new Error("Error during decompression");
  }
  return M.HEAPU8.subarray(d, d + n);
}
async function loadModule(path, check) {
  try {
    const M = await require(path)();
    return check.every((f) => typeof M[f] === "function") && M.HEAPU8 ? M : undefined;
  } catch (err) {
    return undefined;
  }
}

// Takes the data of every message of at least partMin bytes out of the records, each into a
// buffer of its own (the reader hands these out as the messages' bytes: a message owns its
// buffer), and leaves the rest as a skeleton in which those messages' records are their fixed
// fields alone (length 22); partAt says where in the skeleton each part belongs. The copying is
// done here rather than on the main thread, and the main thread never receives the records'
// bulk twice. Anything that does not frame is kept as it is, for the reader to report.
function split(records, partMin) {
  const parts = [];
  const at = [];
  const v = new DataView(records.buffer, records.byteOffset, records.byteLength);
  let o = 0;
  let cut = 0;
  while (o + HEADER <= records.byteLength) {
    const len = Number(v.getBigUint64(o + 1, true));
    const end = o + HEADER + len;
    if (end > records.byteLength) break;
    if (records[o] === 0x05 && len >= 22 && len - 22 >= partMin) {
      parts.push(own(records.subarray(o + HEADER + 22, end)));
      at.push(o);
      cut += len - 22;
    }
    o = end;
  }
  if (parts.length === 0) return { skeleton: own(records), parts, partAt: [] };
  const skeleton = new Uint8Array(records.byteLength - cut);
  const sv = new DataView(skeleton.buffer);
  const partAt = [];
  let from = 0;
  let to = 0;
  for (const p of at) {
    skeleton.set(records.subarray(from, p + HEADER + 22), to);
    to += p + HEADER + 22 - from;
    sv.setBigUint64(to - HEADER - 22 + 1, 22n, true);
    partAt.push(to - HEADER - 22);
    from = p + HEADER + Number(v.getBigUint64(p + 1, true));
  }
  skeleton.set(records.subarray(from), to);
  return { skeleton, parts, partAt };
}

function reply(message, transfer) {
  port.postMessage(message, transfer);
  // After the message is queued: a main thread blocked in Atomics.wait wakes and finds it.
  Atomics.add(done, slot, 1);
  Atomics.notify(done, slot);
}

function handle(job) {
  let result;
  try {
    result = job.op === "compress" ? compress(job) : unpack(job);
  } catch (err) {
    const r = { id: job.id, kind: "error", error: String((err && err.message) || err) };
    if (job.op === "compress" && job.data && job.data.buffer.byteLength > 0) {
      r.raw = job.data;
      result = [r, [job.data.buffer]];
    } else result = [r, []];
  }
  if (result) reply(result[0], result[1]);
}

Promise.all([
  loadModule(paths.wasmZstdModule, ["_malloc", "_free", "_decompress", "_compress", "_compressBound"]).then((M) => {
    zstdModule = M;
    if (!M) return (wasmZstd = require(paths.wasmZstd)).isLoaded;
  }),
  loadModule(paths.wasmLz4Module, ["_malloc", "_free", "_decompressFrame", "_createDecompressionContext"]).then((M) => {
    lz4Module = M;
    if (!M) return (wasmLz4 = require(paths.wasmLz4)).isLoaded;
  }),
]).then(
  () => port.on("message", handle),
  (err) => port.on("message", (job) => {
    reply({ id: job.id, kind: "error", error: "the chunk worker's codecs did not load: " + String((err && err.message) || err) }, []);
  }),
);
`;

interface Slot {
  worker: Worker;
  port: MessagePort;
  inFlight: number;
  asyncWaiters: number;
}

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
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
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
    let slot = this.#slots[0]!;
    for (const s of this.#slots) if (s.inFlight < slot.inFlight) slot = s;
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

/** Offloaded compression, or undefined for "none" or where no workers run. */
export function chunkOffload(compression: Compression, level = 1): ChunkOffload | undefined {
  if (compression === "none") return undefined;
  const workers = chunkWorkers();
  if (!workers) return undefined;
  return {
    get minBytes() {
      return offloadMinBytes();
    },
    submit(raw, write) {
      if (raw.byteOffset !== 0) throw new Error("chunk offload: records must start their buffer");
      return workers.submit({ op: "compress", data: raw, compression, level, ...(write ? { write } : {}) }, [raw.buffer as ArrayBuffer]);
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
