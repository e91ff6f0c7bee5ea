// The chunk worker pool (src/log/compression.ts): chunks compressed and written by worker threads,
// and read + decompressed + CRC-checked ahead by them, give the same files and the same messages
// as the inline path — bit-exact, in order, damage reported the same way, crash safety kept — and
// the fallbacks (WebAssembly zstd, no workers) work and say so. The threshold that keeps small
// chunks inline is set to 0 here, so that every chunk goes through the workers.
import { test } from "node:test";
import { killAfter } from "./kill-recorder.ts";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { McapIndexedReader } from "@mcap/core";
import { ROS_TYPE_NAMES } from "../../src/messages/types.ts";
import { cdrCodecFor } from "../../src/log/cdr.ts";
import {
  codecInfo, configureCodecs, decompressHandlers, loadCodecs, offloadMinBytes, setOffloadMinBytes,
} from "../../src/log/compression.ts";
import { decoderFor } from "../../src/log/decode.ts";
import { McapScanner } from "../../src/log/mcap-scan.ts";
import { openLog, type LogMessage } from "../../src/log/reader.ts";
import { Recorder } from "../../src/log/recorder.ts";
import { SAMPLES } from "./fixtures.ts";

const CHILD = process.env.OMNILOOP_WORKERS_CRASH_CHILD;
const IMAGE = { name: "/camera/image_raw", type: "sensor_msgs/msg/Image" } as const;
const JOINTS = { name: "/joint_states", type: "sensor_msgs/msg/JointState" } as const;

/** A 640×480 rgb8 frame whose bytes depend on `k`. Its bytes do not compress (zstd level 1 keeps
 * 99.9% of them): recordings that must exercise a codec turn adaptive compression off, or its
 * chunks would be stored raw. */
function frame(k: number) {
  const data = new Uint8Array(640 * 480 * 3);
  let s = (k * 2654435761) >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    data[i] = ((i >> 6) + k + ((s >>> 24) & 3)) & 255;
  }
  return { ...SAMPLES["sensor_msgs/msg/Image"], height: 480, width: 640, step: 1920, data };
}

if (CHILD) {
  // Child process of the crash test: camera frames at 30 Hz and joints at 100 Hz in real time,
  // 4 MiB chunks (so compression workers write them), printing each handed-over log time.
  const rec = await Recorder.open({ out: CHILD, flushIntervalMs: 500 });
  const frames = Array.from({ length: 8 }, (_, k) => frame(k));
  let tick = 0;
  setInterval(() => {
    const now = BigInt(Date.now()) * 1_000_000n;
    rec.write(JOINTS, SAMPLES["sensor_msgs/msg/JointState"], now);
    if (tick++ % 3 === 0) rec.write(IMAGE, frames[tick % frames.length]!, now);
    process.stdout.write(`${now}\n`);
  }, 10);
} else {
  const dir = mkdtempSync(join(tmpdir(), "omniloop-workers-"));
  const threshold = offloadMinBytes();
  test.before(async () => {
    await loadCodecs();
    setOffloadMinBytes(0);
  });
  test.after(() => {
    setOffloadMinBytes(threshold);
    configureCodecs({});
    rmSync(dir, { recursive: true, force: true });
  });

  async function readAll(path: string, opts: { prefetch?: boolean } = {}): Promise<LogMessage[]> {
    if (opts.prefetch === false) {
      // The scanner inline, for comparison: what the reader gave before the workers.
      const out: LogMessage[] = [];
      const log = await openLog(path);
      const channels = new Map<number, LogMessage["channel"]>();
      for await (const m of log.messages()) channels.set(m.channel.id, m.channel);
      for await (const r of new McapScanner(path, { prefetch: false }).records()) {
        if (r.type === "Message") out.push({ channel: channels.get(r.channelId)!, logTime: r.logTime, publishTime: r.publishTime, sequence: r.sequence, data: r.data });
      }
      return out;
    }
    const out: LogMessage[] = [];
    for await (const m of (await openLog(path)).messages()) out.push(m);
    return out;
  }

  /** Every ROS type, then camera frames and joints in small chunks (many chunks in flight), every
   * chunk compressed (adaptive compression off). */
  async function recordMixed(out: string, compression: "zstd" | "lz4" | "none", chunkBytes = 64 * 1024): Promise<number> {
    const rec = await Recorder.open({ out, compression, chunkBytes, timer: false, adaptiveCompression: false });
    let t = 1_700_000_000_000_000_000n;
    for (const type of ROS_TYPE_NAMES) rec.write({ name: `/t/${type}`, type }, SAMPLES[type], (t += 1_000_000n));
    for (let k = 0; k < 12; k++) {
      rec.write(IMAGE, frame(k), (t += 1_000_000n));
      for (let j = 0; j < 3; j++) rec.write(JOINTS, { ...SAMPLES["sensor_msgs/msg/JointState"], position: Float64Array.of(k, j, 0, 0) }, (t += 1_000_000n));
    }
    return rec.close().messages;
  }

  for (const compression of ["zstd", "lz4", "none"] as const) {
    test(`chunks written by workers read back bit-exactly, in order, through both read paths (${compression})`, async () => {
      const out = join(dir, `mixed-${compression}.mcap`);
      const n = await recordMixed(out, compression);
      const viaWorkers = await readAll(out);
      const inline = await readAll(out, { prefetch: false });
      assert.equal(viaWorkers.length, n);
      assert.equal(inline.length, n);
      for (let i = 0; i < n; i++) {
        const a = viaWorkers[i]!;
        const b = inline[i]!;
        assert.equal(a.logTime, b.logTime);
        assert.equal(a.channel.topic, b.channel.topic);
        assert.deepEqual(a.data, b.data, `message ${i} (${a.channel.topic})`);
        // A message owns its bytes, large ones included (the worker copies them out).
        assert.equal(a.data.byteOffset, 0);
        assert.equal(a.data.buffer.byteLength, a.data.byteLength, `message ${i} owns its buffer`);
      }
      // The bytes are exactly what the CDR codec writes (the recorder's scratch-buffer encoder).
      ROS_TYPE_NAMES.forEach((type, i) => {
        assert.deepEqual(viaWorkers[i]!.data, cdrCodecFor(type).encode(SAMPLES[type]), type);
        const d = decoderFor(viaWorkers[i]!.channel);
        assert.ok(d.ok);
        assert.deepStrictEqual(d.decode(viaWorkers[i]!.data), SAMPLES[type], type);
      });
      const images = viaWorkers.filter((m) => m.channel.topic === IMAGE.name);
      assert.equal(images.length, 12);
      images.forEach((m, k) => assert.deepEqual((decoderFor(m.channel) as { decode: (d: Uint8Array) => { data: Uint8Array } }).decode(m.data).data, frame(k).data));

      // A valid indexed MCAP: @mcap/core's own reader, every chunk CRC checked, the index right.
      const bytes = readFileSync(out);
      const reader = await McapIndexedReader.Initialize({
        readable: { size: async () => BigInt(bytes.length), read: async (o, len) => bytes.subarray(Number(o), Number(o + len)) },
        decompressHandlers,
      });
      assert.ok(reader.chunkIndexes.length > 5, `many chunks (${reader.chunkIndexes.length})`);
      let count = 0;
      for await (const m of reader.readMessages()) {
        assert.equal(m.logTime, viaWorkers[count]!.logTime);
        count++;
      }
      assert.equal(count, n);
      for (const c of reader.chunkIndexes) {
        assert.equal(c.compression, compression === "none" ? "" : compression);
        assert.notEqual(bytes.readUInt32LE(Number(c.chunkStartOffset) + 9 + 24), 0, "every chunk has a CRC");
      }
      const summary = await (await openLog(out)).summary();
      assert.equal(summary.closedCleanly, true);
      assert.equal(summary.messageCount, n);
    });
  }

  test("two recorders sharing the pool at once never wait on each other", async () => {
    const a = await Recorder.open({ out: join(dir, "a.mcap"), chunkBytes: 32 * 1024, timer: false });
    const b = await Recorder.open({ out: join(dir, "b.mcap"), chunkBytes: 48 * 1024, timer: false });
    for (let k = 0; k < 40; k++) {
      a.write(IMAGE, frame(k % 5), BigInt(k + 1) * 1_000_000n);
      b.write(IMAGE, frame((k + 2) % 5), BigInt(k + 1) * 1_000_000n);
      if (k % 7 === 0) a.metadata("note", { k: String(k) }); // a metadata record between chunks in flight
    }
    assert.equal(a.close().messages, 40);
    assert.equal(b.close().messages, 40);
    for (const [name, shift] of [["a", 0], ["b", 2]] as const) {
      const msgs = await readAll(join(dir, `${name}.mcap`));
      assert.equal(msgs.length, 40);
      msgs.forEach((m, k) => {
        const img = (decoderFor(m.channel) as { decode: (d: Uint8Array) => { data: Uint8Array } }).decode(m.data);
        assert.deepEqual(img.data, frame((k + shift) % 5).data, `${name} message ${k}`);
      });
      assert.equal((await (await openLog(join(dir, `${name}.mcap`))).summary()).closedCleanly, true);
    }
  });

  test("a corrupted chunk read through the workers is reported exactly as the inline path reports it", async () => {
    const out = join(dir, "corrupt.mcap");
    await recordMixed(out, "zstd");
    const bytes = Buffer.from(readFileSync(out));
    const at = Math.floor(bytes.length * 0.5);
    for (let i = 0; i < 16; i++) bytes[at + i]! ^= 0x5a;
    const path = join(dir, "corrupt-flipped.mcap");
    writeFileSync(path, bytes);
    const reports = [];
    const counts = [];
    for (const prefetch of [true, false]) {
      const scanner = new McapScanner(path, { prefetch });
      let n = 0;
      for await (const r of scanner.records()) if (r.type === "Message") n++;
      reports.push(scanner.report);
      counts.push(n);
    }
    assert.equal(reports[0]!.damaged.length, 1);
    assert.deepEqual(reports[0], reports[1]);
    assert.equal(counts[0], counts[1]);
    assert.match(reports[0]!.damaged[0]!.reason, /CRC|decompress|zstd|Unknown|error/i);
  });

  test("a corrupt lz4 chunk is one damaged chunk: the chunks after it still decompress", async () => {
    // @foxglove/wasm-lz4's own function keeps one decompression context, which a corrupt frame
    // leaves failing every frame after it; ours replaces a context that failed.
    const out = join(dir, "lz4-corrupt.mcap");
    await recordMixed(out, "lz4");
    const bytes = Buffer.from(readFileSync(out));
    const at = Math.floor(bytes.length * 0.3);
    for (let i = 0; i < 64; i++) bytes[at + i]! ^= 0xa5;
    const path = join(dir, "lz4-corrupt-flipped.mcap");
    writeFileSync(path, bytes);
    const total = (await readAll(out)).length;
    for (const prefetch of [true, false]) {
      const scanner = new McapScanner(path, { prefetch });
      let n = 0;
      for await (const r of scanner.records()) if (r.type === "Message") n++;
      assert.equal(scanner.report.damaged.length, 1, `prefetch ${prefetch}: ${JSON.stringify(scanner.report.damaged)}`);
      assert.ok(n > total / 2 && n < total, `prefetch ${prefetch}: ${n} of ${total} messages`);
    }
  });

  test("a time range skips chunks and the lookahead follows", async () => {
    const out = join(dir, "range.mcap");
    await recordMixed(out, "zstd");
    const all = await readAll(out);
    const from = all[30]!.logTime;
    const to = all[45]!.logTime;
    const log = await openLog(out);
    const got: bigint[] = [];
    for await (const m of log.messages({ start: from, end: to })) got.push(m.logTime);
    assert.deepEqual(got, all.filter((m) => m.logTime >= from && m.logTime <= to).map((m) => m.logTime));
    // Stopping early leaves nothing behind: the next full read is whole.
    for await (const m of log.messages()) {
      if (m.logTime > from) break;
    }
    assert.equal((await readAll(out)).length, all.length);
  });

  test("a chunk closed by the flush interval is on disk when tick() returns, with chunks in flight before it", async () => {
    const out = join(dir, "tick.mcap");
    const rec = await Recorder.open({ out, chunkBytes: 1 << 20, flushIntervalMs: 20, timer: false });
    for (let k = 0; k < 3; k++) rec.write(IMAGE, frame(k), BigInt(k + 1)); // fills one chunk: to a worker
    rec.write(JOINTS, SAMPLES["sensor_msgs/msg/JointState"], 10n);
    await new Promise((r) => setTimeout(r, 30));
    rec.tick();
    const s = await (await openLog(out)).summary();
    assert.equal(s.messageCount, 4, "every message so far is in the file");
    rec.close();
  });

  for (const lz4 of ["native", "lz4js"] as const) {
    test(`lz4 chunks of camera frames (past lz4's 4 MiB block) read back with LZ4's C decoder (${lz4})`, async () => {
      // lz4js writes some multi-block frames the C library rejects: those chunks must come out
      // stored uncompressed, never unreadable. lz4-napi's frames always read.
      try {
        configureCodecs({ lz4 });
        setOffloadMinBytes(threshold);
        assert.equal(codecInfo().lz4, lz4);
        const frames = Array.from({ length: 6 }, (_, k) => frame(k));
        for (const workers of [0, 2]) {
          configureCodecs({ lz4, workers });
          const out = join(dir, `lz4-${lz4}-${workers}.mcap`);
          const rec = await Recorder.open({ out, compression: "lz4", timer: false, adaptiveCompression: false });
          for (let k = 0; k < 24; k++) rec.write(IMAGE, frames[k % 6]!, BigInt(k + 1));
          rec.close();
          const scanner = new McapScanner(out);
          let n = 0;
          for await (const r of scanner.records()) {
            if (r.type !== "Message") continue;
            const img = (decoderFor({ topic: IMAGE.name, type: IMAGE.type, messageEncoding: "cdr", schemaEncoding: "", schemaData: new Uint8Array(0) }) as { decode: (d: Uint8Array) => { data: Uint8Array } }).decode(r.data);
            assert.deepEqual(img.data, frames[n % 6]!.data, `frame ${n}`);
            n++;
          }
          assert.deepEqual(scanner.report.damaged, [], `${lz4}, ${workers} workers`);
          assert.equal(n, 24);
          const compressions = (await (await openLog(out)).summary()).chunks!.compression;
          if (lz4 === "native") assert.deepEqual(compressions, ["lz4"]);
          else assert.ok(compressions.every((c) => c === "lz4" || c === "none"), compressions.join(", "));
        }
      } finally {
        configureCodecs({});
        setOffloadMinBytes(0);
      }
    });
  }

  test("without the native zstd, or without workers, everything still works and says why", async () => {
    try {
      configureCodecs({ zstd: "wasm" });
      const info = codecInfo();
      assert.equal(info.zstd, "wasm");
      assert.match(info.zstdReason ?? "", /WebAssembly/);
      const out = join(dir, "wasm.mcap");
      const n = await recordMixed(out, "zstd");
      assert.equal((await readAll(out)).length, n);

      configureCodecs({ workers: 0 });
      assert.equal(codecInfo().workers, 0);
      const out2 = join(dir, "inline.mcap");
      const n2 = await recordMixed(out2, "zstd");
      const msgs = await readAll(out2);
      assert.equal(msgs.length, n2);
      assert.deepEqual(msgs.map((m) => m.data), (await readAll(out)).map((m) => m.data));
    } finally {
      configureCodecs({});
    }
    // Here the native binding loads (its prebuilt binary is a platform package of its own).
    if (process.platform === "linux" && process.arch === "x64") assert.equal(codecInfo().zstd, "native", codecInfo().zstdReason);
  });

  test("SIGKILL while workers compress and write camera chunks loses at most the last second", async () => {
    const out = join(dir, "killed.mcap");
    const child = spawn(process.execPath, ["--import", "tsx", import.meta.filename], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, OMNILOOP_WORKERS_CRASH_CHILD: out },
    });
    const { lastHandedOver } = await killAfter(child, 250);

    const log = await openLog(out);
    const summary = await log.summary();
    assert.equal(summary.closedCleanly, false);
    assert.equal(summary.recovery?.damaged.length, 0, "a crash truncates; it does not corrupt");
    const images = summary.topics.find((t) => t.topic === IMAGE.name)?.count ?? 0;
    assert.ok(images >= 20, `camera chunks were written (${images} frames)`);
    const lostSeconds = Number(lastHandedOver - summary.end!) / 1e9;
    assert.ok(lostSeconds <= 1, `lost ${lostSeconds.toFixed(3)} s`);
  });
}
