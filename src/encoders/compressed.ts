// sensor_msgs/CompressedImage → Image (decoded with sharp), then the pixels column through the
// same area-averaging encoder as raw images. Formats: "jpeg"/"jpg", "png", and image_transport's
// "<encoding>; <jpeg|png> compressed <encoding>" (as rosbag2 records it). JPEG and PNG files carry
// their own colour order, so the decoded image is true colour whatever the format string says
// about bgr8; it comes back as rgb8, mono8 (grey files) or mono16 (16-bit grey PNG, the host's
// byte order). Alpha is dropped.
import sharp, { type OutputInfo } from "sharp";
import type { PixelsColumnSpec } from "../omnitoken/card-types.ts";
import type { CompressedImage, Image } from "../messages/types.ts";
import { EncodeError } from "./errors.ts";
import { encodeImage } from "./image.ts";

export type CompressedFormat = "jpeg" | "png";

const SUPPORTED = `"jpeg", "png", or image_transport's "rgb8; jpeg compressed bgr8" / "bgr8; png compressed bgr8"`;
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** The codec a CompressedImage.format names; throws EncodeError for anything else. */
export function compressedFormat(format: string): CompressedFormat {
  const parts = format.toLowerCase().split(";").map((s) => s.trim());
  // image_transport: "<original encoding>; <codec> compressed <target encoding>".
  const codecPart = parts.length > 1 ? parts[1]! : parts[0]!;
  if (codecPart.startsWith("compresseddepth")) {
    throw new EncodeError("compressed image", `format ${JSON.stringify(format)} is a compressedDepth image (depth maps are not a pixels column); expected ${SUPPORTED}`);
  }
  const codec = codecPart.split(/\s+/)[0];
  if (codec === "jpeg" || codec === "jpg") return "jpeg";
  if (codec === "png") return "png";
  throw new EncodeError("compressed image", `format ${JSON.stringify(format)} is not supported; expected ${SUPPORTED}`);
}

/** Decodes a CompressedImage to a raw Image (same header). Corrupt or mislabelled data → EncodeError. */
export async function decodeCompressedImage(msg: CompressedImage): Promise<Image> {
  const declared = compressedFormat(msg.format);
  const what = `${declared} data (${msg.data.length} bytes)`;
  let decoded: { data: Buffer; info: OutputInfo };
  let wide = false;
  try {
    // failOn "warning": a truncated JPEG is an error, not a half-grey frame.
    const meta = await sharp(msg.data, { failOn: "warning" }).metadata();
    if (meta.format !== declared) {
      throw new EncodeError("compressed image", `format says ${declared}, but the data is ${meta.format ?? "of an unknown format"}`);
    }
    const grey = meta.channels === 1 || meta.channels === 2 || meta.space === "b-w" || meta.space === "grey16";
    wide = grey && meta.depth === "ushort";
    let pipeline = sharp(msg.data, { failOn: "warning" }).removeAlpha();
    if (wide) pipeline = pipeline.toColourspace("grey16").raw({ depth: "ushort" });
    else if (grey) pipeline = pipeline.toColourspace("b-w").raw();
    else pipeline = pipeline.toColourspace("srgb").raw();
    decoded = await pipeline.toBuffer({ resolveWithObject: true });
  } catch (err) {
    if (err instanceof EncodeError) throw err;
    throw new EncodeError("compressed image", `corrupt ${what}: ${(err as Error).message.split("\n")[0]}`);
  }
  const { width, height, channels } = decoded.info;
  const encoding = wide ? "mono16" : channels === 1 ? "mono8" : "rgb8";
  const bytes = wide ? 2 : 1;
  const data = new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.length);
  return {
    header: { stamp: { ...msg.header.stamp }, frame_id: msg.header.frame_id },
    height,
    width,
    encoding,
    is_bigendian: wide && !LITTLE_ENDIAN ? 1 : 0,
    step: width * channels * bytes,
    data,
  };
}

/** decodeCompressedImage, then encodeImage into the card's pixels column. */
export async function encodeCompressedImage(msg: CompressedImage, spec: PixelsColumnSpec, out?: Float32Array): Promise<Float32Array> {
  return encodeImage(await decodeCompressedImage(msg), spec, out);
}
