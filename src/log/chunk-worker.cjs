// The chunk worker thread (compression.ts starts a pool of them): compresses chunks for the MCAP
// writer, writing them to the file in their turn, and reads, decompresses, CRC-checks and splits
// chunks ahead of the reader (mcap-scan.ts). Plain CommonJS: the installed CLI runs TypeScript
// through a loader that worker threads do not inherit. What the main thread does to chunks too —
// adaptive compression's decision, a chunk record's unpacking — comes from chunk-codec.cjs, so the
// two paths give the same files, the same records and the same errors.
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose (above) */
"use strict";
const { workerData } = require("node:worker_threads");
const fs = require("node:fs");
const zlib = require("node:zlib");
const { ADAPTIVE, HEADER, lz4Frame, packAdaptive, packAuto, unpackChunk } = require("./chunk-codec.cjs");
const { port, done, slot, paths, useNative } = workerData;
// The packages' own functions: only where the emscripten builds do not load directly (below).
let wasmZstd;
let wasmLz4;
const lz4js = require(paths.lz4js);
let lz4Native;
if (paths.lz4Native) {
  try {
    lz4Native = require(paths.lz4Native);
  } catch {
    lz4Native = undefined; // lz4js, checked chunk by chunk
  }
}
let nativeZstd;
if (useNative) {
  try {
    nativeZstd = require(paths.nativeZstd);
  } catch {
    nativeZstd = undefined; // the WebAssembly zstd
  }
}
const encoders = new Map();
let crc32 = typeof zlib.crc32 === "function" ? zlib.crc32 : undefined;
if (paths.crc32) {
  try {
    const fast = require(paths.crc32).crc32;
    if (fast(new TextEncoder().encode("123456789")) === 0xcbf43926) crc32 = fast;
  } catch {
    // zlib's, above
  }
}
const utf8enc = new TextEncoder();

// A copy whose buffer is exactly its bytes: what can be transferred, never a view into a pool, a
// WebAssembly memory or a native (non-detachable) buffer.
// Its memory is not zeroed first (Buffer.allocUnsafeSlow: not from Node's pool), since the copy
// overwrites every byte: on camera logs zeroing was a tenth of replay's time, most of it faulting
// in fresh pages twice over.
function own(bytes) {
  const out = new Uint8Array(Buffer.allocUnsafeSlow(bytes.byteLength).buffer, 0, bytes.byteLength);
  out.set(bytes);
  return out;
}

// { compression, compressedData } at `level`, `compression` "zstd" or "lz4". lz4 through lz4-napi
// where it loads: a frame of blocks (chunk-codec.cjs lz4Frame) in one of a few buffers kept from
// chunk to chunk — a view into it, the job's until `release` gives the buffer back (after the
// chunk is written, or copied out); lz4js otherwise, keeping its frame only if the reference
// decoder reads it back (lz4js writes some multi-block frames that LZ4's C library rejects) and
// storing the chunk uncompressed if not.
// One buffer per job rather than one for the worker: a chunk waiting for its turn to be written
// keeps its frame where it was built, instead of copying it into fresh memory (page faults here
// made that copy ~7% of a noisy-camera recording's worker time).
const frameBuffers = [];
const lentBuffers = new Set();
const lentNow = []; // lent during the current pack()
const lz4Buffer = (bound) => {
  let b = frameBuffers.pop();
  if (!b || b.byteLength < bound) b = new Uint8Array(Math.max(bound, b ? b.byteLength : 0));
  lentBuffers.add(b.buffer);
  lentNow.push(b);
  return b;
};
/** Gives back the frame buffer `bytes` lives in, if it is one (a few are kept). */
function release(bytes) {
  if (!bytes || !lentBuffers.delete(bytes.buffer)) return;
  if (frameBuffers.length < 4) frameBuffers.push(new Uint8Array(bytes.buffer));
}
const lz4Block = (piece) => lz4Native.compressSync(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
function packFull(compression, level, raw) {
  if (compression === "zstd") {
    if (nativeZstd) {
      let e = encoders.get(level);
      if (!e) encoders.set(level, (e = new nativeZstd.Encoder(level)));
      return { compression: "zstd", compressedData: e.encodeSync(raw) };
    }
    return { compression: "zstd", compressedData: compressZstdWasm(raw, level) };
  }
  if (lz4Native) return { compression: "lz4", compressedData: lz4Frame(raw, lz4Block, lz4Buffer) };
  const packed = Uint8Array.from(lz4js.compress(raw));
  try {
    const back = decompressLz4(packed, raw.byteLength);
    if (back.byteLength === raw.byteLength && Buffer.compare(Buffer.from(back.buffer, back.byteOffset, back.byteLength), Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)) === 0) return { compression: "lz4", compressedData: packed };
  } catch {
    // not readable: stored as it is, below
  }
  return { compression: "", compressedData: raw };
}

// Adaptive compression (chunk-codec.cjs), with the sample at the chunk's zstd level but no slower
// than level 1, as chunkCompressor does on the main thread; "auto" picks zstd or lz4 by a zstd
// sample (packAuto), lz4 only where lz4-napi loads.
let sampleBuffer;
const scratch = () => (sampleBuffer = sampleBuffer || new Uint8Array(ADAPTIVE.slices * ADAPTIVE.sliceBytes));
function pack(job) {
  lentNow.length = 0;
  const packed = packWith(job);
  // A frame adaptive compression then turned down (the chunk is stored raw) gives its buffer back.
  for (const b of lentNow) if (b.buffer !== packed.compressedData.buffer) release(b);
  lentNow.length = 0;
  return packed;
}
function packWith(job) {
  if (job.compression === "auto") {
    const zstd = (raw) => packFull("zstd", job.level, raw);
    const lz4 = lz4Native ? (raw) => packFull("lz4", job.level, raw) : undefined;
    const sample = (s) => packFull("zstd", Math.min(job.level, 1), s).compressedData;
    return packAuto(job.data, zstd, lz4, sample, scratch, job.adaptive);
  }
  const full = (raw) => packFull(job.compression, job.level, raw);
  if (!job.adaptive) return full(job.data);
  const sample =
    job.compression === "lz4" && !lz4Native
      ? (s) => lz4js.compress(s) // only its size counts: not read back
      : (s) => packFull(job.compression, Math.min(job.level, 1), s).compressedData;
  return packAdaptive(job.data, full, sample, scratch);
}

function compress(job) {
  const raw = job.data;
  if (job.write) return compressAndWrite(job);
  const crc = crc32 ? crc32(raw) : 0;
  const { compression, compressedData: bytes } = pack(job);
  // Stored raw: the records go back as the chunk's bytes (nothing left to recycle).
  if (compression === "") return [{ id: job.id, kind: "compressed", compression, compressed: raw, crc }, [raw.buffer]];
  const compressed = own(bytes);
  release(bytes);
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
    ({ compression, compressedData: compressed } = pack(job));
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
      release(compressed);
      Atomics.store(turn, 0, w.seq + 1);
      Atomics.notify(turn, 0);
    }
  }, () => release(compressed));
  return undefined; // replied to from whenTurn
}

function whenTurn(job, run, drop) {
  const w = job.write;
  const turn = new Int32Array(w.order, 0, 1);
  const t = Atomics.load(turn, 0);
  if (t === w.seq) return run();
  const waiting = Atomics.waitAsync(turn, 0, t, 120000);
  const again = (outcome) => {
    if (outcome === "timed-out") {
      drop();
      reply({ id: job.id, kind: "error", error: "chunk " + w.seq + " waited 120 s for its turn to be written (turn " + Atomics.load(turn, 0) + ")", raw: job.data }, [job.data.buffer]);
      return;
    }
    whenTurn(job, run, drop);
  };
  if (waiting.async) waiting.value.then(again);
  else again(waiting.value);
}

// The chunk read from the file goes into a buffer kept from job to job: for a zstd or lz4 chunk,
// a region of that decoder's WebAssembly memory, which it then decompresses from where it lies
// (no copy of the compressed bytes into the decoder); otherwise a plain buffer.
let readBuffer = new Uint8Array(0);
const headBuffer = new Uint8Array(64);
function readAt(path, offset, length) {
  const fd = fs.openSync(path, "r");
  try {
    const buf = readTarget(fd, offset, length);
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
// Where the chunk record at `offset` is read to: its compression field (opcode, length, start,
// end, size, CRC, name length, name) says which decoder's memory.
function readTarget(fd, offset, length) {
  const head = headBuffer.subarray(0, fs.readSync(fd, headBuffer, 0, Math.min(length, headBuffer.byteLength), offset));
  let M;
  if (head.byteLength >= 45) {
    const nameLength = new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(37, true);
    const name = nameLength === 3 || nameLength === 4 ? utf8dec.decode(head.subarray(41, 41 + nameLength)) : "";
    M = name === "lz4" ? lz4Module : name === "zstd" ? zstdModule : undefined;
    if (M) {
      try {
        const ptr = region(M, name + ".src", length);
        return M.HEAPU8.subarray(ptr, ptr + length);
      } catch {
        // no room in that memory: a plain buffer, copied in by the decoder as before
      }
    }
  }
  if (readBuffer.byteLength < length) readBuffer = new Uint8Array(Math.max(length, 2 * readBuffer.byteLength));
  return readBuffer.subarray(0, length);
}
const utf8dec = new TextDecoder();

const decompress = {
  zstd: (bytes, size) => decompressZstd(bytes, Number(size)),
  lz4: (bytes, size) => decompressLz4(bytes, Number(size)),
};

function unpack(job) {
  const record = readAt(job.path, job.offset, job.length);
  const records = unpackChunk(record, job.validate, decompress, crc32);
  const { skeleton, parts, partAt } = split(records, job.partMin);
  return [{ id: job.id, kind: "records", records: skeleton, parts, partAt }, [skeleton.buffer, ...parts.map((p) => p.buffer)]];
}

// Decompression straight into a region of WebAssembly memory kept from chunk to chunk, through
// the same emscripten builds the @foxglove packages load (their own functions allocate and copy
// out a fresh buffer per call, which on camera logs costs more than decompressing). The result is
// a view into that memory, valid until the next chunk; split() copies out what leaves the worker.
// The compressed bytes are read from the file into that memory too (readAt), so they are not
// copied in. Where the builds do not load that way, the packages' functions do the work.
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
// The address of `src` if readAt put it in region `name` of M's memory, else -1. Taken before the
// output region is sized: growing the memory detaches `src` as a view, but not its bytes.
function inHeap(M, src, name) {
  const r = regions.get(name);
  return r && src.buffer === M.HEAPU8.buffer && src.byteOffset >= r.ptr && src.byteOffset + src.byteLength <= r.ptr + r.size ? src.byteOffset : -1;
}
function decompressZstd(src, size) {
  const M = zstdModule;
  if (!M) return wasmZstd.decompress(src, size);
  const length = src.byteLength; // before sizing the output, which may detach `src`
  let from = inHeap(M, src, "zstd.src");
  const d = region(M, "zstd.dst", size);
  if (from < 0) M.HEAPU8.set(src, (from = region(M, "zstd.src", length)));
  const n = M._decompress(d, size, from, length);
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
  const length = src.byteLength; // before sizing the output, which may detach `src`
  let from = inHeap(M, src, "lz4.src");
  const d = region(M, "lz4.dst", size);
  if (from < 0) M.HEAPU8.set(src, (from = region(M, "lz4.src", length)));
  const n = M._decompressFrame(lz4Context, d, size, from, length);
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
  } catch {
    return undefined; // the package's own functions, below
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
