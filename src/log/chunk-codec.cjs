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

module.exports = { ADAPTIVE, sampleOf, packAdaptive, unpackChunk, HEADER };
