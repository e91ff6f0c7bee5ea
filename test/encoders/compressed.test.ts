import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PNG } from "pngjs";
import sharp from "sharp";
import { compressedFormat, decodeCompressedImage, encodeCompressedImage } from "../../src/encoders/compressed.ts";
import { encodeImage } from "../../src/encoders/image.ts";
import { compressedImage, image } from "../../src/messages/make.ts";
import { pixelsSpec, randomBytes } from "./helpers.ts";

const W = 40;
const H = 30;
const stamped = { stamp: { sec: 5, nanosec: 6 }, frame_id: "camera" };

/** A smooth rgb8 gradient (JPEG's friendly case) and its raw Image. */
function gradient(): Uint8Array {
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = (y * W + x) * 3;
      [data[p], data[p + 1], data[p + 2]] = [Math.round((x / W) * 255), Math.round((y / H) * 255), 128];
    }
  }
  return data;
}

const raw = (data: Uint8Array, channels: 1 | 3 | 4) => sharp(data, { raw: { width: W, height: H, channels } });

describe("decodeCompressedImage", () => {
  it("round-trips a PNG made by sharp bit-exactly, under every format spelling", async () => {
    const pixels = randomBytes(3, W * H * 3);
    const png = new Uint8Array(await raw(pixels, 3).png().toBuffer());
    for (const format of ["png", "PNG", "rgb8; png compressed bgr8", "bgr8; png compressed bgr8"]) {
      const img = await decodeCompressedImage(compressedImage(format, png, stamped));
      assert.deepEqual({ ...img, data: undefined }, { header: { stamp: { sec: 5, nanosec: 6 }, frame_id: "camera" }, height: H, width: W, encoding: "rgb8", is_bigendian: 0, step: W * 3, data: undefined });
      assert.deepEqual(img.data, pixels);
    }
  });

  it("drops a PNG's alpha", async () => {
    const rgba = randomBytes(4, W * H * 4);
    const img = await decodeCompressedImage(compressedImage("png", new Uint8Array(await raw(rgba, 4).png().toBuffer())));
    assert.equal(img.encoding, "rgb8");
    for (let i = 0; i < W * H; i++) assert.deepEqual(Array.from(img.data.subarray(i * 3, i * 3 + 3)), Array.from(rgba.subarray(i * 4, i * 4 + 3)));
  });

  it("decodes grey PNGs to mono8 and 16-bit grey to mono16", async () => {
    const grey = randomBytes(5, W * H);
    const png8 = new PNG({ width: W, height: H, colorType: 0, inputColorType: 0, inputHasAlpha: false });
    png8.data = Buffer.from(grey);
    const img8 = await decodeCompressedImage(compressedImage("png", new Uint8Array(PNG.sync.write(png8, { colorType: 0, inputColorType: 0, inputHasAlpha: false }))));
    assert.equal(img8.encoding, "mono8");
    assert.deepEqual(img8.data, grey);

    const values = new Uint16Array(W * H).map((_, i) => (i * 977) % 65536);
    const opts = { bitDepth: 16 as const, colorType: 0 as const, inputColorType: 0 as const, inputHasAlpha: false };
    const png16 = new PNG({ width: W, height: H, ...opts });
    png16.data = values as unknown as Buffer; // pngjs takes 16-bit samples as a Uint16Array
    const img16 = await decodeCompressedImage(compressedImage("16UC1; png compressed mono16", new Uint8Array(PNG.sync.write(png16, opts))));
    assert.deepEqual([img16.encoding, img16.step, img16.is_bigendian], ["mono16", W * 2, 0]);
    assert.deepEqual(new Uint16Array(img16.data.buffer, img16.data.byteOffset, W * H), values);
  });

  it("decodes a JPEG close to its source (lossy), in true colour", async () => {
    const pixels = gradient();
    const jpeg = new Uint8Array(await raw(pixels, 3).jpeg({ quality: 95 }).toBuffer());
    const img = await decodeCompressedImage(compressedImage("rgb8; jpeg compressed bgr8", jpeg));
    assert.equal(img.encoding, "rgb8");
    let worst = 0;
    for (let i = 0; i < pixels.length; i++) worst = Math.max(worst, Math.abs(img.data[i]! - pixels[i]!));
    assert.ok(worst <= 8, `max abs error ${worst} of 255`);
  });

  it("rejects corrupt and mislabelled data, and unsupported formats", async () => {
    const jpeg = new Uint8Array(await raw(gradient(), 3).jpeg().toBuffer());
    const truncated = jpeg.subarray(0, jpeg.length >> 1);
    await assert.rejects(decodeCompressedImage(compressedImage("jpeg", truncated)), {
      name: "EncodeError",
      message: new RegExp(`^cannot encode compressed image: corrupt jpeg data \\(${truncated.length} bytes\\): .*premature end of JPEG`, "s"),
    });
    await assert.rejects(decodeCompressedImage(compressedImage("png", Uint8Array.of(1, 2, 3, 4))), {
      message: "cannot encode compressed image: corrupt png data (4 bytes): Input buffer contains unsupported image format",
    });
    await assert.rejects(decodeCompressedImage(compressedImage("png", jpeg)), { message: "cannot encode compressed image: format says png, but the data is jpeg" });
    assert.throws(() => compressedFormat("tiff"), {
      message: `cannot encode compressed image: format "tiff" is not supported; expected "jpeg", "png", or image_transport's "rgb8; jpeg compressed bgr8" / "bgr8; png compressed bgr8"`,
    });
    assert.throws(() => compressedFormat("16UC1; compressedDepth png"), /is a compressedDepth image \(depth maps are not a pixels column\)/);
  });
});

describe("encodeCompressedImage", () => {
  it("gives the same column as the raw image for a PNG", async () => {
    const pixels = randomBytes(9, W * H * 3);
    const png = new Uint8Array(await raw(pixels, 3).png().toBuffer());
    const spec = pixelsSpec(8, 8, 3);
    const fromPng = await encodeCompressedImage(compressedImage("png", png), spec);
    assert.deepEqual(fromPng, encodeImage(image({ width: W, height: H, data: pixels }), spec));
  });

  it("gives nearly the same column for a JPEG (averaging hides the compression noise)", async () => {
    const pixels = gradient();
    const jpeg = new Uint8Array(await raw(pixels, 3).jpeg({ quality: 90 }).toBuffer());
    const spec = pixelsSpec(8, 8, 3);
    const a = await encodeCompressedImage(compressedImage("jpeg", jpeg), spec);
    const b = encodeImage(image({ width: W, height: H, data: pixels }), spec);
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 0.02, `index ${i}: ${a[i]} vs ${b[i]}`);
  });
});
