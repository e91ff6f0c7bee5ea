// Compression "auto" (the recorder's default, src/log/compression.ts): zstd, except chunks a zstd
// sample shows to be entropy-bound (camera frames with sensor noise), which are lz4; and the lz4
// frames built from lz4-napi's blocks (chunk-codec.cjs lz4Frame), which every LZ4 frame decoder
// must read: the reference one (@foxglove/wasm-lz4, LZ4's C library) and the lz4 CLI where it is
// installed. Files mixing zstd, lz4 and raw chunks read back bit-exactly through our reader (worker
// and inline paths) and through @mcap/core's own.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { McapStreamReader } from "@mcap/core";
import lz4Decompress from "@foxglove/wasm-lz4";
import * as wasmZstd from "@foxglove/wasm-zstd";
import type { Image } from "../../src/messages/types.ts";
import {
  ADAPTIVE, chunkCompressor, codecInfo, configureCodecs, loadCodecs, lz4Frame, packAuto, type PackedChunk,
} from "../../src/log/compression.ts";
import { openLog } from "../../src/log/reader.ts";
import { Recorder } from "../../src/log/recorder.ts";
import { SAMPLES } from "./fixtures.ts";

const IMAGE = { name: "/camera/image_raw", type: "sensor_msgs/msg/Image" } as const;
const JOINTS = { name: "/joint_states", type: "sensor_msgs/msg/JointState" } as const;

const dir = mkdtempSync(join(tmpdir(), "omniloop-auto-"));
test.before(() => loadCodecs());
test.after(() => {
  configureCodecs({});
  rmSync(dir, { recursive: true, force: true });
});

/** Seeded xorshift32 stream. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

/** A rendered-looking gradient with ±2 of noise on every byte: what zstd shrinks to ~0.6. */
function noisy(n: number, seed: number): Uint8Array {
  const r = rng(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.max(0, Math.min(255, 60 + ((i / 1920) | 0) % 120 + (i % 3) * 30 + ((r() >>> 8) % 5) - 2));
  return out;
}

/** Bytes that compress very well. */
function smooth(n: number, k: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = ((i / 1920) | 0) + k * 7 + (i % 3) * 40;
  return out;
}

function noise(n: number, seed: number): Uint8Array {
  const r = rng(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = r() >>> 24;
  return out;
}

const lz4Native = () => codecInfo().lz4 === "native";

test("lz4 frames built from blocks read back through the reference decoder, whatever the block pattern", { skip: !lz4Native() && "lz4-napi does not load here" }, () => {
  const compress = chunkCompressor("lz4", 1, false)!;
  // Empty, one short block, exactly one block, blocks and a tail; incompressible pieces are
  // stored as uncompressed blocks, compressible ones compressed, in one frame.
  const mixed = new Uint8Array(3 * 256 * 1024 + 777);
  mixed.set(noise(256 * 1024, 5), 0);
  mixed.set(smooth(256 * 1024, 2), 256 * 1024);
  mixed.set(noise(256 * 1024 + 777, 9), 512 * 1024);
  for (const data of [new Uint8Array(0), smooth(1000, 1), smooth(256 * 1024, 3), noisy(1_000_003, 4), mixed, noise(300_000, 8)]) {
    const packed = compress(data);
    assert.equal(packed.compression, "lz4");
    assert.deepEqual(new Uint8Array(lz4Decompress(packed.compressedData, data.byteLength)), data, `${data.byteLength} bytes`);
  }
});

test("lz4 frames: the header checksum and layout are LZ4's (checked by the lz4 CLI where installed)", { skip: !lz4Native() && "lz4-napi does not load here" }, (t) => {
  const data = noisy(700_000, 11);
  const packed = chunkCompressor("lz4", 1, false)!(data);
  // Magic, FLG (version 01, independent blocks), BD (256 KiB blocks), header checksum.
  assert.deepEqual([...packed.compressedData.subarray(0, 6)], [0x04, 0x22, 0x4d, 0x18, 0x60, 0x50]);
  const cli = spawnSync("lz4", ["--version"]);
  if (cli.status !== 0) {
    t.diagnostic("lz4 CLI not installed: checked by the reference decoder only");
    return;
  }
  const file = join(dir, "frame.lz4");
  writeFileSync(file, packed.compressedData);
  const r = spawnSync("lz4", ["-dc", file], { maxBuffer: 1 << 24 });
  assert.equal(r.status, 0, r.stderr.toString());
  assert.deepEqual(new Uint8Array(r.stdout), data);
});

test("lz4Frame: a block the compressor does not shrink, or answers oddly, is stored uncompressed", () => {
  const data = smooth(600_000, 5);
  // A "compressor" that returns its input behind the size prefix: never smaller.
  const identity = (p: Uint8Array) => {
    const out = new Uint8Array(p.byteLength + 4);
    new DataView(out.buffer).setUint32(0, p.byteLength, true);
    out.set(p, 4);
    return out;
  };
  const frame = lz4Frame(data, identity, (n) => new Uint8Array(n));
  assert.deepEqual(new Uint8Array(lz4Decompress(frame, data.byteLength)), data);
  const wrongSize = lz4Frame(data, () => Uint8Array.of(1, 0, 0, 0, 9), (n) => new Uint8Array(n));
  assert.deepEqual(new Uint8Array(lz4Decompress(wrongSize, data.byteLength)), data);
});

test("auto: entropy-bound chunks are lz4, compressible ones zstd, incompressible ones raw, small ones zstd", { skip: !lz4Native() && "lz4-napi does not load here" }, () => {
  const auto = chunkCompressor("auto")!;
  const size = 2 * 1024 * 1024;
  const cases: [Uint8Array, string][] = [
    [noisy(size, 1), "lz4"],
    [smooth(size, 1), "zstd"],
    [noise(size, 2), ""],
    [noisy(64 * 1024, 3), "zstd"], // below the sample size: zstd, as before
  ];
  for (const [data, expected] of cases) {
    const packed = auto(data);
    assert.equal(packed.compression, expected, `${data.byteLength} bytes`);
    const back =
      packed.compression === "lz4" ? lz4Decompress(packed.compressedData, data.byteLength)
      : packed.compression === "zstd" ? wasmZstd.decompress(packed.compressedData, data.byteLength)
      : packed.compressedData;
    assert.deepEqual(new Uint8Array(back), data);
  }
  // Not adaptive: nothing is stored raw, the choice of codec stays.
  assert.equal(chunkCompressor("auto", 1, false)!(noise(size, 2)).compression, "lz4");
});

test("packAuto: the choice follows the sample's zstd ratio; without lz4, zstd does every chunk", () => {
  const big = new Uint8Array(ADAPTIVE.sampleMinBytes);
  const at = (ratio: number) => (s: Uint8Array) => ({ length: Math.round(ratio * s.byteLength) });
  const zstd = (d: Uint8Array): PackedChunk => ({ compression: "zstd", compressedData: d.subarray(0, d.byteLength >> 1) });
  const lz4 = (d: Uint8Array): PackedChunk => ({ compression: "lz4", compressedData: d.subarray(0, (d.byteLength * 3) >> 2) });
  const scratch = () => new Uint8Array(ADAPTIVE.slices * ADAPTIVE.sliceBytes);
  assert.equal(packAuto(big, zstd, lz4, at(ADAPTIVE.lz4Above - 0.1), scratch, true).compression, "zstd");
  assert.equal(packAuto(big, zstd, lz4, at(ADAPTIVE.lz4Above + 0.1), scratch, true).compression, "lz4");
  assert.equal(packAuto(big, zstd, lz4, at(0.99), scratch, true).compression, "");
  assert.equal(packAuto(big, zstd, lz4, at(0.99), scratch, false).compression, "lz4");
  assert.equal(packAuto(big, zstd, undefined, at(ADAPTIVE.lz4Above + 0.1), scratch, true).compression, "zstd");
  // An lz4 result that does not pay is stored raw.
  const poor = (d: Uint8Array): PackedChunk => ({ compression: "lz4", compressedData: d });
  assert.equal(packAuto(big, zstd, poor, at(0.8), scratch, true).compression, "");
});

const frame = (data: Uint8Array): Image => ({ ...SAMPLES["sensor_msgs/msg/Image"], height: 480, width: 640, step: 1920, encoding: "rgb8", data });

for (const workers of [0, 2]) {
  test(`a log recorded with auto mixes zstd, lz4 and raw chunks and reads back bit-exactly (${workers} workers)`, async () => {
    configureCodecs({ workers });
    try {
      const out = join(dir, `auto-${workers}.mcap`);
      // auto is the default; a chunk closes (on a worker, where there are workers) after each frame.
      const rec = await Recorder.open({ out, timer: false, chunkBytes: 512 * 1024 });
      const frames: Uint8Array[] = [];
      let t = 1_000_000_000n;
      for (let k = 0; k < 15; k++) {
        const data = k % 3 === 0 ? noisy(640 * 480 * 3, k + 1) : k % 3 === 1 ? smooth(640 * 480 * 3, k) : noise(640 * 480 * 3, k + 1);
        frames.push(data);
        rec.write(IMAGE, frame(data), (t += 33_000_000n));
        rec.write(JOINTS, SAMPLES["sensor_msgs/msg/JointState"], (t += 1_000_000n));
      }
      rec.close();
      const log = await openLog(out);
      const summary = await log.summary();
      const kinds = new Set(summary.chunks!.compression);
      if (lz4Native()) assert.ok(kinds.has("lz4"), [...kinds].join(", "));
      assert.ok(kinds.has("zstd") && kinds.has("none"), [...kinds].join(", "));
      const images: Uint8Array[] = [];
      for await (const m of log.messages({ topics: [IMAGE.name] })) images.push(m.data);
      assert.equal(images.length, frames.length);
      // @mcap/core's own reader (its lz4 and zstd handlers: the wasm builds) reads the same bytes.
      const reader = new McapStreamReader({ decompressHandlers: { lz4: (b, n) => lz4Decompress(b, Number(n)), zstd: (b, n) => wasmZstd.decompress(b, Number(n)) } });
      reader.append(readFileSync(out));
      const theirs: Uint8Array[] = [];
      const channels = new Map<number, string>();
      for (let r; (r = reader.nextRecord()); ) {
        if (r.type === "Channel") channels.set(r.id, r.topic);
        if (r.type === "Message" && channels.get(r.channelId) === IMAGE.name) theirs.push(r.data);
      }
      assert.equal(theirs.length, frames.length);
      for (let i = 0; i < images.length; i++) assert.deepEqual(Buffer.compare(Buffer.from(images[i]!), Buffer.from(theirs[i]!)), 0, `frame ${i}`);
      // The CDR of each frame carries the frame's bytes at its end.
      for (let i = 0; i < frames.length; i++) {
        const tail = images[i]!.subarray(images[i]!.byteLength - frames[i]!.byteLength);
        assert.equal(Buffer.compare(Buffer.from(tail), Buffer.from(frames[i]!)), 0, `frame ${i} bytes`);
      }
    } finally {
      configureCodecs({});
    }
  });
}
