import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EncodeError } from "../../src/encoders/errors.ts";
import { encodeImage, SUPPORTED_IMAGE_ENCODINGS } from "../../src/encoders/image.ts";
import { axisPlan, bestRowSumMethod, type RowSumMethod } from "../../src/encoders/resize.ts";
import { image } from "../../src/messages/make.ts";
import type { Image } from "../../src/messages/types.ts";
import { pixelsSpec, randomBytes } from "./helpers.ts";

const BPP: Record<string, number> = { rgb8: 3, bgr8: 3, rgba8: 4, bgra8: 4, mono8: 1, mono16: 2 };

/** One source pixel as [r, g, b] or [grey] in [0, 1], read the obvious way. */
function pixel(msg: Image, x: number, y: number): number[] {
  const p = y * msg.step + x * BPP[msg.encoding]!;
  const d = msg.data;
  switch (msg.encoding) {
    case "rgb8":
    case "rgba8":
      return [d[p]! / 255, d[p + 1]! / 255, d[p + 2]! / 255];
    case "bgr8":
    case "bgra8":
      return [d[p + 2]! / 255, d[p + 1]! / 255, d[p]! / 255];
    case "mono8":
      return [d[p]! / 255];
    case "mono16":
      return [(msg.is_bigendian ? d[p]! * 256 + d[p + 1]! : d[p + 1]! * 256 + d[p]!) / 65535];
    default:
      throw new Error(msg.encoding);
  }
}

/** The box filter by its definition: each source pixel weighs by its overlap area with the output
 * pixel's footprint, in floating point, then the card's channel conversion. */
function reference(msg: Image, H: number, W: number, C: number): Float64Array {
  const out = new Float64Array(H * W * C);
  const sx = msg.width / W;
  const sy = msg.height / H;
  for (let oy = 0; oy < H; oy++) {
    for (let ox = 0; ox < W; ox++) {
      const [x0, x1, y0, y1] = [ox * sx, (ox + 1) * sx, oy * sy, (oy + 1) * sy];
      let acc: number[] = [];
      for (let y = Math.floor(y0); y < Math.ceil(y1); y++) {
        for (let x = Math.floor(x0); x < Math.ceil(x1); x++) {
          const area = (Math.min(x + 1, x1) - Math.max(x, x0)) * (Math.min(y + 1, y1) - Math.max(y, y0));
          const v = pixel(msg, x, y);
          acc = v.map((c, i) => (acc[i] ?? 0) + area * c);
        }
      }
      const mean = acc.map((a) => a / (sx * sy));
      const rgb = mean.length === 3 ? mean : [mean[0]!, mean[0]!, mean[0]!];
      const vals = C === 3 ? rgb : [mean.length === 3 ? 0.299 * rgb[0]! + 0.587 * rgb[1]! + 0.114 * rgb[2]! : mean[0]!];
      vals.forEach((v, c) => (out[(oy * W + ox) * C + c] = v));
    }
  }
  return out;
}

const METHODS: RowSumMethod[] = ["simd", "swar", "scalar"];

function assertClose(actual: Float32Array, expected: Float64Array, tol = 2e-6, what = ""): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    if (!(Math.abs(actual[i]! - expected[i]!) <= tol)) assert.fail(`${what} index ${i}: got ${actual[i]}, expected ${expected[i]} (±${tol})`);
  }
}

/** A random image; `pad` extra bytes per row, `offset` bytes before the data in its buffer. */
function randomImage(encoding: string, width: number, height: number, opts: { pad?: number; offset?: number; seed?: number; bigEndian?: boolean } = {}): Image {
  const step = width * BPP[encoding]! + (opts.pad ?? 0);
  const offset = opts.offset ?? 0;
  const bytes = randomBytes(opts.seed ?? width * 31 + height, step * height + offset);
  return image({ width, height, encoding, step, is_bigendian: opts.bigEndian ? 1 : 0, data: bytes.subarray(offset) });
}

describe("encodeImage", () => {
  for (const encoding of SUPPORTED_IMAGE_ENCODINGS) {
    for (const C of [3, 1] as const) {
      it(`${encoding} → ${C} channel(s) matches the reference box filter (odd, padded, unaligned, up- and downsampled)`, () => {
        const cases: [number, number, number, number, { pad?: number; offset?: number }][] = [
          [7, 5, 3, 3, {}], // odd: fractional footprints on both axes
          [7, 5, 3, 3, { pad: 3 }], // padded rows
          [40, 30, 8, 6, { offset: 1 }], // integer ratio, data not 4-byte aligned
          [13, 11, 4, 5, { pad: 1, offset: 2 }],
          [3, 2, 8, 5, {}], // upsampling
          [64, 48, 64, 48, { pad: 4 }], // identity size
        ];
        for (const [w, h, W, H, opts] of cases) {
          const msg = randomImage(encoding, w, h, opts);
          const spec = pixelsSpec(H, W, C);
          const expected = reference(msg, H, W, C);
          // Every row-summing method: wasm SIMD, JS SWAR, and byte by byte (big-endian hosts).
          for (const method of METHODS) assertClose(encodeImage(msg, spec, undefined, { method }), expected, 2e-6, `${w}×${h} → ${W}×${H} ${method}`);
        }
      });
    }
  }

  it("640×480 rgb8 → 32×32×3, the control loop's case, by every method", () => {
    const msg = randomImage("rgb8", 640, 480, { seed: 7 });
    const expected = reference(msg, 32, 32, 3);
    for (const method of METHODS) assertClose(encodeImage(msg, pixelsSpec(32, 32, 3), undefined, { method }), expected, 2e-6, method);
  });

  it("runs WebAssembly SIMD by default on Node 20", () => {
    assert.equal(bestRowSumMethod(), "simd");
  });

  it("reads mono16 by is_bigendian", () => {
    const data = new Uint8Array(8);
    for (let i = 0; i < 8; i += 2) [data[i], data[i + 1]] = [0x12, 0x34];
    const spec = pixelsSpec(1, 1, 1);
    const big = encodeImage(image({ width: 2, height: 2, encoding: "mono16", is_bigendian: 1, data }), spec);
    const little = encodeImage(image({ width: 2, height: 2, encoding: "mono16", is_bigendian: 0, data }), spec);
    assert.equal(big[0], Math.fround(0x1234 / 65535));
    assert.equal(little[0], Math.fround(0x3412 / 65535));
  });

  it("keeps a white image at exactly 1 and black at 0, through more rows than a lane holds", () => {
    // 600 rows into one output row: the 16-bit lanes must flush (257 rows of 255 at most).
    const white = image({ width: 20, height: 600, encoding: "mono8", data: new Uint8Array(12000).fill(255) });
    const wide = image({ width: 4, height: 600, encoding: "mono16", data: new Uint8Array(4800).fill(255) });
    for (const method of METHODS) {
      assert.deepEqual(Array.from(encodeImage(white, pixelsSpec(1, 2, 1), undefined, { method })), [1, 1], method);
      assert.deepEqual(Array.from(encodeImage(wide, pixelsSpec(1, 1, 3), undefined, { method })), [1, 1, 1], method);
    }
    const black = image({ width: 5, height: 3, encoding: "bgra8" });
    assert.deepEqual(Array.from(encodeImage(black, pixelsSpec(2, 2, 3))), new Array(12).fill(0));
  });

  it("averages exactly on a hand-checked 2×2 → 1×1 case, alpha ignored", () => {
    // Pixels (r,g,b,a): (0,0,0,9) (255,0,0,9) (0,255,0,9) (255,255,255,9).
    const data = Uint8Array.of(0, 0, 0, 9, 255, 0, 0, 9, 0, 255, 0, 9, 255, 255, 255, 9);
    const out = encodeImage(image({ width: 2, height: 2, encoding: "rgba8", data }), pixelsSpec(1, 1, 3));
    assert.deepEqual(Array.from(out), [0.5, 0.5, 0.25]);
  });

  it("writes into the caller's array and refuses one of the wrong length", () => {
    const msg = randomImage("rgb8", 8, 8);
    const spec = pixelsSpec(4, 4, 3);
    const out = new Float32Array(48);
    assert.equal(encodeImage(msg, spec, out), out);
    assert.throws(() => encodeImage(msg, spec, new Float32Array(47)), { name: "EncodeError", message: "cannot encode image: the output array has 47 entries, the card's column needs 48" });
  });

  it("rejects an unknown encoding, listing the supported ones", () => {
    const msg = { ...randomImage("rgb8", 4, 4), encoding: "16UC1" };
    assert.throws(() => encodeImage(msg, pixelsSpec(2, 2, 3)), (err: unknown) => {
      assert.ok(err instanceof EncodeError);
      assert.equal(err.message, `cannot encode image: encoding "16UC1" is not supported; supported: rgb8, bgr8, rgba8, bgra8, mono8, mono16`);
      return true;
    });
  });

  it("rejects short data, a short step, an empty image and a spec whose width disagrees", () => {
    const msg = randomImage("rgb8", 4, 4);
    assert.throws(() => encodeImage({ ...msg, data: msg.data.subarray(0, 47) }, pixelsSpec(2, 2, 3)), { message: "cannot encode image: data holds 47 bytes, step 12 × height 4 needs 48" });
    assert.throws(() => encodeImage({ ...msg, step: 11 }, pixelsSpec(2, 2, 3)), { message: "cannot encode image: step 11 is below width 4 × 3 bytes per pixel of rgb8 = 12" });
    assert.throws(() => encodeImage({ ...msg, width: 0 }, pixelsSpec(2, 2, 3)), { message: "cannot encode image: the image is 0×4; expected at least one pixel" });
    assert.throws(() => encodeImage(msg, { ...pixelsSpec(2, 2, 3), width: 11 }), { message: "cannot encode image: column pixels declares width 11, but its image is 2×2×3 = 12" });
  });
});

describe("axisPlan", () => {
  it("gives integer ratios weight-1 runs and fractional edges their overlap", () => {
    const even = axisPlan(640, 32);
    assert.equal(even.scale, 20);
    assert.deepEqual([even.fullStart[1], even.fullEnd[1], even.partIdx.length], [20, 40, 0]);
    const odd = axisPlan(7, 3); // output 0 covers [0, 7/3): pixels 0, 1 full, 2 by 1/3
    assert.deepEqual([odd.fullStart[0], odd.fullEnd[0]], [0, 2]);
    assert.deepEqual(Array.from(odd.partIdx.subarray(odd.partPtr[0], odd.partPtr[1])), [2]);
    assert.ok(Math.abs(odd.partWeight[0]! - 1 / 3) < 1e-15);
    // Each output's weights sum to the scale.
    for (let i = 0; i < 3; i++) {
      let sum = 0;
      for (let p = odd.ptr[i]!; p < odd.ptr[i + 1]!; p++) sum += odd.weight[p]!;
      assert.ok(Math.abs(sum - 7 / 3) < 1e-12);
    }
  });
});
