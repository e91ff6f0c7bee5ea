// The local ONNX policy on the micro test model (random weights, made by models/make_test_models.py):
// contract check, KV-cache stepping, sliding window, rollout, provider fallback and `auto`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OnnxPolicy } from "../../src/policy/onnx-policy.ts";
import { ContractError } from "../../src/policy/contract.ts";
import { ByteTokenizer } from "../../src/omnitoken/tokenizer.ts";
import { absentToken, textToken, tokensEqual } from "../../src/omnitoken/token.ts";
import type { Omnitoken } from "../../src/omnitoken/types.ts";

const dir = "test/fixtures/models/micro";
const load = (extra: Partial<Parameters<typeof OnnxPolicy.load>[0]> = {}) =>
  OnnxPolicy.load({ card: join(dir, "card.json"), model: join(dir, "model.onnx"), provider: "cpu", ...extra });
const stamp = { sec: 0, nanosec: 0 };

function prefixOf(p: OnnxPolicy, text: string): Omnitoken[] {
  return new ByteTokenizer(p.card.tokenizer).command(text).map((id, i) => textToken(p.card, id, i, stamp));
}

/** A tick token with deterministic, distinct content per step. */
function tick(p: OnnxPolicy, step: number): Omnitoken {
  const t = absentToken(p.card, step, stamp);
  for (const [name, cell] of Object.entries(t.columns)) {
    if (name === "text") continue;
    cell.origin = "observed";
    cell.data.forEach((_, i) => ((cell.data as Float32Array)[i] = ((step * 31 + i * 7) % 17) / 17));
  }
  return t;
}

test("a card that disagrees with the graph is refused, naming the mismatch", async () => {
  const tmp = mkdtempSync(join(tmpdir(), "omniloop-card-"));
  const card = JSON.parse(readFileSync(join(dir, "card.json"), "utf8"));
  const action = card.columns.find((c: { kind: string }) => c.kind === "action");
  action.width += 1;
  action.action.joints.push({ ...action.action.joints[0], name: "extra_joint" });
  writeFileSync(join(tmp, "card.json"), JSON.stringify(card));
  copyFileSync(join(dir, "model.onnx"), join(tmp, "model.onnx"));
  await assert.rejects(
    OnnxPolicy.load({ card: join(tmp, "card.json"), model: join(tmp, "model.onnx") }),
    (err: unknown) => {
      assert.ok(err instanceof ContractError);
      assert.match(err.message, new RegExp(`card declares action width ${action.width}, graph input action has ${action.width - 1}`));
      assert.match(err.message, /graph output action_out has/);
      return true;
    },
  );
});

test("stepping is deterministic and a rollout leaves the context as it was", async () => {
  const a = await load();
  const b = await load();
  await a.start(prefixOf(a, "touch the red block"));
  await b.start(prefixOf(b, "touch the red block"));
  for (let k = 0; k < 5; k++) assert.ok(tokensEqual(await a.step(tick(a, 30 + k)), await b.step(tick(b, 30 + k))));
  const chunk = await a.rollout(tick(a, 35), 4);
  assert.equal(chunk.length, 4);
  assert.ok(chunk.every((t) => t.columns.action!.origin === "predicted"));
  const after = await b.step(tick(b, 35)); // b saw the same observation without rolling out
  assert.ok(tokensEqual(await a.step(tick(a, 36)), await b.step(tick(b, 36))), "rollout left predictions in the context");
  assert.ok(tokensEqual(chunk[0]!, after));
  await a.close();
  await b.close();
});

test("a full context slides, keeping the command prefix", async () => {
  const p = await load();
  const prefix = prefixOf(p, "push");
  await p.start(prefix);
  const steps = p.card.context_length * 3;
  for (let k = 0; k < steps; k++) await p.step(tick(p, prefix.length + k));
  assert.ok(p.slides > 0);
  assert.ok(p.contextLength <= p.card.context_length);
  assert.ok(p.contextLength > prefix.length);
  await p.close();
});

test("a prefix longer than the context is refused with the numbers", async () => {
  const p = await load();
  const long = prefixOf(p, "x".repeat(p.card.context_length + 5));
  await assert.rejects(p.start(long), /command prefix plus \d+ new tokens exceed the model's context of/);
  await p.close();
});

test("a provider that cannot start falls back to the CPU with a log line; auto says why it chose", async () => {
  const lines: string[] = [];
  const fell = await load({ provider: "cuda", log: (l) => lines.push(l) });
  assert.equal(fell.provider, "cpu");
  assert.ok(lines.some((l) => /execution provider cuda failed to start/.test(l)), lines.join("\n"));
  await fell.close();
  lines.length = 0;
  const auto = await load({ provider: "auto", log: (l) => lines.push(l) });
  const why = lines.find((l) => l.startsWith("execution provider auto:"));
  assert.ok(why, lines.join("\n"));
  assert.match(why, /cpu \d+\.\d+ ms/);
  assert.match(why, new RegExp(`→ ${auto.provider}$`));
  await auto.close();
});

test("a repeated command reuses its prefill: the same prediction and the same steps after it", async () => {
  const cached = await load();
  const fresh = await load({ prefixCache: false });
  const later = { sec: 12, nanosec: 5 }; // a later episode: other stamps, same packed inputs
  const episode = async (p: OnnxPolicy, text: string, at = stamp) => {
    const prefix = prefixOf(p, text).map((t) => ({ ...t, stamp: at }));
    const out = [await p.start(prefix)];
    for (let k = 0; k < 4; k++) out.push(await p.step(tick(p, prefix.length + k)));
    return out;
  };
  const plan = [
    ["reach the red block", stamp], // prefilled and held
    ["reach the red block", later], // the same prefix: from the cache
    ["push the red block into the blue zone", stamp], // another: prefilled, held instead
    ["reach the red block", stamp], // no longer held: prefilled again
  ] as const;
  for (const [text, at] of plan) {
    const a = await episode(cached, text, at);
    const b = await episode(fresh, text, at);
    assert.equal(a.length, b.length);
    a.forEach((t, i) => assert.ok(tokensEqual(t, b[i]!), `${text}: token ${i} differs from a fresh prefill's`));
    assert.deepEqual(a[0]!.stamp, b[0]!.stamp, "the prediction carries this episode's stamps");
  }
  assert.equal(cached.prefixHits, 1, "only the second episode repeated the prefix before it");
  assert.equal(fresh.prefixHits, 0);
  await cached.close();
  await fresh.close();
});
