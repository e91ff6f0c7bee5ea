// The composer on virtual time: fresh samples are observed, a stale column is filled in from the
// previous prediction for a bounded number of ticks, then the loop is told to hold, with the reason.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Composer } from "../../src/loop/composer.ts";
import { loadCard } from "../../src/omnitoken/card.ts";
import { absentToken } from "../../src/omnitoken/token.ts";
import { image, jointState } from "../../src/messages/make.ts";

const card = loadCard("test/fixtures/cards/valid-tabletop.json"); // 10 Hz, pixels 32×32×3, 4 joints
const MS = 1_000_000n;
const stamp = { sec: 0, nanosec: 0 };
const joints = jointState({ name: ["wrist", "lift", "elbow", "shoulder"], position: [0.5, 0.15, -1.3, 1.3] });
const frame = image({ width: 64, height: 64, encoding: "rgb8", data: new Uint8Array(64 * 64 * 3).fill(255) });

/** A prediction whose pixels are all 0.25, to recognise fill-ins. */
function prediction(step: number) {
  const p = absentToken(card, step, stamp);
  for (const c of Object.values(p.columns)) c.origin = "predicted";
  (p.columns.pixels!.data as Float32Array).fill(0.25);
  return p;
}

test("fresh samples are observed; measured joints come back in joint units, card order", () => {
  const c = new Composer({ card });
  c.offer("image", frame, 0n);
  c.offer("joints", joints, 10n * MS);
  const o = c.compose(5, 20n * MS, stamp, null);
  assert.equal(o.token.columns.pixels!.origin, "observed");
  assert.equal(o.token.columns.action!.origin, "observed");
  assert.ok(Math.abs((o.token.columns.pixels!.data as Float32Array)[0]! - 1) < 1e-6);
  assert.deepEqual(Array.from(o.measured!, (v) => Math.round(v * 1e4) / 1e4), [1.3, -1.3, 0.15, 0.5]);
  // objects never arrived: stale, nothing to fill from → hold
  assert.deepEqual(o.stale, ["objects"]);
  assert.deepEqual(o.reasons, ["stale_input"]);
});

test("a dropped frame is filled from the prediction for at most maxFillTicks, then the robot is held", () => {
  const c = new Composer({ card, maxFillTicks: 2, staleness: { detections: 10 } });
  c.offer("detections", { header: { stamp, frame_id: "table" }, detections: [] }, 0n);
  let now = 0n;
  const tickAt = (k: number) => {
    now = BigInt(k) * 100n * MS; // 10 Hz
    c.offer("joints", joints, now);
    return c.compose(k, now, stamp, prediction(k));
  };
  c.offer("image", frame, 0n);
  assert.equal(tickAt(0).token.columns.pixels!.origin, "observed");
  const t1 = tickAt(1); // image is 100 ms old: within 1.5 periods
  assert.equal(t1.token.columns.pixels!.origin, "observed");
  const t2 = tickAt(2); // 200 ms old: stale → filled
  assert.deepEqual(t2.filled, ["pixels"]);
  assert.equal(t2.token.columns.pixels!.origin, "predicted");
  assert.equal((t2.token.columns.pixels!.data as Float32Array)[7], 0.25);
  assert.deepEqual(t2.reasons, []);
  assert.deepEqual(tickAt(3).filled, ["pixels"]);
  const t4 = tickAt(4); // fill budget spent
  assert.deepEqual(t4.filled, []);
  assert.equal(t4.token.columns.pixels!.origin, "absent");
  assert.deepEqual(t4.reasons, ["stale_input"]);
  c.offer("image", frame, now); // the camera is back: observed again, budget renewed
  const t5 = c.compose(5, now, stamp, prediction(5));
  assert.equal(t5.token.columns.pixels!.origin, "observed");
  assert.deepEqual(t5.reasons, []);
});

test("no input at all for longer than the watchdog holds as watchdog", () => {
  const c = new Composer({ card, watchdog: 0.3, staleness: { image: 10, detections: 10, joints: 10 } });
  c.offer("image", frame, 0n);
  c.offer("joints", joints, 0n);
  c.offer("detections", { header: { stamp, frame_id: "table" }, detections: [] }, 0n);
  assert.deepEqual(c.compose(0, 200n * MS, stamp, null).reasons, []);
  assert.deepEqual(c.compose(1, 400n * MS, stamp, null).reasons, ["watchdog"]);
});
