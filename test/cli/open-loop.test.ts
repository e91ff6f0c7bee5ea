// Open-loop scoring on real expert logs: an oracle that answers what was recorded scores zero (so
// the prediction/target alignment is right), a real model scores finite errors per joint.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { recordExpertEpisodes } from "../../src/log/sim-record.ts";
import { openLog } from "../../src/log/reader.ts";
import { sampleEpisodes } from "../../src/log/sampler.ts";
import { defaultTopicMap } from "../../src/log/topic-map.ts";
import { scoreOpenLoop } from "../../src/cli/open-loop.ts";
import { OnnxPolicy } from "../../src/policy/onnx-policy.ts";
import { loadCard } from "../../src/omnitoken/card.ts";
import { absentToken } from "../../src/omnitoken/token.ts";
import type { Policy } from "../../src/policy/types.ts";

const dir = mkdtempSync(join(tmpdir(), "omniloop-openloop-"));
const logs = (await recordExpertEpisodes({ episodes: 2, seed: 3, task: "all", outDir: dir })).map((r) => r.file);
const card = loadCard("test/fixtures/models/tiny/card.json");
test.after(() => rmSync(dir, { recursive: true, force: true }));

test("an oracle that predicts the recorded command scores zero error on every joint", async () => {
  // What was commanded at each tick, in order, read the way the scorer reads it.
  const commands: Float32Array[] = [];
  for (const path of logs) {
    for await (const ev of sampleEpisodes(await openLog(path), card, defaultTopicMap(card))) {
      if (ev.type === "tick" && ev.tick.command) commands.push(ev.tick.command);
    }
  }
  assert.ok(commands.length > 20);
  let k = 0;
  const oracle: Policy = {
    card,
    provider: "oracle",
    start: async () => absentToken(card, 0, { sec: 0, nanosec: 0 }),
    step: async (o) => {
      const p = absentToken(card, o.step + 1, o.stamp);
      p.columns.action = { origin: "predicted", data: Float32Array.from(commands[k++]!) };
      return p;
    },
    rollout: async () => [],
    close: async () => {},
  };
  const r = await scoreOpenLoop(logs, oracle);
  assert.equal(r.episodes.length, 2);
  assert.equal(r.episodes.reduce((a, e) => a + e.scored, 0), commands.length);
  for (const j of r.joints) assert.ok(r.overall[j.name]! < 1e-6, `${j.name}: ${r.overall[j.name]}`);
});

test("a real model scores finite per-joint errors, per episode", async () => {
  const policy = await OnnxPolicy.load({ card: "test/fixtures/models/tiny/card.json", model: "test/fixtures/models/tiny/model.onnx" });
  const r = await scoreOpenLoop(logs, policy);
  await policy.close();
  assert.deepEqual(r.joints.map((j) => j.name), ["shoulder_joint", "elbow_joint", "lift_joint"]);
  for (const e of r.episodes) {
    assert.ok(e.scored > 0 && e.scored <= e.ticks);
    for (const v of Object.values(e.rmse)) assert.ok(Number.isFinite(v) && v > 0);
  }
});

test("replay --open-loop without --model says what to give", () => {
  const r = spawnSync(process.execPath, ["bin/omniloop.js", "replay", logs[0]!, "--open-loop"], { encoding: "utf8" });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /replay --open-loop: give the model to score with --model CARD\.json/);
});
