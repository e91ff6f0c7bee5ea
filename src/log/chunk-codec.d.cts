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

/** A chunk record → its records, decompressed and CRC-checked (raw chunks: a view into `record`). */
export declare function unpackChunk(
  record: Uint8Array,
  validate: boolean,
  decompress: { readonly [compression: string]: (data: Uint8Array, uncompressedSize: bigint) => Uint8Array },
  crc32: ((data: Uint8Array) => number) | undefined,
): Uint8Array;

/** A record's opcode and length: 9 bytes. */
export declare const HEADER: number;
