// What the loop feeds the model is what the model was trained on: for the same simulator messages,
// the closed loop's observation tokens equal, column for column and bit for bit, the tokens the
// dataset export's sampler makes from the log of that episode — with the objects layout that
// reads the episode's command ("named_first"), whose rows depend on it.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { MemoryBus } from "../../src/bus/memory.ts";
import { runSimEpisode } from "../../src/cli/sim-loop.ts";
import { stampToNs } from "../../src/log/layout.ts";
import { openLog } from "../../src/log/reader.ts";
import { Recorder } from "../../src/log/recorder.ts";
import { sampleEpisodes } from "../../src/log/sampler.ts";
import { defaultTopicMap } from "../../src/log/topic-map.ts";
import { DEFAULT_LOOP_TOPICS } from "../../src/loop/topics.ts";
import type { Omnitoken } from "../../src/omnitoken/types.ts";
import { OnnxPolicy } from "../../src/policy/onnx-policy.ts";
import { Sim } from "../../sim/lockstep.ts";

test("the loop's observations equal the dataset sampler's tokens for the same messages (named_first objects)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "omniloop-parity-"));
  const card = JSON.parse(readFileSync("test/fixtures/models/tiny/card.json", "utf8")) as { columns: { kind: string; objects?: { layout?: string } }[] };
  card.columns.find((c) => c.kind === "objects")!.objects!.layout = "named_first";
  writeFileSync(join(dir, "card.json"), JSON.stringify(card));
  const policy = await OnnxPolicy.load({ card: join(dir, "card.json"), model: resolve("test/fixtures/models/tiny/model.onnx"), provider: "cpu" });
  const sim = await Sim.create({ controlRateHz: policy.card.control_rate_hz });
  try {
    const tap = new MemoryBus();
    const seen: Omnitoken[] = [];
    tap.subscribe(DEFAULT_LOOP_TOPICS.observation).subscribe((m) => seen.push(m as unknown as Omnitoken));
    const rec = await Recorder.open({ out: join(dir, "episode.mcap"), timer: false });
    const topics = sim.config.topics;
    const r = await runSimEpisode(sim, 11, "push", {
      policy,
      tap,
      listen: false,
      onSimMessages(s, messages, commands) {
        for (const c of commands) if (c.type === "std_msgs/msg/Float64MultiArray") rec.write(topics.forward, c.message, stampToNs(s.stamp()));
        for (const m of messages) rec.write(m.topic, m.message, stampToNs(m.stamp));
      },
    });
    rec.close();
    assert.match(r.command, /block/);
    const sampled: Omnitoken[] = [];
    for await (const ev of sampleEpisodes(await openLog(join(dir, "episode.mcap")), policy.card, defaultTopicMap(policy.card))) {
      if (ev.type === "tick") sampled.push(ev.tick.observation);
    }
    assert.ok(seen.length > 20, `${seen.length} observations`);
    assert.equal(sampled.length, seen.length);
    seen.forEach((o, i) => {
      const d = sampled[i]!;
      assert.equal(o.step, d.step, `tick ${i}: step`);
      for (const [name, cell] of Object.entries(d.columns)) {
        assert.equal(o.columns[name]!.origin, cell.origin, `tick ${i}: ${name} origin`);
        assert.deepEqual(Array.from(o.columns[name]!.data), Array.from(cell.data), `tick ${i}: ${name}`);
      }
    });
    // The named block is row 0: present, and of the class the command names.
    const objects = seen[0]!.columns.objects!.data;
    assert.equal(objects[0], 1, "row 0 present");
  } finally {
    await policy.close();
    sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
