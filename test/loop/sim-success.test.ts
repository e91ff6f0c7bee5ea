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
