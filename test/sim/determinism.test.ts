// The determinism contract: two runs of a seed give identical logs — every message (camera,
// detector with its noise, joint states, commands, episode events) recorded to MCAP through the
// project's recorder comes back byte for byte the same, with the same log times.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { Topic } from "../../src/bus/types.ts";
import { openLog } from "../../src/log/reader.ts";
import { Recorder } from "../../src/log/recorder.ts";
import { timeToNs } from "../../src/messages/time.ts";
import { runExpertEpisode } from "../../sim/episodes.ts";
import { Sim } from "../../sim/lockstep.ts";

const dir = mkdtempSync(join(tmpdir(), "omniloop-sim-det-"));
after(() => rmSync(dir, { recursive: true, force: true }));

async function record(seed: number, task: "reach" | "push", file: string): Promise<string> {
  const sim = await Sim.create(); // a fresh simulator each time: nothing carries over
  // No idle-chunk timer: chunk boundaries then depend on content only.
  const rec = await Recorder.open({ out: file, timer: false, flushIntervalMs: 1e9 });
  const write = rec.write as (t: Topic, m: unknown, at: bigint) => void;
  const result = runExpertEpisode(sim, seed, task, {
    afterTicks: 3,
    onTick: (tick, commands) => {
      for (const m of [...commands, ...tick.messages]) write.call(rec, m.topic, m.message, timeToNs(m.stamp));
    },
  });
  rec.close();
  sim.close();
  return result.outcome;
}

async function messages(file: string): Promise<string[]> {
  const out: string[] = [];
  const log = await openLog(file);
  for await (const m of log.messages()) out.push(`${m.channel.topic} ${m.logTime} ${Buffer.from(m.data).toString("base64")}`);
  return out;
}

test("two runs of a seed record identical MCAP message streams; another seed differs", async () => {
  for (const [seed, task] of [[11, "push"]] as const) {
    const a = join(dir, `a-${seed}.mcap`);
    const b = join(dir, `b-${seed}.mcap`);
    assert.equal(await record(seed, task, a), "success");
    assert.equal(await record(seed, task, b), "success");
    const ma = await messages(a);
    const mb = await messages(b);
    assert.ok(ma.length > 50, `only ${ma.length} messages`);
    assert.ok(ma.some((m) => m.startsWith("/camera/image_raw ")) && ma.some((m) => m.startsWith("/forward_position_controller/commands ")));
    assert.equal(ma.length, mb.length);
    ma.forEach((m, i) => assert.ok(m === mb[i], `message ${i} differs: ${m.slice(0, 60)}… vs ${mb[i]!.slice(0, 60)}…`));
  }
  const c = join(dir, "c.mcap");
  await record(12, "push", c);
  assert.notDeepEqual(await messages(c), await messages(join(dir, "a-11.mcap")));
});
