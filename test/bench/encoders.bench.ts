// Encoder figures (issue "Foundation"): `pack` — one control tick's observation omnitoken from a
// 640×480 rgb8 Image, 20 Detection3D and a 7-joint JointState, via encodeObservation into a reused
// scratch token (as the loop does), card pixels 32×32×3, objects max 20 (all 20 fit), action 7.
// The task command does not live in a tick's token: it enters the context once per episode as its
// own prefix tokens (docs/CONVENTIONS.md), timed as pack.command. The per-column rows show where
// the time goes; pack.unaligned is the image arriving as a view at an odd offset (a CDR message);
// pack.image.js is the plain-JS fallback for runtimes without WebAssembly SIMD.
import { atMost, info, type Bench, type BenchResult } from "../../src/cli/bench-types.ts";
import { median, quantile, timeCalls } from "../../src/cli/stats.ts";
import { encodeDetections3D } from "../../src/encoders/detections.ts";
import { encodeImage } from "../../src/encoders/image.ts";
import { encodeJointState } from "../../src/encoders/joints.ts";
import { encodeObservation } from "../../src/encoders/observation.ts";
import { commandTokens } from "../../src/encoders/text.ts";
import * as make from "../../src/messages/make.ts";
import { columnOf } from "../../src/omnitoken/card.ts";
import { ARM_JOINTS, objectsSpec, pixelsSpec, prng, randomBytes, testCard } from "../encoders/helpers.ts";

const TARGET_US = 300;

function fixtures() {
  const card = testCard({ pixels: pixelsSpec(32, 32, 3), objects: objectsSpec(20) });
  const image = make.image({ width: 640, height: 480, encoding: "rgb8", data: randomBytes(1, 640 * 480 * 3), frame_id: "camera" });
  const odd = new Uint8Array(image.data.length + 1).subarray(1);
  odd.set(image.data);
  const rand = prng(2);
  const classes = ["red_block", "green_block", "blue_block", "yellow_block", "purple_cup"];
  const detections = make.detection3DArray(
    Array.from({ length: 20 }, (_, i) =>
      make.detection3D({ class_id: classes[i % classes.length]!, score: rand(), position: make.vector3(rand() - 0.5, rand() * 0.8 - 0.4, rand() * 0.3), frame_id: "table" }),
    ),
    { frame_id: "table" },
  );
  const joints = make.jointState({ name: ARM_JOINTS, position: ARM_JOINTS.map(() => rand()) });
  return { card, image, unaligned: { ...image, data: odd }, detections, joints };
}

function row(name: string, samples: Float64Array, note: string): BenchResult {
  return info(name, median(samples), "us", `p99 ${quantile(samples, 0.99).toFixed(1)} us; ${note}`);
}

export const benches: Bench[] = [
  {
    name: "pack",
    description: "one observation omnitoken from 640×480 rgb8 + 20 detections + 7 joints (encodeObservation)",
    async run({ quick, log }) {
      const { card, image, unaligned, detections, joints } = fixtures();
      const n = quick ? 50 : 2000;
      const scratch = encodeObservation(card, { image, detections, joints }, 0, { sec: 0, nanosec: 0 });
      let step = 0;
      const pack = timeCalls(() => void encodeObservation(card, { image, detections, joints }, ++step, { sec: 0, nanosec: 0 }, scratch), n);
      const p99 = quantile(pack, 0.99);
      log(`pack: median ${median(pack).toFixed(1)} us, p99 ${p99.toFixed(1)} us over ${n} ticks`);

      const pixels = columnOf(card, "pixels")!;
      const objects = columnOf(card, "objects")!;
      const action = columnOf(card, "action")!;
      const px = scratch.columns[pixels.name]!.data as Float32Array;
      const ob = scratch.columns[objects.name]!.data as Float32Array;
      const ac = scratch.columns[action.name]!.data as Float32Array;
      const m = quick ? 20 : 500;
      const img = timeCalls(() => void encodeImage(image, pixels, px), m);
      const odd = timeCalls(() => void encodeImage(unaligned, pixels, px), m);
      const js = timeCalls(() => void encodeImage(image, pixels, px, { method: "swar" }), m);
      const obj = timeCalls(() => void encodeDetections3D(detections, objects, ob), m);
      const jnt = timeCalls(() => void encodeJointState(joints, action, ac), m);
      const cmd = timeCalls(() => void commandTokens(card, make.stringMsg("push the blue block into the green zone"), 0, { sec: 0, nanosec: 0 }), m);
      return [
        atMost("pack.median", median(pack), "us", TARGET_US, `p99 ${p99.toFixed(1)} us; the 640×480 area average is most of it (pack.image), wasm SIMD`),
        info("pack.p99", p99, "us"),
        row("pack.image", img, "encodeImage 640×480 rgb8 → 32×32×3"),
        row("pack.unaligned", odd, "same, data at an odd byte offset"),
        row("pack.image.js", js, "same, rows summed in plain JS (SWAR) instead of WebAssembly SIMD"),
        row("pack.objects", obj, "encodeDetections3D, 20 detections"),
        row("pack.joints", jnt, "encodeJointState, 7 joints"),
        row("pack.command", cmd, "commandTokens, 39-byte command → 41 text tokens, once per episode"),
      ];
    },
  },
];
