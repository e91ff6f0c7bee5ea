// Area-averaging (exact box filter) resampling, the image encoder's inner loops. Output sample i
// of m covers the source interval [i·n/m, (i+1)·n/m) of n samples; each source sample j covers
// [j, j+1) and weighs by its overlap with that interval, so fractional edges count fractionally.
// Overlaps are computed in integers (units of 1/m sample), so integer ratios get weights of exactly 1.
//
// The vertical pass sums source rows per output row into per-byte column sums; the horizontal pass
// (image.ts) then weighs those sums across columns. Rows of weight 1 — nearly all of them — are
// summed by the fastest method the runtime has: WebAssembly SIMD (simd.ts, 16 bytes at a time),
// else SWAR in JS (4 bytes per 32-bit word, two 16-bit lanes per mask), else byte by byte. Rows
// of fractional weight (at most two per output row) go through a scalar loop.
import { simdRowSums, type SimdRowSums } from "./simd.ts";

/** Weights of one axis, n source samples → m output samples. */
export interface AxisPlan {
  n: number;
  m: number;
  /** Source samples per output sample (n/m): the sum of each output's weights. */
  scale: number;
  /** All (source index, weight) pairs of output i: entries ptr[i] .. ptr[i+1]-1. */
  ptr: Int32Array;
  idx: Int32Array;
  weight: Float64Array;
  /** The source samples of weight exactly 1 for output i: [fullStart[i], fullEnd[i]). */
  fullStart: Int32Array;
  fullEnd: Int32Array;
  /** The fractional ones (at most two when downsampling): CSR like ptr/idx/weight. */
  partPtr: Int32Array;
  partIdx: Int32Array;
  partWeight: Float64Array;
}

export function axisPlan(n: number, m: number): AxisPlan {
  const ptr = new Int32Array(m + 1);
  const partPtr = new Int32Array(m + 1);
  const fullStart = new Int32Array(m);
  const fullEnd = new Int32Array(m);
  const idx: number[] = [];
  const weight: number[] = [];
  const partIdx: number[] = [];
  const partWeight: number[] = [];
  for (let i = 0; i < m; i++) {
    const lo = i * n; // output interval, in units of 1/m source sample
    const hi = (i + 1) * n;
    const first = Math.floor(lo / m);
    const last = Math.ceil(hi / m); // exclusive
    fullStart[i] = fullEnd[i] = first;
    for (let j = first; j < last; j++) {
      const overlap = Math.min((j + 1) * m, hi) - Math.max(j * m, lo);
      if (overlap <= 0) continue;
      idx.push(j);
      weight.push(overlap / m);
      if (overlap === m) {
        if (fullEnd[i] === fullStart[i]) fullStart[i] = j;
        fullEnd[i] = j + 1;
      } else {
        partIdx.push(j);
        partWeight.push(overlap / m);
      }
    }
    ptr[i + 1] = idx.length;
    partPtr[i + 1] = partIdx.length;
  }
  return {
    n,
    m,
    scale: n / m,
    ptr,
    idx: Int32Array.from(idx),
    weight: Float64Array.from(weight),
    fullStart,
    fullEnd,
    partPtr,
    partIdx: Int32Array.from(partIdx),
    partWeight: Float64Array.from(partWeight),
  };
}

const plans = new Map<string, AxisPlan>();
const MAX_PLANS = 64;

/** axisPlan, cached: the control loop resizes the same camera size every tick. */
export function cachedAxisPlan(n: number, m: number): AxisPlan {
  const key = `${n}:${m}`;
  let plan = plans.get(key);
  if (!plan) {
    if (plans.size >= MAX_PLANS) plans.clear(); // a bound, not an LRU: sizes rarely change
    plan = axisPlan(n, m);
    plans.set(key, plan);
  }
  return plan;
}

// ---- the vertical pass ------------------------------------------------------------------------

export type RowSumMethod = "simd" | "swar" | "scalar";

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
const LANES = 0x00ff00ff;
/** A 16-bit lane holds 257 × 255 = 65535: sum at most this many rows before flushing. */
const MAX_LANE_ROWS = 257;

/** The best method this runtime has. */
export function bestRowSumMethod(): RowSumMethod {
  return simdRowSums() ? "simd" : LITTLE_ENDIAN ? "swar" : "scalar";
}

/** The image rows, where the chosen method reads them, and where the column sums go. */
export interface RowSource {
  method: RowSumMethod;
  /** Row y starts at bytes[y · step]. */
  bytes: Uint8Array;
  step: number;
  rowBytes: number;
  /** simd: the kernel holding the rows. */
  simd: SimdRowSums | undefined;
  /** swar: the rows as 32-bit words (bytes' buffer, 4-byte aligned, step a multiple of 4). */
  words: Int32Array | undefined;
  /** Column sums of one output row; entries ≥ rowBytes are scratch. Float32 holds every integer
   * sum exactly (below 2^24: 65,793 rows of 255). */
  sums: Float32Array;
}

let alignedCopy = new ArrayBuffer(0);
let jsSums = new Float32Array(0);

/** Prepares the rows of `data` for `columnSums` (the method falls back to what the runtime has).
 * Copies the rows once when the method needs it:
 * simd always (into wasm memory); swar when the data's offset or step is not 4-byte aligned,
 * e.g. a view into a CDR message. Buffers are reused between calls. */
export function rowSource(data: Uint8Array, step: number, height: number, rowBytes: number, method = bestRowSumMethod()): RowSource {
  const simd = method === "simd" ? simdRowSums() : null;
  if (simd) {
    simd.load(data, step, height, rowBytes);
    return { method, bytes: simd.rows, step, rowBytes, simd, words: undefined, sums: simd.sums };
  }
  const sumLength = Math.ceil(rowBytes / 4) * 4;
  if (jsSums.length < sumLength) jsSums = new Float32Array(sumLength);
  const sums = jsSums.subarray(0, sumLength);
  if (method === "scalar" || !LITTLE_ENDIAN) return { method: "scalar", bytes: data, step, rowBytes, simd: undefined, words: undefined, sums };
  if (data.byteOffset % 4 === 0 && step % 4 === 0) {
    return { method: "swar", bytes: data, step, rowBytes, simd: undefined, words: new Int32Array(data.buffer, data.byteOffset, (step * height) / 4), sums };
  }
  const stride = sumLength;
  if (alignedCopy.byteLength < stride * height) alignedCopy = new ArrayBuffer(stride * height);
  const bytes = new Uint8Array(alignedCopy, 0, stride * height);
  if (stride === step) bytes.set(data.subarray(0, step * height));
  else for (let y = 0; y < height; y++) bytes.set(data.subarray(y * step, y * step + rowBytes), y * stride);
  return { method: "swar", bytes, step: stride, rowBytes, simd: undefined, words: new Int32Array(alignedCopy, 0, (stride * height) / 4), sums };
}

/** src.sums[k] = Σ_rows weight(row) · byte k of the row, over the source rows of output row `oy`. */
export function columnSums(src: RowSource, rows: AxisPlan, oy: number): Float32Array {
  const { bytes, step, rowBytes, sums } = src;
  sums.fill(0);
  const y0 = rows.fullStart[oy]!;
  const y1 = rows.fullEnd[oy]!;
  if (src.simd) src.simd.addRows(y0, y1);
  else if (src.words) swarRows(src.words, step / 4, y0, y1, Math.ceil(rowBytes / 4), sums);
  else for (let y = y0; y < y1; y++) addRow(bytes, y * step, 1, rowBytes, sums);
  for (let p = rows.partPtr[oy]!; p < rows.partPtr[oy + 1]!; p++) {
    addRow(bytes, rows.partIdx[p]! * step, rows.partWeight[p]!, rowBytes, sums);
  }
  return sums;
}

function swarRows(words: Int32Array, wordsPerRow: number, y0: number, y1: number, nWords: number, sums: Float32Array): void {
  for (let c0 = y0; c0 < y1; c0 += MAX_LANE_ROWS) {
    const count = Math.min(y1 - c0, MAX_LANE_ROWS);
    const first = c0 * wordsPerRow;
    // Two words per iteration: independent accumulators keep the CPU's adders busy.
    let j = 0;
    for (; j + 1 < nWords; j += 2) {
      let lo = 0;
      let hi = 0;
      let lo2 = 0;
      let hi2 = 0;
      let q = first + j;
      for (let r = 0; r < count; r++, q += wordsPerRow) {
        const w = words[q]!;
        const w2 = words[q + 1]!;
        lo = (lo + (w & LANES)) | 0;
        hi = (hi + ((w >>> 8) & LANES)) | 0;
        lo2 = (lo2 + (w2 & LANES)) | 0;
        hi2 = (hi2 + ((w2 >>> 8) & LANES)) | 0;
      }
      addLanes(sums, j * 4, lo, hi);
      addLanes(sums, j * 4 + 4, lo2, hi2);
    }
    if (j < nWords) {
      let lo = 0;
      let hi = 0;
      for (let r = 0, q = first + j; r < count; r++, q += wordsPerRow) {
        const w = words[q]!;
        lo = (lo + (w & LANES)) | 0;
        hi = (hi + ((w >>> 8) & LANES)) | 0;
      }
      addLanes(sums, j * 4, lo, hi);
    }
  }
}

/** Bytes 0 and 2 of a word were summed in `lo`'s two 16-bit lanes, bytes 1 and 3 in `hi`'s. */
function addLanes(sums: Float32Array, k: number, lo: number, hi: number): void {
  sums[k] = sums[k]! + (lo & 0xffff);
  sums[k + 1] = sums[k + 1]! + (hi & 0xffff);
  sums[k + 2] = sums[k + 2]! + (lo >>> 16);
  sums[k + 3] = sums[k + 3]! + (hi >>> 16);
}

function addRow(bytes: Uint8Array, base: number, w: number, rowBytes: number, sums: Float32Array): void {
  for (let k = 0; k < rowBytes; k++) sums[k] = sums[k]! + w * bytes[base + k]!;
}
