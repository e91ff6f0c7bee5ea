// The closed loop end to end in lockstep with the shipped model — simulator → omnitokens → ONNX →
// safety filter → actuators — and a success floor, so a change that breaks any link (an encoder,
// the composer, the cache, the command path) shows as lost episodes. The floor is well below what
// the model gets (models/reference/EVAL.md): onnxruntime's CPU kernels may round differently on
// another machine, and an episode can flip (it touches in 99 of seeds 0–99). The model's words are not listened to here: its
// early "done" is measured by `omniloop sim` and reported in EVAL.md, not part of the floor.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { runSimEpisode } from "../../src/cli/sim-loop.ts";
import { OnnxPolicy } from "../../src/policy/onnx-policy.ts";
import { Sim } from "../../sim/lockstep.ts";

const CARD = "models/reference/card.json";
const SEEDS = 20;
const FLOOR = 16;

test(`the shipped model touches the named block in ≥ ${FLOOR} of ${SEEDS} lockstep reach episodes`, { skip: existsSync(CARD) ? false : `no shipped model at ${CARD}` }, async () => {
  const policy = await OnnxPolicy.load({ card: CARD, provider: "cpu" });
  const sim = await Sim.create({ controlRateHz: policy.card.control_rate_hz });
  try {
    const outcomes: string[] = [];
    for (let seed = 0; seed < SEEDS; seed++) {
      const r = await runSimEpisode(sim, seed, "reach", { policy, listen: false });
      outcomes.push(`${seed}:${r.outcome}`);
    }
    const ok = outcomes.filter((o) => o.endsWith(":success")).length;
    assert.ok(ok >= FLOOR, `${ok}/${SEEDS} succeeded: ${outcomes.join(" ")}`);
  } finally {
    await policy.close();
    sim.close();
  }
});

test("--linger runs the loop on after a success without changing the verdict, and times the model's done", { skip: existsSync(CARD) ? false : `no shipped model at ${CARD}` }, async () => {
  const policy = await OnnxPolicy.load({ card: CARD, provider: "cpu" });
  const sim = await Sim.create({ controlRateHz: policy.card.control_rate_hz });
  try {
    // The first seeds' pushes that succeed with the model's words ignored (its motion alone).
    for (let seed = 0, checked = 0; seed < 10 && checked < 2; seed++) {
      const plain = await runSimEpisode(sim, seed, "push", { policy, listen: false });
      if (!plain.success) continue;
      checked += 1;
      const held = await runSimEpisode(sim, seed, "push", { policy, listen: false, linger: 1 });
      assert.equal(held.outcome, "success");
      assert.equal(held.duration_s, plain.duration_s, "the duration is the verdict's");
      assert.equal(held.loop.ticks, plain.loop.ticks + 10, "1 s at 10 Hz more");
      assert.equal(held.doneAfterS, null, "not listening: the model cannot say done");
      const listened = await runSimEpisode(sim, seed, "push", { policy, confirmDone: 1, linger: 1 });
      if (listened.success && listened.doneAfterS !== null) {
        assert.equal(listened.loop.end, "model_done");
        assert.ok(listened.doneAfterS >= 0 && listened.doneAfterS <= 1 + 1e-9, `done ${listened.doneAfterS} s after`);
      }
    }
  } finally {
    await policy.close();
    sim.close();
  }
});
