// What the main thread (compression.ts, mcap-scan.ts) and the chunk worker threads
// (chunk-worker.cjs) both do to chunks, written once: adaptive compression's decision, and a chunk
// record's unpacking (fields, decompression, size and CRC checks, error texts). Plain CommonJS
// without dependencies, because worker threads do not inherit the TypeScript loader the installed
// CLI runs through; the codecs themselves are passed in. Types: chunk-codec.d.cts.
"use strict";

/** Adaptive compression's figures. */
const ADAPTIVE = Object.freeze({
  // A chunk whose compressed size is more than this fraction of its own is stored raw.
  rawAbove: 0.9,
  // Chunks of at least this many bytes are judged by a sample first; smaller ones are compressed
  // whole and then judged (a sample would be a large part of them).
  sampleMinBytes: 256 * 1024,
  // The sample: this many slices of this many bytes, spread evenly over the chunk, compressed as
  // one buffer (at the chunk's zstd level, at most 1). 64 KiB: 1.6% of a 4 MiB chunk's
  // compression, paid on every chunk that does compress.
  slices: 4,
  sliceBytes: 16 * 1024,
  // A sample compresses worse than its whole chunk (zstd finds fewer matches in less history: on
  // camera noise, 0.67 for a chunk's 0.60, 0.90 for 0.83, 0.95 for 0.91), so it skips the full
  // compression only above this ratio, where the chunk would be stored raw anyway.
  sampleSkipAbove: 0.95,
  // Compression "auto" (the recorder's default): a chunk whose sample zstd cannot even halve is
  // compressed with lz4 instead. Such data (camera frames with sensor noise: a sample at 0.67)
  // is entropy-bound, where zstd's edge is its entropy coding, paid again on every replay: on
  // noisy 640×480 frames lz4 decompresses ~3× as fast (WebAssembly: ~2 GB/s a core against
  // ~0.7) and compresses about as fast, for chunks ~1.3× as large (0.77 of raw against 0.60).
  // Below this ratio (rendered frames, joint states, text), zstd's matches win outright and it
  // stays.
  lz4Above: 0.5,
});

/** Slices spread over `data` ([2i+1]/2n of the way through, for i < n), copied into `into`. */
function sampleOf(data, into) {
  const { slices, sliceBytes } = ADAPTIVE;
  for (let i = 0; i < slices; i++) {
    const at = Math.floor(((2 * i + 1) * data.byteLength) / (2 * slices)) - sliceBytes / 2;
    into.set(data.subarray(at, at + sliceBytes), i * sliceBytes);
  }
  return into.subarray(0, slices * sliceBytes);
}

/** `compress(data)` unless that does not pay; then `data` itself, as compression "". With a
 * `sample` compressor (the same codec, at most zstd level 1), a chunk of `sampleMinBytes` or more
 * whose sample does not compress is not compressed at all. */
function packAdaptive(data, compress, sample, scratch) {
  if (sample && data.byteLength >= ADAPTIVE.sampleMinBytes) {
    const s = sampleOf(data, scratch());
    if (sample(s).length > ADAPTIVE.sampleSkipAbove * s.byteLength) return { compression: "", compressedData: data };
  }
  const packed = compress(data);
  if (packed.compression !== "" && packed.compressedData.byteLength > ADAPTIVE.rawAbove * data.byteLength) {
    return { compression: "", compressedData: data };
  }
  return packed;
}

/** Compression "auto": zstd, or lz4 where a sample says the chunk is entropy-bound (ADAPTIVE.lz4Above),
 * and — with `adaptive` — raw where it does not compress (as packAdaptive). `lz4` may be undefined
 * (no fast lz4 here): zstd then does every chunk. Small chunks are not sampled: zstd. */
function packAuto(data, zstd, lz4, sample, scratch, adaptive) {
  if (!lz4 || data.byteLength < ADAPTIVE.sampleMinBytes) return adaptive ? packAdaptive(data, zstd, sample, scratch) : zstd(data);
  const s = sampleOf(data, scratch());
  const ratio = sample(s).length / s.byteLength;
  if (adaptive && ratio > ADAPTIVE.sampleSkipAbove) return { compression: "", compressedData: data };
  const packed = ratio > ADAPTIVE.lz4Above ? lz4(data) : zstd(data);
  if (adaptive && packed.compression !== "" && packed.compressedData.byteLength > ADAPTIVE.rawAbove * data.byteLength) {
    return { compression: "", compressedData: data };
  }
  return packed;
}

// LZ4 frames (the format MCAP's "lz4" names, LZ4's frame format v1.6.x) assembled from independent
// 256 KiB blocks, each compressed by a block compressor — lz4-napi's compressSync, which prepends
// the block's uncompressed size (4 bytes LE) to the raw LZ4 block. lz4-napi's own frame encoder
// grows its output as it goes, and here, where fresh memory costs a page fault per 4 KiB, that
// makes it ~1.5× slower than compressing blocks of a known bound into a buffer kept from chunk to
// chunk. Any LZ4 frame decoder reads the result (LZ4's C library, lz4_flex, the lz4 CLI).
const LZ4_BLOCK = 256 * 1024;
const LZ4_BD = 5 << 4; // block maximum size 256 KiB
const LZ4_FLG = 0x60; // version 01, blocks independent, no checksums, no content size
/** xxHash32 (seed 0) of a few bytes: the frame descriptor's header checksum. */
function xxh32(bytes) {
  const P1 = 2654435761;
  const P2 = 2246822519;
  const P3 = 3266489917;
  const P5 = 374761393;
  let h = (P5 + bytes.length) >>> 0;
  for (const v of bytes) {
    h = (h + Math.imul(v, P5)) >>> 0;
    h = Math.imul((h << 11) | (h >>> 21), P1) >>> 0;
  }
  h ^= h >>> 15;
  h = Math.imul(h, P2) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, P3) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}
const LZ4_HEADER = Uint8Array.of(0x04, 0x22, 0x4d, 0x18, LZ4_FLG, LZ4_BD, (xxh32(Uint8Array.of(LZ4_FLG, LZ4_BD)) >>> 8) & 0xff);

/** The most bytes `lz4Frame` writes for `n` bytes of input (blocks that do not shrink are stored). */
function lz4FrameBound(n) {
  return LZ4_HEADER.length + n + 4 * Math.ceil(n / LZ4_BLOCK) + 4;
}

/** `data` as one LZ4 frame, written into `out()` (called with the bound; may return a buffer kept
 * from call to call); returns the frame, a view into that buffer. `compressBlock(piece)` gives the
 * piece's uncompressed size (u32 LE) followed by its raw LZ4 block. A block that does not shrink
 * is stored uncompressed, as the format allows. */
function lz4Frame(data, compressBlock, out) {
  const dst = out(lz4FrameBound(data.byteLength));
  const v = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  dst.set(LZ4_HEADER, 0);
  let o = LZ4_HEADER.length;
  for (let at = 0; at < data.byteLength; at += LZ4_BLOCK) {
    const piece = data.subarray(at, Math.min(data.byteLength, at + LZ4_BLOCK));
    const block = compressBlock(piece);
    const n = block.byteLength - 4;
    if (n <= 0 || n >= piece.byteLength || new DataView(block.buffer, block.byteOffset, 4).getUint32(0, true) !== piece.byteLength) {
      v.setUint32(o, (piece.byteLength | 0x80000000) >>> 0, true);
      dst.set(piece, o + 4);
      o += 4 + piece.byteLength;
    } else {
      v.setUint32(o, n, true);
      dst.set(block.subarray(4), o + 4);
      o += 4 + n;
    }
  }
  v.setUint32(o, 0, true); // EndMark
  return dst.subarray(0, o + 4);
}

const HEADER = 9; // opcode u8 + length u64
const utf8 = new TextDecoder();

/** A chunk record (opcode and length included) → its records, decompressed and CRC-checked.
 * `decompress` maps a compression name to a function (bytes, uncompressed size) → records; a
 * chunk stored raw ("") is returned as a view into `record`, untouched. */
function unpackChunk(record, validate, decompress, crc32) {
  const v = new DataView(record.buffer, record.byteOffset, record.byteLength);
  let o = HEADER + 16; // start and end times
  const uncompressedSize = v.getBigUint64(o, true);
  const expectedCrc = v.getUint32(o + 8, true);
  o += 12;
  const nameLength = v.getUint32(o, true);
  const compression = utf8.decode(record.subarray(o + 4, o + 4 + nameLength));
  o += 4 + nameLength;
  const recordsLength = Number(v.getBigUint64(o, true));
  o += 8;
  if (o + recordsLength !== record.byteLength) {
    throw new Error(`chunk records length ${recordsLength} does not fit the chunk record (${record.byteLength - o} bytes left)`);
  }
  let records = record.subarray(o);
  if (compression !== "") {
    if (!Object.hasOwn(decompress, compression)) throw new Error(`unsupported chunk compression "${compression}"`);
    records = decompress[compression](records, uncompressedSize);
  }
  if (BigInt(records.byteLength) !== uncompressedSize) {
    throw new Error(`chunk decompressed to ${records.byteLength} bytes, its header says ${uncompressedSize}`);
  }
  if (validate && expectedCrc !== 0 && crc32 !== undefined) {
    const actual = crc32(records);
    if (actual !== expectedCrc) throw new Error(`Incorrect chunk CRC ${actual} (expected ${expectedCrc})`);
  }
  return records;
}

module.exports = { ADAPTIVE, sampleOf, packAdaptive, packAuto, lz4Frame, lz4FrameBound, unpackChunk, HEADER };
