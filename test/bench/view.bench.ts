// The viewer's figures (issue "Seeing the loop"): what the live view costs the loop's thread per
// control tick — every message of one simulated tick turned into every channel a viewer can
// subscribe to (camera, detections drawn, 5 joint states, observation and prediction with their
// images, joints, surprise and step) — and how fast a report reads a log.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { info, type Bench } from "../../src/cli/bench-types.ts";
import { median, quantile, timeCalls } from "../../src/cli/stats.ts";
import { encodeObservation } from "../../src/encoders/observation.ts";
import { detection3D, detection3DArray, image, jointState } from "../../src/messages/make.ts";
import { loadCard } from "../../src/omnitoken/card.ts";
import { absentToken } from "../../src/omnitoken/token.ts";
import { collectLog } from "../../src/view/report/collect.ts";
import { ViewEncoder } from "../../src/view/view-encoder.ts";
import { pinholeCamera, DEFAULT_VIEW } from "../../sim/camera.ts";
import { recordEpisodes } from "../view/fixtures.ts";

export const benches: Bench[] = [
  {
    name: "view",
    description: "live view cost per control tick (all channels subscribed), report read speed",
    async run({ quick, log }) {
      const card = loadCard("test/fixtures/models/tiny/card.json");
      const camera = pinholeCamera({ width: 128, height: 96, fovY: 47, eye: DEFAULT_VIEW.eye, target: DEFAULT_VIEW.target });
      const enc = new ViewEncoder({ card, camera });
      const names = ["shoulder_joint", "elbow_joint", "lift_joint"];
      const frame = image({ width: 128, height: 96, data: new Uint8Array(128 * 96 * 3).fill(90) });
      const dets = detection3DArray(
        ["red_block", "green_block", "blue_block", "yellow_block", "red_zone", "green_zone"].map((c, i) => detection3D({ class_id: c, position: { x: -0.2 + 0.08 * i, y: 0.05, z: 0.02 }, size: { x: 0.04, y: 0.04, z: 0.04 } })),
        { frame_id: "table" },
      );
      const js = jointState({ name: names, position: [0.1, -0.4, 0.05] });
      const obs = encodeObservation(card, { image: frame, detections: dets, joints: js }, 10, { sec: 0, nanosec: 0 });
      const pred = absentToken(card, 11, { sec: 0, nanosec: 0 });
      for (const c of Object.values(pred.columns)) if (c.data instanceof Float32Array) c.origin = "predicted";
      const tick = () => {
        enc.encode("/camera/image_raw", frame, 0n);
        enc.encode("/detections", dets, 0n);
        for (let i = 0; i < 5; i++) enc.encode("/joint_states", js, 0n);
        enc.encode("/omniloop/observation", obs, 0n);
        enc.encode("/omniloop/prediction", pred, 0n);
      };
      const us = timeCalls(tick, quick ? 200 : 2000);
      log(`view: ${us.length} ticks encoded`);
      const rows = [
        info("view.tick_encode.median", median(us), "us", "one 10 Hz sim tick, every channel wanted; runs between ticks, off the loop's path"),
        info("view.tick_encode.p99", quantile(us, 0.99), "us"),
      ];
      const dir = mkdtempSync(join(tmpdir(), "omniloop-view-bench-"));
      try {
        const { file } = await recordEpisodes(dir, "b.mcap", [{ seed: 1, task: "reach" }], { seconds: quick ? 2 : 10 });
        const t0 = performance.now();
        const [e] = await collectLog(file);
        const s = (performance.now() - t0) / 1000;
        rows.push(info("report.read", e!.duration_s / s, "x realtime", `log of a ${e!.duration_s.toFixed(0)} s episode (camera 10 Hz, joints 50 Hz) read into the report's series`));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      return rows;
    },
  },
];
