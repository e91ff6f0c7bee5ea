// Adaptive chunk compression (src/log/compression.ts): a chunk that does not compress is stored
// uncompressed (MCAP compression ""), one that does is compressed, judged by a sample before
// paying for the full compression; a log mixing both reads back bit-exactly through our reader
// (worker and inline paths), replay, and @mcap/core's own reader, and a cut anywhere still
// recovers every complete chunk before it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { McapIndexedReader, McapStreamReader } from "@mcap/core";
import lz4Decompress from "@foxglove/wasm-lz4";
import * as wasmZstd from "@foxglove/wasm-zstd";
import { MemoryBus } from "../../src/bus/memory.ts";
import type { Image } from "../../src/messages/types.ts";
import {
  ADAPTIVE, chunkCompressor, configureCodecs, loadCodecs, packAdaptive, sampleOf, type Compression, type PackedChunk,
} from "../../src/log/compression.ts";
import { decoderFor } from "../../src/log/decode.ts";
import { McapScanner } from "../../src/log/mcap-scan.ts";
import { openLog, type LogMessage } from "../../src/log/reader.ts";
import { Recorder } from "../../src/log/recorder.ts";
import { replay } from "../../src/log/replay.ts";
import { SAMPLES } from "./fixtures.ts";

const IMAGE = { name: "/camera/image_raw", type: "sensor_msgs/msg/Image" } as const;
const JOINTS = { name: "/joint_states", type: "sensor_msgs/msg/JointState" } as const;
const FRAME = 640 * 480 * 3;

const dir = mkdtempSync(join(tmpdir(), "omniloop-adaptive-"));
test.before(() => loadCodecs());
test.after(() => {
  configureCodecs({});
  rmSync(dir, { recursive: true, force: true });
});

/** Bytes no compressor shrinks: the top byte of a seeded xorshift32. */
function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s >>> 24;
  }
  return out;
}

/** Bytes that compress well: a rendered-looking gradient, a little different for each `k`. */
function smooth(n: number, k: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = ((i / 1920) | 0) + k * 7 + (i % 3) * 40;
  return out;
}

const image = (data: Uint8Array): Image => ({ ...SAMPLES["sensor_msgs/msg/Image"], height: 480, width: 640, step: 1920, encoding: "rgb8", data });

/** Frame k: noise when k is even, smooth when odd. */
const frameData = (k: number) => (k % 2 === 0 ? noise(FRAME, k + 1) : smooth(FRAME, k));

for (const compression of ["zstd", "lz4"] as const) {
  test(`a chunk that does not compress is stored raw, one that does is compressed (${compression})`, () => {
    const compress = chunkCompressor(compression)!;
    for (const size of [64 * 1024, 2 * 1024 * 1024]) {
      // Below and above the size from which a sample is judged first.
      const raw = noise(size, 7);
      const packed = compress(raw);
      assert.equal(packed.compression, "", `${size}-byte noise chunk stored raw`);
      assert.equal(packed.compressedData, raw, "the records themselves, not a copy");
      const good = smooth(size, 1);
      const z = compress(good);
      assert.equal(z.compression, compression, `${size}-byte smooth chunk compressed`);
      assert.ok(z.compressedData.byteLength < good.byteLength / 4);
    }
    // Turned off, every chunk is compressed, however little that gives.
    const off = chunkCompressor(compression, 1, false)!(noise(1 << 20, 3));
    assert.equal(off.compression, compression);
  });
}

test("a large chunk whose sample does not compress is never compressed whole; a small one is judged whole", () => {
  let full = 0;
  let sampled = 0;
  const compress = (d: Uint8Array): PackedChunk => {
    full++;
    return { compression: "zstd", compressedData: new Uint8Array(d.byteLength) }; // "compresses" to 100%
  };
  const sample = (s: Uint8Array) => {
    sampled++;
    assert.equal(s.byteLength, ADAPTIVE.slices * ADAPTIVE.sliceBytes);
    return s; // the sample does not compress
  };
  const scratch = () => new Uint8Array(ADAPTIVE.slices * ADAPTIVE.sliceBytes);
  const big = noise(ADAPTIVE.sampleMinBytes, 1);
  assert.equal(packAdaptive(big, compress, sample, scratch).compression, "");
  assert.deepEqual([sampled, full], [1, 0], "sampled once, never compressed whole");

  // Below sampleMinBytes: compressed whole, and kept raw because it did not pay.
  const small = noise(ADAPTIVE.sampleMinBytes - 1, 2);
  const p = packAdaptive(small, compress, sample, scratch);
  assert.equal(p.compression, "");
  assert.equal(p.compressedData, small);
  assert.deepEqual([sampled, full], [1, 1]);

  // A sample that compresses sends the chunk to the full compression, whose result is kept when it pays.
  const half = (d: Uint8Array): PackedChunk => ({ compression: "zstd", compressedData: d.subarray(0, d.byteLength >> 1) });
  const q = packAdaptive(big, half, (s) => s.subarray(0, s.byteLength >> 1), scratch);
  assert.equal(q.compression, "zstd");
  assert.equal(q.compressedData.byteLength, big.byteLength >> 1);
  // ... and dropped when it does not, even after a sample that looked good.
  const r = packAdaptive(big, (d) => ({ compression: "zstd", compressedData: d.subarray(0, Math.ceil(d.byteLength * 0.95)) }), (s) => s.subarray(0, 10), scratch);
  assert.equal(r.compression, "");
});

test("the sample is slices spread over the whole chunk", () => {
  // A ramp over the chunk: each slice's bytes say where in the chunk it was taken.
  const n = 4 * ADAPTIVE.sampleMinBytes;
  const ramp = new Uint8Array(n);
  for (let i = 0; i < n; i++) ramp[i] = Math.floor((i * 256) / n);
  const s = sampleOf(ramp, new Uint8Array(ADAPTIVE.slices * ADAPTIVE.sliceBytes));
  for (let j = 0; j < ADAPTIVE.slices; j++) {
    const middle = s[j * ADAPTIVE.sliceBytes + ADAPTIVE.sliceBytes / 2]!;
    assert.equal(middle, Math.floor((256 * (2 * j + 1)) / (2 * ADAPTIVE.slices)), `slice ${j} from ${2 * j + 1}/${2 * ADAPTIVE.slices} of the way`);
  }

  // Noise but for a smooth head as long as the whole sample: judged by the sample, not the head.
  const data = noise(n, 4);
  data.set(smooth(ADAPTIVE.slices * ADAPTIVE.sliceBytes, 0), 0);
  let full = 0;
  const packed = packAdaptive(
    data,
    (d) => {
      full++;
      return { compression: "zstd", compressedData: wasmZstd.compress(d, 1) };
    },
    (x) => wasmZstd.compress(x, 1),
    () => new Uint8Array(ADAPTIVE.slices * ADAPTIVE.sliceBytes),
  );
  assert.equal(packed.compression, "");
  assert.equal(full, 0, "not compressed whole");
  // Mostly smooth with a noisy tail: the sample sees both, and the chunk is compressed.
  const tail = smooth(n, 0);
  tail.set(noise(n / 4, 9), (3 * n) / 4);
  assert.equal(chunkCompressor("zstd")!(tail).compression, "zstd");
});

/** Records `frames` images (noise and smooth alternating, one per chunk) with joints between them. */
async function recordMixed(out: string, compression: Compression, frames: number): Promise<{ images: Uint8Array[]; joints: number }> {
  const rec = await Recorder.open({ out, compression, chunkBytes: 512 * 1024, timer: false });
  const images: Uint8Array[] = [];
  let joints = 0;
  let t = 1_700_000_000_000_000_000n;
  for (let k = 0; k < frames; k++) {
    const data = frameData(k);
    images.push(data);
    rec.write(IMAGE, image(data), (t += 33_000_000n));
    for (let j = 0; j < 3; j++, joints++) rec.write(JOINTS, { ...SAMPLES["sensor_msgs/msg/JointState"], position: Float64Array.of(k, j, 0, 0) }, (t += 10_000_000n));
  }
  rec.close();
  return { images, joints };
}

const imageOf = (m: LogMessage) => (decoderFor(m.channel) as { decode: (d: Uint8Array) => Image }).decode(m.data).data;

async function readAll(path: string, prefetch: boolean): Promise<LogMessage[]> {
  const log = await openLog(path);
  if (prefetch) {
    const out: LogMessage[] = [];
    for await (const m of log.messages()) out.push(m);
    return out;
  }
  const channels = new Map<number, LogMessage["channel"]>();
  for await (const m of log.messages()) channels.set(m.channel.id, m.channel);
  const out: LogMessage[] = [];
  for await (const r of new McapScanner(path, { prefetch: false }).records()) {
    if (r.type === "Message") out.push({ channel: channels.get(r.channelId)!, logTime: r.logTime, publishTime: r.publishTime, sequence: r.sequence, data: r.data });
  }
  return out;
}

/** Decompression straight from the packages, not through compression.ts: an independent path. */
const independentHandlers = {
  zstd: (b: Uint8Array, size: bigint) => wasmZstd.decompress(b, Number(size)),
  lz4: (b: Uint8Array, size: bigint) => lz4Decompress(b, Number(size)),
};

for (const compression of ["zstd", "lz4"] as const) {
  for (const workers of [0, 2]) {
    test(`a mixed log round-trips bit-exactly through the reader, replay and @mcap/core (${compression}, ${workers} workers)`, async () => {
      configureCodecs({ workers });
      try {
        const out = join(dir, `mixed-${compression}-${workers}.mcap`);
        const { images, joints } = await recordMixed(out, compression, 8);
        const total = images.length + joints;

        // Chunk by chunk: the ones holding noise frames raw, the others compressed.
        const bytes = readFileSync(out);
        await Promise.all([wasmZstd.isLoaded, lz4Decompress.isLoaded]);
        const indexed = await McapIndexedReader.Initialize({
          readable: { size: async () => BigInt(bytes.length), read: async (o, n) => bytes.subarray(Number(o), Number(o + n)) },
          decompressHandlers: independentHandlers,
        });
        const kinds = indexed.chunkIndexes.map((c) => c.compression);
        assert.ok(kinds.includes("") && kinds.includes(compression), `both kinds of chunk: ${kinds.join(",")}`);
        for (const c of indexed.chunkIndexes) {
          if (c.compression === "") assert.equal(c.compressedSize, c.uncompressedSize);
          else assert.ok(Number(c.compressedSize) <= ADAPTIVE.rawAbove * Number(c.uncompressedSize));
        }
        // @mcap/core's indexed reader: every message, the right bytes (chunk CRCs checked).
        const byCore: Uint8Array[] = [];
        let n = 0;
        for await (const m of indexed.readMessages({ validateCrcs: true })) {
          n++;
          if (indexed.channelsById.get(m.channelId)!.topic === IMAGE.name) byCore.push(m.data);
        }
        assert.equal(n, total);
        assert.equal(byCore.length, images.length);
        // @mcap/core's stream reader, front to back over the whole file, CRCs checked too.
        const stream = new McapStreamReader({ decompressHandlers: independentHandlers, validateCrcs: true });
        stream.append(bytes);
        let streamed = 0;
        for (let r; (r = stream.nextRecord()); ) if (r.type === "Message") streamed++;
        assert.equal(streamed, total);
        assert.ok(stream.done());

        // Our reader, through the chunk workers and inline: the same frames, bit for bit.
        for (const prefetch of [true, false]) {
          const msgs = await readAll(out, prefetch);
          assert.equal(msgs.length, total);
          const imgs = msgs.filter((m) => m.channel.topic === IMAGE.name).map(imageOf);
          imgs.forEach((d, k) => assert.deepEqual(d, images[k], `frame ${k} (prefetch ${prefetch})`));
          const positions = msgs.filter((m) => m.channel.topic === JOINTS.name).map((m) => (decoderFor(m.channel) as { decode: (d: Uint8Array) => { position: Float64Array } }).decode(m.data).position[0]);
          assert.equal(positions.length, joints);
        }

        // Replay --max onto a bus.
        const bus = new MemoryBus();
        const got: Uint8Array[] = [];
        bus.subscribe(IMAGE).subscribe((m) => got.push(m.data));
        const r = await replay(await openLog(out), bus, { max: true });
        assert.equal(r.published, total);
        assert.deepEqual(r.skipped, []);
        assert.equal(got.length, images.length);
        got.forEach((d, k) => assert.deepEqual(d, images[k], `replayed frame ${k}`));

        // inspect's summary counts the chunks of each kind.
        const s = await (await openLog(out)).summary();
        assert.equal(s.chunks!.count, indexed.chunkIndexes.length);
        assert.equal(s.chunks!.byCompression.none, kinds.filter((c) => c === "").length);
        assert.equal(s.chunks!.byCompression[compression], kinds.filter((c) => c === compression).length);
        assert.deepEqual(new Set(s.chunks!.compression), new Set(["none", compression]));
      } finally {
        configureCodecs({});
      }
    });
  }
}

test("worker threads and the inline path store the same chunks the same way", async () => {
  const layouts: string[] = [];
  for (const workers of [0, 2]) {
    configureCodecs({ workers });
    try {
      const out = join(dir, `same-${workers}.mcap`);
      await recordMixed(out, "zstd", 6);
      const bytes = readFileSync(out);
      const r = await McapIndexedReader.Initialize({
        readable: { size: async () => BigInt(bytes.length), read: async (o, n) => bytes.subarray(Number(o), Number(o + n)) },
        decompressHandlers: independentHandlers,
      });
      layouts.push(r.chunkIndexes.map((c) => `${c.compression || "raw"}:${c.uncompressedSize}`).join(" "));
    } finally {
      configureCodecs({});
    }
  }
  assert.equal(layouts[0], layouts[1]);
  assert.match(layouts[0]!, /raw:/);
});

test("the workers sample the same slices as the inline path", async () => {
  // Smooth but for noise around the points the sample is taken from: the whole chunk compresses
  // well, its sample does not, so only a sampler that looks exactly there stores it raw.
  const n = 4 * 1024 * 1024;
  const data = smooth(n, 0);
  const window = 96 * 1024; // covers a slice, give or take the chunk's few KiB of headers
  for (let i = 0; i < ADAPTIVE.slices; i++) data.set(noise(window, i + 1), Math.floor(((2 * i + 1) * n) / (2 * ADAPTIVE.slices)) - window / 2);
  const kinds: string[] = [];
  for (const [workers, adaptiveCompression] of [[0, true], [2, true], [2, false]] as const) {
    configureCodecs({ workers });
    try {
      const out = join(dir, `sampled-${workers}-${adaptiveCompression}.mcap`);
      const rec = await Recorder.open({ out, compression: "zstd", chunkBytes: 1 << 20, timer: false, adaptiveCompression });
      rec.write(IMAGE, { ...image(data), height: n / 1920 }, 1n);
      rec.close();
      kinds.push((await (await openLog(out)).summary()).chunks!.compression.join(","));
    } finally {
      configureCodecs({});
    }
  }
  assert.deepEqual(kinds, ["none", "none", "zstd"]);
});

test("adaptiveCompression: false compresses every chunk", async () => {
  const out = join(dir, "off.mcap");
  const rec = await Recorder.open({ out, compression: "zstd", chunkBytes: 512 * 1024, timer: false, adaptiveCompression: false });
  for (let k = 0; k < 4; k++) rec.write(IMAGE, image(noise(FRAME, k + 1)), BigInt(k + 1));
  rec.close();
  const s = await (await openLog(out)).summary();
  assert.deepEqual(s.chunks!.byCompression, { zstd: s.chunks!.count });
  const on = join(dir, "on.mcap");
  const rec2 = await Recorder.open({ out: on, compression: "zstd", chunkBytes: 512 * 1024, timer: false });
  for (let k = 0; k < 4; k++) rec2.write(IMAGE, image(noise(FRAME, k + 1)), BigInt(k + 1));
  rec2.close();
  assert.deepEqual((await (await openLog(on)).summary()).chunks!.byCompression, { none: 4 });
});

test("a mixed log cut anywhere recovers every complete chunk before the cut", async () => {
  const out = join(dir, "cut-source.mcap");
  await recordMixed(out, "zstd", 6);
  const bytes = readFileSync(out);
  const r = await McapIndexedReader.Initialize({
    readable: { size: async () => BigInt(bytes.length), read: async (o, n) => bytes.subarray(Number(o), Number(o + n)) },
    decompressHandlers: independentHandlers,
  });
  const chunks = [...r.chunkIndexes].sort((a, b) => Number(a.chunkStartOffset - b.chunkStartOffset));
  assert.ok(chunks.some((c) => c.compression === "") && chunks.some((c) => c.compression === "zstd"));
  // Cut inside each chunk (raw and compressed), and right after it.
  for (const [i, c] of chunks.entries()) {
    for (const at of [Number(c.chunkStartOffset + c.chunkLength / 2n), Number(c.chunkStartOffset + c.chunkLength)]) {
      const cut = join(dir, "cut.mcap");
      writeFileSync(cut, bytes.subarray(0, at));
      const log = await openLog(cut);
      const images: Uint8Array[] = [];
      for await (const m of log.messages()) if (m.channel.topic === IMAGE.name) images.push(imageOf(m));
      // Image k closes chunk k (an image alone passes chunkBytes); the last chunk holds joints only.
      const whole = at >= Number(c.chunkStartOffset + c.chunkLength) ? i + 1 : i;
      assert.equal(images.length, Math.min(whole, 6), `cut at ${at} (chunk ${i}, ${c.compression || "raw"})`);
      images.forEach((d, k) => assert.deepEqual(d, frameData(k), `frame ${k}`));
      const report = log.readReport()!;
      assert.deepEqual(report.damaged, []);
      assert.equal(report.closedCleanly, false);
    }
  }
});
