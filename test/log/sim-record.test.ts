// `record --sim --expert`: one MCAP per expert episode with the command, sensors, the expert's
// commands and the outcome; the same seed gives the same message stream; the logs export.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openLog } from "../../src/log/reader.ts";
import { recordExpertEpisodes } from "../../src/log/sim-record.ts";
import { exportDataset } from "../../src/log/dataset.ts";
import { loadCard } from "../../src/omnitoken/card.ts";

const dir = mkdtempSync(join(tmpdir(), "omniloop-simrec-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function stream(path: string): Promise<string[]> {
  const out: string[] = [];
  for await (const m of (await openLog(path)).messages()) out.push(`${m.channel.topic} ${m.logTime} ${Buffer.from(m.data).toString("base64")}`);
  return out;
}

test("an expert episode is logged whole, deterministically, and exports", async () => {
  const a = await recordExpertEpisodes({ episodes: 1, seed: 7, task: "reach", outDir: join(dir, "a") });
  const b = await recordExpertEpisodes({ episodes: 1, seed: 7, task: "reach", outDir: join(dir, "b") });
  assert.equal(a.length, 1);
  const s = await (await openLog(a[0]!.file)).summary();
  const topics = Object.fromEntries(s.topics.map((t) => [t.topic, t.count]));
  for (const t of ["/omniloop/episode", "/omniloop/task", "/joint_states", "/camera/image_raw", "/detections", "/forward_position_controller/commands"]) {
    assert.ok((topics[t] ?? 0) > 0, `${t} recorded`);
  }
  assert.equal(topics["/omniloop/episode"], 2, "start and end events");
  assert.equal(s.metadata["omniloop.episode"]!.outcome, a[0]!.outcome);
  assert.deepEqual(await stream(a[0]!.file), await stream(b[0]!.file), "same seed, same message stream");

  const card = loadCard(join(import.meta.dirname, "../../sim/card.json"));
  const ds = await exportDataset([a[0]!.file], { card, out: join(dir, "ds") });
  const e = ds.index.episodes[0]!;
  assert.equal(e.task, "reach");
  assert.equal(e.seed, 7);
  assert.equal(e.outcome, a[0]!.outcome);
  assert.ok(e.ticks > 3 && e.command.length > 0);
  assert.deepEqual(ds.problems, []);
});
