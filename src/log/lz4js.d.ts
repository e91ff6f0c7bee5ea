// lz4js ships no types; the two functions omniloop uses (LZ4 frame format, as MCAP's "lz4").
declare module "lz4js" {
  export function compress(data: Uint8Array, maxSize?: number): Uint8Array | number[];
  export function decompress(data: Uint8Array, maxSize?: number): Uint8Array | number[];
  const lz4js: { compress: typeof compress; decompress: typeof decompress };
  export default lz4js;
}
