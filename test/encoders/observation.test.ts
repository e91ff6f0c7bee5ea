import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeDetections2D, encodeDetections3D } from "../../src/encoders/detections.ts";
import { encodeImage } from "../../src/encoders/image.ts";
import { encodeJointState } from "../../src/encoders/joints.ts";
import { encodeObservation, type ObservationStats } from "../../src/encoders/observation.ts";
import { commandTokens, encodeCommand } from "../../src/encoders/text.ts";
import * as make from "../../src/messages/make.ts";
import { columnOf } from "../../src/omnitoken/card.ts";
import { cloneToken, tokensEqual } from "../../src/omnitoken/token.ts";
import { ByteTokenizer } from "../../src/omnitoken/tokenizer.ts";
import { ARM_JOINTS, objectsSpec, pixelsSpec, randomBytes, testCard } from "./helpers.ts";

const stamp = { sec: 3, nanosec: 4 };
const card = testCard({ pixels: pixelsSpec(8, 8, 3), objects: objectsSpec(4) });
const img = make.image({ width: 64, height: 48, data: randomBytes(1, 64 * 48 * 3) });
const dets = make.detection3DArray(
  Array.from({ length: 6 }, (_, i) => make.detection3D({ class_id: i % 2 ? "red_block" : "blue_block", score: 0.5 + i / 20, position: make.vector3(i / 20, 0, 0) })),
  { frame_id: "table" },
);
const joints = make.jointState({ name: ARM_JOINTS.slice().reverse(), position: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7] });

describe("encodeObservation", () => {
  it("packs every input into its column, observed, and text as PAD", () => {
    const stats: ObservationStats = {};
    const t = encodeObservation(card, { image: img, detections: dets, joints }, 12, stamp, undefined, stats);
    assert.equal(t.step, 12);
    assert.deepEqual(t.stamp, stamp);
    assert.deepEqual(t.columns.text, { origin: "observed", data: Int32Array.of(256) });
    assert.deepEqual(t.columns.pixels, { origin: "observed", data: encodeImage(img, columnOf(card, "pixels")!) });
    assert.deepEqual(t.columns.objects, { origin: "observed", data: encodeDetections3D(dets, columnOf(card, "objects")!).data });
    assert.deepEqual(t.columns.action, { origin: "observed", data: encodeJointState(joints, columnOf(card, "action")!) });
    assert.deepEqual(stats, { detections: { dropped: 2, unknownClasses: 0, outOfBounds: 0 } });
  });

  it("leaves a missing input's column absent and zero", () => {
    const t = encodeObservation(card, { joints }, 0, stamp);
    assert.equal(t.columns.pixels!.origin, "absent");
    assert.equal(t.columns.objects!.origin, "absent");
    assert.ok(t.columns.pixels!.data.every((v) => v === 0));
    assert.equal(t.columns.action!.origin, "observed");
  });

  it("reuses a scratch token: same arrays, same result as a fresh one, absent columns cleared", () => {
    const scratch = encodeObservation(card, { image: img, detections: dets, joints }, 1, stamp);
    const arrays = Object.values(scratch.columns).map((c) => c.data);
    const fresh = encodeObservation(card, { joints }, 2, { sec: 9, nanosec: 0 });
    const reused = encodeObservation(card, { joints }, 2, { sec: 9, nanosec: 0 }, scratch);
    assert.equal(reused, scratch);
    assert.deepEqual(Object.values(reused.columns).map((c) => c.data), arrays);
    assert.ok(Object.values(reused.columns).every((c, i) => c.data === arrays[i]));
    assert.ok(tokensEqual(cloneToken(reused), fresh));
  });

  it("reads a Detection2DArray for a 2D card", () => {
    const card2 = testCard({ pixels: pixelsSpec(4, 4, 1), objects: objectsSpec(2, ["cx", "cy", "w", "h"]) });
    const d2 = make.detection2DArray([make.detection2D({ class_id: "red_block", cx: 100, cy: 50, w: 10, h: 10 })]);
    const t = encodeObservation(card2, { detections: d2 }, 0, stamp);
    assert.deepEqual(t.columns.objects!.data, encodeDetections2D(d2, columnOf(card2, "objects")!).data);
    // An empty array is read by the card's coords.
    assert.equal(encodeObservation(card2, { detections: make.detection2DArray([]) }, 0, stamp).columns.objects!.origin, "observed");
  });

  it("refuses a scratch token of another card", () => {
    const other = testCard({ pixels: pixelsSpec(4, 4, 3) });
    const scratch = encodeObservation(other, {}, 0, stamp);
    assert.throws(() => encodeObservation(card, {}, 0, stamp, scratch), {
      name: "EncodeError",
      message: `cannot encode observation: the scratch token's column "pixels" holds Float32Array(48), the card needs Float32Array(192)`,
    });
  });

  it("passes an encoder's error through", () => {
    const partial = make.jointState({ name: ["shoulder"], position: [0] });
    assert.throws(() => encodeObservation(card, { joints: partial }, 0, stamp), { message: /joint "elbow" of the card is missing/ });
  });
});

describe("text", () => {
  it("encodes a command as [BOS, bytes, SEP], and as text-only tokens", () => {
    const tok = new ByteTokenizer(card.tokenizer);
    assert.deepEqual(encodeCommand(make.stringMsg("hé"), tok), [257, 0x68, 0xc3, 0xa9, 259]);
    const tokens = commandTokens(card, make.stringMsg("go"), 5, stamp);
    assert.deepEqual(tokens.map((t) => [t.step, t.columns.text!.data[0], t.columns.text!.origin, t.columns.action!.origin]), [
      [5, 257, "observed", "absent"],
      [6, 0x67, "observed", "absent"],
      [7, 0x6f, "observed", "absent"],
      [8, 259, "observed", "absent"],
    ]);
  });
});
