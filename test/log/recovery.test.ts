// Truncated and corrupted files: each gives a clear error or a recovery report that says what was
// lost — never a crash, never silent garbage.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Recorder } from "../../src/log/recorder.ts";
import { openLog, type LogSummary, type ReadReport } from "../../src/log/reader.ts";
import { decoderFor } from "../../src/log/decode.ts";
import { NotMcapError } from "../../src/log/mcap-scan.ts";
import { SAMPLES } from "./fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "omniloop-recov-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const N = 200;
/** A clean log of N joint states, 10 ms apart, in chunks of ~10 messages. */
async function cleanLog(compression: "zstd" | "none"): Promise<Buffer> {
  const out = join(dir, `clean-${compression}.mcap`);
  const rec = await Recorder.open({ out, chunkBytes: 1500, compression, timer: false });
  for (let i = 0; i < N; i++) {
    const js = { ...SAMPLES["sensor_msgs/msg/JointState"], position: Float64Array.of(i, i, i, i) };
    rec.write({ name: "/joint_states", type: "sensor_msgs/msg/JointState" }, js, BigInt(i + 1) * 10_000_000n);
  }
  rec.close();
  return readFileSync(out);
}

/** Reads a damaged file the way inspect and replay do; every message that comes out must decode
 * to the joint state recorded at its log time (no garbage). */
async function readBack(path: string): Promise<{ summary: LogSummary; positions: number[]; report: ReadReport | undefined }> {
  const log = await openLog(path);
  const summary = await log.summary();
  const positions: number[] = [];
  for await (const m of log.messages()) {
    const d = decoderFor(m.channel);
    assert.ok(d.ok);
    const js = d.decode(m.data) as { position: Float64Array };
    assert.equal(js.position[0], Number(m.logTime / 10_000_000n) - 1, "message matches its log time");
    positions.push(js.position[0]!);
  }
  return { summary, positions, report: log.readReport() };
}

for (const compression of ["zstd", "none"] as const) {
  test(`a file truncated anywhere recovers every complete chunk before the cut (${compression})`, async () => {
    const bytes = await cleanLog(compression);
    let lastCount = -1;
    for (const frac of [0.05, 0.2, 0.37, 0.5, 0.73, 0.9, 0.97]) {
      const cut = Math.floor(bytes.length * frac);
      const path = join(dir, `cut-${compression}-${frac}.mcap`);
      writeFileSync(path, bytes.subarray(0, cut));
      const { summary, positions } = await readBack(path);
      assert.equal(summary.closedCleanly, false, `${frac}`);
      assert.match(summary.recovery!.reason, /no footer/);
      assert.equal(summary.recovery!.damaged.length, 0);
      assert.equal(positions.length, summary.messageCount);
      assert.deepEqual(positions, positions.map((_, i) => i), "a prefix, in order");
      assert.ok(summary.messageCount >= lastCount, "a longer prefix never recovers less");
      assert.ok(summary.recovery!.bytesRead <= cut);
      lastCount = summary.messageCount;
    }
    assert.ok(lastCount > N * 0.8, `97% of the file gives most messages (${lastCount})`);
  });
}

test("a corrupted chunk is reported as damaged and skipped; the chunks around it still read", async () => {
  const bytes = Buffer.from(await cleanLog("zstd"));
  const path = join(dir, "corrupt.mcap");
  // Flip bytes in the middle of the data section (inside some chunk's compressed records).
  const at = Math.floor(bytes.length * 0.4);
  for (let i = 0; i < 16; i++) bytes[at + i]! ^= 0x5a;
  writeFileSync(path, bytes);
  const log = await openLog(path);
  const clean = await log.summary();
  assert.equal(clean.closedCleanly, true, "the footer and summary are intact");
  const { positions, report } = await readBack(path);
  assert.equal(report?.damaged.length, 1);
  assert.match(report!.damaged[0]!.reason, /CRC|decompress|zstd|Unknown|error/i);
  assert.ok(positions.length < N && positions.length > N / 2, `most messages survive (${positions.length})`);
  assert.ok(positions.at(-1) === N - 1, "chunks after the damage still read");
  const scanned = await log.summary({ scan: true });
  assert.equal(scanned.recovery?.damaged.length, 1, "a full scan reports the damage too");
});

test("a corrupted record length (framing lost) resynchronises on the next chunk", async () => {
  const bytes = Buffer.from(await cleanLog("none"));
  const path = join(dir, "framing.mcap");
  // Find a chunk record (opcode 0x06) a third of the way in and break the opcode of the record after it.
  let off = 8;
  let broken = false;
  while (off < bytes.length * 0.6) {
    const len = Number(bytes.readBigUInt64LE(off + 1));
    if (bytes[off] === 0x06 && off > bytes.length / 3) {
      bytes[off] = 0x42; // not an opcode: the reader has lost the framing here
      broken = true;
      break;
    }
    off += 9 + len;
  }
  assert.ok(broken);
  writeFileSync(path, bytes);
  const { positions, report } = await readBack(path);
  const damaged = report!.damaged;
  assert.equal(damaged.length, 1);
  assert.match(damaged[0]!.reason, /unknown record opcode 0x42 \(framing lost\)/);
  assert.ok(positions.at(-1) === N - 1 && positions.length < N, `resynced (${positions.length} of ${N})`);
});

test("a file that is not MCAP, or empty, is a clear error", async () => {
  const junk = join(dir, "junk.mcap");
  writeFileSync(junk, "this is not a log at all, just some text\n");
  await assert.rejects(async () => (await openLog(junk)).summary(), (e: unknown) => {
    assert.ok(e instanceof NotMcapError);
    assert.match((e as Error).message, /junk\.mcap: not an MCAP file \(expected the magic bytes 89 4d 43 41 50 30 0d 0a, found 74 68 69 73/);
    return true;
  });
  const empty = join(dir, "empty.mcap");
  writeFileSync(empty, "");
  await assert.rejects(async () => (await openLog(empty)).summary(), /empty\.mcap: not an MCAP file .*found nothing/);
  await assert.rejects(openLog(join(dir, "missing.mcap")), /missing\.mcap: no such file or folder/);
});

test("a file cut inside the magic or header reports the unfinished tail", async () => {
  const bytes = await cleanLog("none");
  const path = join(dir, "tiny.mcap");
  writeFileSync(path, bytes.subarray(0, 12));
  const s = await (await openLog(path)).summary();
  assert.equal(s.messageCount, 0);
  assert.equal(s.closedCleanly, false);
  assert.equal(s.recovery!.lostTailBytes, 4);
});
