// Record → read round trip of every message type and omnitokens, bit-exact; the file is a valid
// indexed MCAP (summary, CRCs) that @mcap/core's own indexed reader opens; rotation; metadata.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { McapIndexedReader } from "@mcap/core";
import { ROS_TYPE_NAMES } from "../../src/messages/types.ts";
import { Recorder } from "../../src/log/recorder.ts";
import { openLog, type LogMessage } from "../../src/log/reader.ts";
import { decoderFor } from "../../src/log/decode.ts";
import { decompressHandlers } from "../../src/log/compression.ts";
import { CARD, SAMPLES, sampleToken } from "./fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "omniloop-rec-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function readAll(path: string): Promise<LogMessage[]> {
  const out: LogMessage[] = [];
  for await (const m of (await openLog(path)).messages()) out.push(m);
  return out;
}

for (const compression of ["zstd", "lz4", "none"] as const) {
  test(`every message type and an omnitoken round-trip bit-exactly (${compression})`, async () => {
    const out = join(dir, `all-${compression}.mcap`);
    const rec = await Recorder.open({ out, compression, card: CARD, config: { why: "test" }, timer: false });
    let t = 1_700_000_000_000_000_000n;
    for (const type of ROS_TYPE_NAMES) rec.write({ name: `/t/${type}`, type }, SAMPLES[type], (t += 1_000_000n));
    rec.write({ name: "/omniloop/observation", type: "omniloop/msg/Omnitoken" }, sampleToken(3), (t += 1_000_000n));
    const result = rec.close();
    assert.equal(result.messages, ROS_TYPE_NAMES.length + 1);

    const msgs = await readAll(out);
    assert.equal(msgs.length, ROS_TYPE_NAMES.length + 1);
    ROS_TYPE_NAMES.forEach((type, i) => {
      const m = msgs[i]!;
      assert.equal(m.channel.topic, `/t/${type}`);
      assert.equal(m.channel.type, type);
      const d = decoderFor(m.channel);
      assert.ok(d.ok);
      assert.deepStrictEqual(d.decode(m.data), SAMPLES[type], type);
    });
    const tok = msgs.at(-1)!;
    assert.equal(tok.channel.messageEncoding, "msgpack");
    assert.equal(tok.channel.schemaEncoding, "omniloop-card");
    assert.deepEqual(JSON.parse(new TextDecoder().decode(tok.channel.schemaData)), CARD);
    const d = decoderFor(tok.channel);
    assert.ok(d.ok);
    assert.deepStrictEqual(d.decode(tok.data), sampleToken(3));

    const summary = await (await openLog(out)).summary();
    assert.equal(summary.closedCleanly, true);
    assert.equal(summary.profile, "ros2");
    assert.equal(summary.messageCount, ROS_TYPE_NAMES.length + 1);
    assert.deepEqual(JSON.parse(summary.metadata["omniloop.card"]!.json!), CARD);
    assert.equal(JSON.parse(summary.metadata.omniloop!.config!).why, "test");
    assert.equal(summary.chunks!.compression[0], compression);
  });
}

test("the file is valid indexed MCAP: @mcap/core's indexed reader reads it, chunk CRCs checked", async () => {
  const out = join(dir, "valid.mcap");
  const rec = await Recorder.open({ out, chunkBytes: 256, timer: false });
  for (let i = 0; i < 50; i++) rec.write({ name: "/joint_states", type: "sensor_msgs/msg/JointState" }, SAMPLES["sensor_msgs/msg/JointState"], BigInt(i) * 10_000_000n);
  rec.close();
  const bytes = readFileSync(out);
  const reader = await McapIndexedReader.Initialize({
    readable: { size: async () => BigInt(bytes.length), read: async (o, n) => bytes.subarray(Number(o), Number(o + n)) },
    decompressHandlers,
  });
  assert.ok(reader.chunkIndexes.length > 5, "small chunk size gives many chunks");
  let n = 0;
  for await (const m of reader.readMessages()) {
    assert.equal(m.logTime, BigInt(n) * 10_000_000n);
    n++;
  }
  assert.equal(n, 50);
  // Per-topic spans come from the message indexes, and match a full scan.
  const log = await openLog(out);
  const fromIndex = (await log.summary()).topics.map((t) => [t.topic, t.first, t.last]);
  assert.deepEqual(fromIndex, [["/joint_states", 0n, 490_000_000n]]);
  assert.deepEqual(fromIndex, (await log.summary({ scan: true })).topics.map((t) => [t.topic, t.first, t.last]));
  assert.equal(reader.statistics?.messageCount, 50n);
  assert.ok(!reader.dataSectionCrc, "not computed: chunks carry their own CRCs");
  for (const c of reader.chunkIndexes) {
    const crc = bytes.readUInt32LE(Number(c.chunkStartOffset) + 9 + 24);
    assert.notEqual(crc, 0, "every chunk has a CRC (the reader above checked it)");
  }
});

test("rotation by size and by duration writes complete files that each read back", async () => {
  const bySize = join(dir, "rot.mcap");
  const rec = await Recorder.open({ out: bySize, rotateBytes: 2000, chunkBytes: 500, compression: "none", timer: false });
  for (let i = 0; i < 100; i++) rec.write({ name: "/joint_states", type: "sensor_msgs/msg/JointState" }, SAMPLES["sensor_msgs/msg/JointState"], BigInt(i) * 1_000_000n);
  const r = rec.close();
  assert.ok(r.files.length > 2, `expected several files, got ${r.files.join(", ")}`);
  assert.equal(r.files[0], join(dir, "rot_0.mcap"));
  let total = 0;
  for (const f of r.files) {
    const s = await (await openLog(f)).summary();
    assert.equal(s.closedCleanly, true, f);
    assert.ok(s.metadata.omniloop, `${f} repeats the metadata`);
    total += s.messageCount;
  }
  assert.equal(total, 100);

  const byTime = await Recorder.open({ out: join(dir, "rt.mcap"), rotateSeconds: 1, timer: false });
  for (let i = 0; i < 35; i++) byTime.write({ name: "/omniloop/task", type: "std_msgs/msg/String" }, { data: "x" }, BigInt(i) * 100_000_000n);
  const files = byTime.close().files;
  assert.equal(files.length, 4); // 0–0.9 s, 1.0–1.9, 2.0–2.9, 3.0–3.4
  assert.equal((await (await openLog(files[3]!)).summary()).messageCount, 5);
});

test("a chunk is flushed once its oldest message waited the flush interval", async () => {
  const out = join(dir, "flush.mcap");
  const rec = await Recorder.open({ out, flushIntervalMs: 30, timer: false });
  rec.write({ name: "/omniloop/task", type: "std_msgs/msg/String" }, { data: "a" }, 1n);
  const before = (await (await openLog(out)).summary()).messageCount;
  await new Promise((r) => setTimeout(r, 40));
  rec.tick();
  const after = (await (await openLog(out)).summary()).messageCount;
  rec.close();
  assert.equal(before, 0, "still in the open chunk");
  assert.equal(after, 1, "flushed by tick() after the interval");
});
