// sensor_msgs/Image → the pixels column: the card's H×W×C table, row-major (index (y·W + x)·C + c),
// values in [0, 1]. Any source size resamples by exact area averaging (resize.ts). Colour
// conversions: mono → replicated to 3 channels; colour → 1 channel by Rec. 601 luma
// (0.299 R + 0.587 G + 0.114 B, as OpenCV's RGB2GRAY); alpha is dropped. Both are linear, so they
// run after averaging, on the H×W result, not on every source pixel.
import type { PixelsColumnSpec } from "../omnitoken/card-types.ts";
import type { Image } from "../messages/types.ts";
import { EncodeError, outputArray } from "./errors.ts";
import { bestRowSumMethod, cachedAxisPlan, columnSums, rowSource, type AxisPlan, type RowSumMethod } from "./resize.ts";

interface SourceFormat {
  bytesPerPixel: number;
  /** Byte offsets of R, G, B within a pixel, or of the one grey value. */
  offsets: readonly number[];
  /** 16-bit samples (mono16): combine the two bytes per is_bigendian. */
  wide: boolean;
}

const FORMATS: Record<string, SourceFormat> = {
  rgb8: { bytesPerPixel: 3, offsets: [0, 1, 2], wide: false },
  bgr8: { bytesPerPixel: 3, offsets: [2, 1, 0], wide: false },
  rgba8: { bytesPerPixel: 4, offsets: [0, 1, 2], wide: false },
  bgra8: { bytesPerPixel: 4, offsets: [2, 1, 0], wide: false },
  mono8: { bytesPerPixel: 1, offsets: [0], wide: false },
  mono16: { bytesPerPixel: 2, offsets: [0], wide: true },
};

export const SUPPORTED_IMAGE_ENCODINGS: readonly string[] = Object.keys(FORMATS);

const LUMA = [0.299, 0.587, 0.114] as const;

// Reused between calls: the loop encodes a frame per tick, so this grows once to the largest width.
let wideSums = new Float32Array(0);

export interface EncodeImageOptions {
  /** How to sum rows; default the fastest this runtime has (tests compare all three). */
  method?: RowSumMethod;
}

/** Encodes `msg` into the card's pixels column; writes into `out` when given (length spec.width). */
export function encodeImage(msg: Image, spec: PixelsColumnSpec, out?: Float32Array, options: EncodeImageOptions = {}): Float32Array {
  const fmt = Object.hasOwn(FORMATS, msg.encoding) ? FORMATS[msg.encoding] : undefined;
  if (!fmt) throw new EncodeError("image", `encoding ${JSON.stringify(msg.encoding)} is not supported; supported: ${SUPPORTED_IMAGE_ENCODINGS.join(", ")}`);
  const { height: H, width: W, channels: C } = spec.image;
  if (spec.width !== H * W * C) throw new EncodeError("image", `column ${spec.name} declares width ${spec.width}, but its image is ${H}×${W}×${C} = ${H * W * C}`);
  const dst = outputArray("image", spec.width, out);
  const { width: srcW, height: srcH, step } = msg;
  if (!(srcW > 0 && srcH > 0)) throw new EncodeError("image", `the image is ${srcW}×${srcH}; expected at least one pixel`);
  const rowBytes = srcW * fmt.bytesPerPixel;
  if (step < rowBytes) throw new EncodeError("image", `step ${step} is below width ${srcW} × ${fmt.bytesPerPixel} bytes per pixel of ${msg.encoding} = ${rowBytes}`);
  if (msg.data.length < step * srcH) throw new EncodeError("image", `data holds ${msg.data.length} bytes, step ${step} × height ${srcH} needs ${step * srcH}`);

  const rows = cachedAxisPlan(srcH, H);
  const cols = cachedAxisPlan(srcW, W);
  const src = rowSource(msg.data, step, srcH, rowBytes, options.method ?? bestRowSumMethod());
  if (fmt.wide && wideSums.length < srcW) wideSums = new Float32Array(srcW);
  const stride = fmt.wide ? 1 : fmt.bytesPerPixel; // entries per source pixel in the sums read
  const maxValue = fmt.wide ? 65535 : 255;
  const norm = 1 / (rows.scale * cols.scale * maxValue);
  const hiByte = msg.is_bigendian ? 0 : 1;
  const loByte = 1 - hiByte;
  const layout: RowLayout = { stride, offsets: fmt.offsets, norm, channels: C };

  for (let oy = 0; oy < H; oy++) {
    let values = columnSums(src, rows, oy);
    if (fmt.wide) {
      // Sums are linear: Σ(256·hi + lo) = 256·Σhi + Σlo, so bytes combine after summing.
      for (let x = 0; x < srcW; x++) wideSums[x] = 256 * values[2 * x + hiByte]! + values[2 * x + loByte]!;
      values = wideSums;
    }
    if (fmt.offsets.length === 3) colorRow(values, cols, layout, dst, oy * W * C);
    else greyRow(values, cols, layout, dst, oy * W * C);
  }
  return dst;
}

interface RowLayout {
  /** Entries of `values` per source pixel. */
  stride: number;
  offsets: readonly number[];
  /** 1 / (source pixels per output pixel × the sample's maximum). */
  norm: number;
  /** The card's channels, 1 or 3. */
  channels: number;
}

// The horizontal pass, one output row: weigh the column sums across each output pixel's source
// columns (weight-1 range first, then the fractional edges). Colour and grey are separate
// functions so neither inner loop branches. min(1, …): rounding may land a hair above 1.

function colorRow(values: Float32Array, cols: AxisPlan, l: RowLayout, dst: Float32Array, o: number): void {
  const { stride, norm } = l;
  const o0 = l.offsets[0]!;
  const o1 = l.offsets[1]!;
  const o2 = l.offsets[2]!;
  for (let ox = 0; ox < cols.m; ox++) {
    let r = 0;
    let g = 0;
    let b = 0;
    for (let p = cols.fullStart[ox]! * stride, end = cols.fullEnd[ox]! * stride; p < end; p += stride) {
      r += values[p + o0]!;
      g += values[p + o1]!;
      b += values[p + o2]!;
    }
    for (let k = cols.partPtr[ox]!, end = cols.partPtr[ox + 1]!; k < end; k++) {
      const p = cols.partIdx[k]! * stride;
      const w = cols.partWeight[k]!;
      r += w * values[p + o0]!;
      g += w * values[p + o1]!;
      b += w * values[p + o2]!;
    }
    if (l.channels === 3) {
      dst[o++] = Math.min(1, r * norm);
      dst[o++] = Math.min(1, g * norm);
      dst[o++] = Math.min(1, b * norm);
    } else {
      dst[o++] = Math.min(1, (LUMA[0] * r + LUMA[1] * g + LUMA[2] * b) * norm);
    }
  }
}

function greyRow(values: Float32Array, cols: AxisPlan, l: RowLayout, dst: Float32Array, o: number): void {
  const { stride, norm } = l;
  const o0 = l.offsets[0]!;
  for (let ox = 0; ox < cols.m; ox++) {
    let v = 0;
    for (let p = cols.fullStart[ox]! * stride, end = cols.fullEnd[ox]! * stride; p < end; p += stride) v += values[p + o0]!;
    for (let k = cols.partPtr[ox]!, end = cols.partPtr[ox + 1]!; k < end; k++) v += cols.partWeight[k]! * values[cols.partIdx[k]! * stride + o0]!;
    v = Math.min(1, v * norm);
    dst[o++] = v;
    if (l.channels === 3) {
      dst[o++] = v;
      dst[o++] = v;
    }
  }
}
