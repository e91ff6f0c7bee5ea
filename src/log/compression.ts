// Chunk compression for MCAP: zstd (rosbag2's default, and the fastest here: @foxglove/wasm-zstd
// compresses a camera chunk several times faster than pure-JS lz4) and lz4 (lz4js to write,
// @foxglove/wasm-lz4 to read). The wasm modules load asynchronously: `await loadCodecs()` once
// before using anything here.
import lz4js from "lz4js";
import lz4Decompress from "@foxglove/wasm-lz4";
import * as zstd from "@foxglove/wasm-zstd";
import type { DecompressHandlers } from "@mcap/core";

export type Compression = "zstd" | "lz4" | "none";
export const COMPRESSIONS: readonly Compression[] = ["zstd", "lz4", "none"];

let loaded: Promise<void> | undefined;

export function loadCodecs(): Promise<void> {
  loaded ??= Promise.all([zstd.isLoaded, lz4Decompress.isLoaded]).then(() => undefined);
  return loaded;
}

/** The `compressChunk` function an MCAP writer takes; undefined for "none". `level` is zstd's
 * (negative levels trade ratio for speed). */
export function chunkCompressor(
  compression: Compression,
  level = 1,
): ((data: Uint8Array) => { compression: string; compressedData: Uint8Array }) | undefined {
  switch (compression) {
    case "zstd":
      return (data) => ({ compression: "zstd", compressedData: zstd.compress(data, level) });
    case "lz4":
      return (data) => ({ compression: "lz4", compressedData: Uint8Array.from(lz4js.compress(data)) });
    case "none":
      return undefined;
  }
}

/** Decompression for every chunk compression the MCAP spec names (rosbag2 writes zstd). */
export const decompressHandlers: DecompressHandlers = {
  zstd: (buffer, size) => zstd.decompress(buffer, Number(size)),
  lz4: (buffer, size) => lz4Decompress(buffer, Number(size)),
};
