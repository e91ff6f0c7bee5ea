// `record --sim --expert`: one MCAP per expert episode with the command, sensors, the expert's
// commands and the outcome; the same seed gives the same message stream; the logs export.
// `record --sim --model`: DAgger episodes, the model driving and the expert labelling.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openLog } from "../../src/log/reader.ts";
import { EXPERT_LABEL_TOPIC, recordExpertEpisodes, recordPolicyEpisodes } from "../../src/log/sim-record.ts";
import { decoderFor } from "../../src/log/decode.ts";
import { normaliseAction } from "../../src/encoders/command.ts";
import { OnnxPolicy } from "../../src/policy/onnx-policy.ts";
import { exportDataset } from "../../src/log/dataset.ts";
import { loadCard } from "../../src/omnitoken/card.ts";
import type { ActionColumnSpec } from "../../src/omnitoken/card-types.ts";

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

/** A float32 .npy the exporter wrote (its header is padded to 128 bytes), as rows of `width`. */
function npyRows(path: string, width: number): Float32Array[] {
  const b = readFileSync(path).subarray(128);
  const all = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  return Array.from({ length: all.length / width }, (_, i) => all.subarray(i * width, (i + 1) * width));
}

async function decoded(path: string, topic: string): Promise<{ t: bigint; data: number[] }[]> {
  const out: { t: bigint; data: number[] }[] = [];
  for await (const m of (await openLog(path)).messages({ topics: [topic] })) {
    const d = decoderFor(m.channel);
    assert.ok(d.ok, `${topic} decodes`);
    out.push({ t: m.logTime, data: Array.from((d.decode(m.data) as { data: ArrayLike<number> }).data) });
  }
  return out;
}

test("DAgger: a model-driven episode logs what the model sent and the expert's label for every state; the dataset learns the labels", async () => {
  const policy = await OnnxPolicy.load({ card: "test/fixtures/models/tiny/card.json", model: "test/fixtures/models/tiny/model.onnx", provider: "cpu" });
  try {
    const [r] = await recordPolicyEpisodes({ policy, episodes: 1, seed: 3, task: "reach", outDir: join(dir, "dagger") });
    const log = await openLog(r!.file);
    const meta = await log.metadata();
    assert.deepEqual(JSON.parse(meta["omniloop.topic_map"]!.json!) as unknown, { commands: [EXPERT_LABEL_TOPIC.name] });
    const sent = await decoded(r!.file, "/forward_position_controller/commands");
    const labels = await decoded(r!.file, EXPERT_LABEL_TOPIC.name);
    assert.ok(sent.length > 10, `${sent.length} commands`);
    // A label for every state the loop acted on, at the time it acted (a tick it held has one too).
    const labelAt = new Map(labels.map((l) => [l.t, l.data]));
    assert.equal(labelAt.size, labels.length, "one label per tick");
    assert.ok(sent.every((c) => labelAt.has(c.t)), "each command sent has its state's label");
    assert.ok(labels.length - sent.length <= 2, `${labels.length} labels, ${sent.length} commands`);
    // A random model does not do what the expert would: the labels are not the commands sent.
    assert.ok(sent.some((c) => c.data.some((v, j) => Math.abs(v - labelAt.get(c.t)![j]!) > 1e-3)));

    const card = loadCard("sim/card.json");
    await exportDataset([r!.file], { card, out: join(dir, "ds-dagger") });
    const action = card.columns.find((c): c is ActionColumnSpec => c.kind === "action")!;
    const cmd = npyRows(join(dir, "ds-dagger/shard-00000/command.npy"), 3).filter((row) => !Number.isNaN(row[0]));
    // Every tick takes its state's label as the action target. The state the episode ended in has
    // no label of its own (nothing acts on it): the sampler carries the last one over, within stale_s.
    assert.ok(Math.abs(cmd.length - labels.length) <= 1, `${cmd.length} targets, ${labels.length} labels`);
    cmd.slice(0, labels.length).forEach((row, i) => {
      const want = normaliseAction(labels[i]!.data, action);
      for (let j = 0; j < 3; j++) assert.ok(Math.abs(row[j]! - want[j]!) < 1e-6, `tick ${i} joint ${j}: ${row[j]} vs label ${want[j]}`);
    });
  } finally {
    await policy.close();
  }
});

test("DART logs label each state with the expert's clean command, not the noisy one sent", async () => {
  const [r] = await recordExpertEpisodes({ episodes: 1, seed: 9, task: "push", outDir: join(dir, "dart"), noise: 0.5 });
  const sent = await decoded(r!.file, "/forward_position_controller/commands");
  const labels = await decoded(r!.file, EXPERT_LABEL_TOPIC.name);
  assert.equal(labels.length, sent.length);
  const gap = Math.max(...labels.flatMap((l, i) => l.data.map((v, j) => Math.abs(v - sent[i]!.data[j]!))));
  assert.ok(gap > 0.01, `noise shows between label and command: ${gap}`);
  const clean = await recordExpertEpisodes({ episodes: 1, seed: 9, task: "push", outDir: join(dir, "dart-clean") });
  const meta = await (await openLog(clean[0]!.file)).metadata();
  assert.equal(meta["omniloop.topic_map"], undefined, "a clean expert log needs no labels: its commands are the expert's");
});
