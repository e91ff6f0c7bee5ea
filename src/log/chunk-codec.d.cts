// Types of chunk-codec.cjs (shared by the main thread and the chunk worker threads).

/** A chunk's bytes as a chunk record stores them. */
export interface PackedChunk {
  compression: string;
  compressedData: Uint8Array;
}

/** Adaptive compression's figures. */
export declare const ADAPTIVE: Readonly<{
  /** A chunk whose compressed size is more than this fraction of its own is stored raw. */
  rawAbove: number;
  /** Chunks of at least this many bytes are judged by a sample first. */
  sampleMinBytes: number;
  /** The sample: `slices` slices of `sliceBytes`, spread evenly over the chunk. */
  slices: number;
  sliceBytes: number;
  /** A sample compressed to more than this ratio skips the full compression. */
  sampleSkipAbove: number;
  /** Compression "auto": a sample compressed by zstd to more than this ratio makes the chunk lz4. */
  lz4Above: number;
}>;

/** Slices spread over `data` ([2i+1]/2n of the way through, for i < n), copied into `into`. */
export declare function sampleOf(data: Uint8Array, into: Uint8Array): Uint8Array;

/** `compress(data)` unless that does not pay; then `data` itself, as compression "". */
export declare function packAdaptive(
  data: Uint8Array,
  compress: (data: Uint8Array) => PackedChunk,
  sample: ((sample: Uint8Array) => { length: number }) | undefined,
  scratch: () => Uint8Array,
): PackedChunk;

/** Compression "auto": zstd, or lz4 for a chunk whose sample zstd cannot halve; raw (with
 * `adaptive`) for one that does not compress. Without `lz4`, zstd does every chunk. */
export declare function packAuto(
  data: Uint8Array,
  zstd: (data: Uint8Array) => PackedChunk,
  lz4: ((data: Uint8Array) => PackedChunk) | undefined,
  sample: (sample: Uint8Array) => { length: number },
  scratch: () => Uint8Array,
  adaptive: boolean,
): PackedChunk;

/** The most bytes `lz4Frame` writes for `n` bytes of input. */
export declare function lz4FrameBound(n: number): number;

/** `data` as one LZ4 frame of independent 256 KiB blocks, each from `compressBlock` (uncompressed
 * size u32 LE, then the raw LZ4 block: lz4-napi's compressSync), written into `out(bound)`;
 * returns a view into that buffer. */
export declare function lz4Frame(
  data: Uint8Array,
  compressBlock: (piece: Uint8Array) => Uint8Array,
  out: (bound: number) => Uint8Array,
): Uint8Array;

/** A chunk record → its records, decompressed and CRC-checked (raw chunks: a view into `record`). */
export declare function unpackChunk(
  record: Uint8Array,
  validate: boolean,
  decompress: { readonly [compression: string]: (data: Uint8Array, uncompressedSize: bigint) => Uint8Array },
  crc32: ((data: Uint8Array) => number) | undefined,
): Uint8Array;

/** A record's opcode and length: 9 bytes. */
export declare const HEADER: number;
