// Replay order and timing: messages come out in recorded order, every time, and at --rate 1 the
// gaps between them match the recorded gaps within 2 ms.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryBus } from "../../src/bus/memory.ts";
import type { Topic } from "../../src/bus/types.ts";
import { Recorder } from "../../src/log/recorder.ts";
import { openLog } from "../../src/log/reader.ts";
import { replay } from "../../src/log/replay.ts";
import { VirtualTime } from "../../src/loop/time-source.ts";

const dir = mkdtempSync(join(tmpdir(), "omniloop-replay-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const JOINTS: Topic<"sensor_msgs/msg/JointState"> = { name: "/joint_states", type: "sensor_msgs/msg/JointState" };
const TASK: Topic<"std_msgs/msg/String"> = { name: "/omniloop/task", type: "std_msgs/msg/String" };
// Irregular gaps (ms), so a replay that ignored timing, or bunched it, shows.
const GAPS_MS = [0, 5, 20, 3, 8, 1, 12, 2, 6, 4, 10];
const T0 = 1_700_000_000_000_000_000n;

/** A joint state the bus accepts (the shared sample holds NaN and Infinity on purpose). */
const joints = (i: number) => ({
  header: { stamp: { sec: 1, nanosec: 0 }, frame_id: "" },
  name: ["a"],
  position: Float64Array.of(i),
  velocity: new Float64Array(0),
  effort: new Float64Array(0),
});

async function makeLog(): Promise<string> {
  const out = join(dir, "timed.mcap");
  const rec = await Recorder.open({ out, timer: false });
  let t = T0;
  GAPS_MS.forEach((gap, i) => {
    t += BigInt(gap) * 1_000_000n;
    if (i % 4 === 3) rec.write(TASK, { data: `task ${i}` }, t);
    else rec.write(JOINTS, joints(i), t);
  });
  rec.close();
  return out;
}

/** Replays onto a memory bus, noting each message's label and arrival time (on `clock`). */
async function collect(path: string, opts: Parameters<typeof replay>[2], now = () => process.hrtime.bigint()) {
  const bus = new MemoryBus();
  const got: { label: string; at: bigint }[] = [];
  bus.subscribe(JOINTS).subscribe((m) => got.push({ label: `j${m.position[0]}`, at: now() }));
  bus.subscribe(TASK).subscribe((m) => got.push({ label: m.data, at: now() }));
  const result = await replay(await openLog(path), bus, opts);
  await bus.close();
  return { got, result };
}

const gapsOf = (got: { at: bigint }[]) => got.slice(1).map((g, i) => Number(g.at - got[i]!.at) / 1e6);

const expectedLabels = GAPS_MS.map((_, i) => (i % 4 === 3 ? `task ${i}` : `j${i}`));

test("the schedule: each message is due at first + (logTime − logTime₀) / rate, exactly", async () => {
  const path = await makeLog();
  for (const rate of [1, 2, 0.5]) {
    const time = new VirtualTime(5_000_000_000n);
    const { got } = await collect(path, { rate, clock: time }, () => time.now());
    assert.deepEqual(got.map((g) => g.label), expectedLabels);
    assert.deepEqual(gapsOf(got), GAPS_MS.slice(1).map((g) => g / rate), `rate ${rate}`);
  }
});

/** The longest this process went without running, over `ms` of a bare hrtime loop (ms). */
function bareLoopStall(ms: number): number {
  let worst = 0;
  let prev = process.hrtime.bigint();
  const end = prev + BigInt(ms) * 1_000_000n;
  for (let t = prev; t < end; prev = t) {
    t = process.hrtime.bigint();
    worst = Math.max(worst, Number(t - prev) / 1e6);
  }
  return worst;
}

test("on the real clock at --rate 1 every gap matches the recorded gap within 2 ms", async (t) => {
  const path = await makeLog();
  // This machine is shared (2 cores, several test suites at once): the OS stalls a process for
  // several ms now and then — a bare loop with no replay in it measures the same. A stall is not
  // replay's error, so a run (70 ms, to make meeting one less likely) that met one is retried;
  // replay passes when one of ten runs holds every gap within 2 ms. A replay that bunched,
  // drifted or slept coarsely fails every run (the schedule itself is checked exactly on virtual
  // time above). Only when a bare loop, measured right after, stalls past 2 ms too is the machine
  // too busy to judge 2 ms, and the test says so and skips.
  const misses: string[] = [];
  for (let attempt = 0; attempt < 10; attempt++) {
    const { got, result } = await collect(path, { rate: 1 });
    assert.deepEqual(got.map((g) => g.label), expectedLabels);
    assert.equal(result.published, GAPS_MS.length);
    const bad = gapsOf(got).flatMap((gap, i) => (Math.abs(gap - GAPS_MS[i + 1]!) <= 2 ? [] : [`gap ${i + 1}: ${gap.toFixed(3)} ms, recorded ${GAPS_MS[i + 1]} ms`]));
    if (bad.length === 0) return;
    misses.push(`run ${attempt + 1}: ${bad.join("; ")}`);
  }
  const stall = bareLoopStall(500);
  if (stall > 2) return t.skip(`machine too busy to judge 2 ms: a bare loop stalled ${stall.toFixed(1)} ms (replay: ${misses[0]})`);
  assert.fail(misses.join("\n"));
});

test("--max ignores recorded timing; the order never changes", async () => {
  const path = await makeLog();
  const recorded = GAPS_MS.slice(1).reduce((a, b) => a + b, 0);
  const max = await collect(path, { max: true });
  assert.ok(Number(max.got.at(-1)!.at - max.got[0]!.at) / 1e6 < recorded / 4, "--max does not wait");
  assert.deepEqual(max.got.map((g) => g.label), expectedLabels);
  assert.equal(max.result.lateMs.max, 0);
});

test("topic subset and time range", async () => {
  const path = await makeLog();
  const only = await collect(path, { max: true, topics: ["/omniloop/task"] });
  assert.deepEqual(only.got.map((g) => g.label), ["task 3", "task 7"]);
  // From 0.028 s to 0.050 s after the first message: cumulative times 0,5,25,28,36,37,49,51,57…
  const range = await collect(path, { max: true, start: 0.028, end: 0.05 });
  assert.deepEqual(range.got.map((g) => g.label), ["task 3", "j4", "j5", "j6"]);
});

test("messages the bus cannot carry are counted per topic, not dropped silently", async () => {
  const out = join(dir, "foreign.mcap");
  const rec = await Recorder.open({ out, timer: false });
  rec.write(JOINTS, joints(0), T0);
  // A topic whose type no bus knows: written raw, as a foreign bag would hold it.
  const spec = { topic: "/tf", schemaName: "tf2_msgs/msg/TFMessage", schemaEncoding: "ros2msg", schemaData: new TextEncoder().encode("int32 x\n"), messageEncoding: "cdr" };
  rec.writeEncoded(spec, Uint8Array.of(0, 1, 0, 0, 1, 0, 0, 0), T0 + 1n, T0 + 1n);
  rec.writeEncoded(spec, Uint8Array.of(0, 1, 0, 0, 2, 0, 0, 0), T0 + 2n, T0 + 2n);
  rec.close();
  const { result } = await collect(out, { max: true });
  assert.equal(result.published, 1);
  assert.deepEqual(result.skipped, [
    { topic: "/tf", type: "tf2_msgs/msg/TFMessage", count: 2, reason: "type tf2_msgs/msg/TFMessage is not one the bus carries" },
  ]);
});

test("a rate that is not a positive number is refused", async () => {
  const path = await makeLog();
  await assert.rejects(replay(await openLog(path), new MemoryBus(), { rate: 0 }), /replay rate: expected a positive number, found 0/);
});
