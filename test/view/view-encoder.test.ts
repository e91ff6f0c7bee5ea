// Bus messages → viewer channels, message by message, against the same codecs a viewer uses.
import assert from "node:assert/strict";
import { test } from "node:test";
import { cdrCodec } from "../../src/log/cdr.ts";
import { surprise } from "../../src/loop/surprise.ts";
import { float64MultiArray, image, jointState, stringMsg, detection3D, detection3DArray } from "../../src/messages/make.ts";
import type { Image, JointState } from "../../src/messages/types.ts";
import { loadCard } from "../../src/omnitoken/card.ts";
import { absentToken } from "../../src/omnitoken/token.ts";
import { encodeObservation } from "../../src/encoders/observation.ts";
import type { Omnitoken } from "../../src/omnitoken/types.ts";
import { ViewEncoder, type ViewFrame } from "../../src/view/view-encoder.ts";
import { VIEW } from "../../src/view/view-topics.ts";
import { pinholeCamera, DEFAULT_VIEW } from "../../sim/camera.ts";

const card = loadCard("test/fixtures/models/tiny/card.json");
const stamp = { sec: 1, nanosec: 0 };
const names = ["shoulder_joint", "elbow_joint", "lift_joint"];
const decode = <T>(f: ViewFrame | undefined): T => {
  assert.ok(f, "frame present");
  return (f.channel.encoding === "cdr" ? cdrCodec(f.channel.schemaName, f.channel.schema).decode(f.data) : JSON.parse(new TextDecoder().decode(f.data))) as T;
};
const on = (frames: ViewFrame[], topic: string) => frames.find((f) => f.channel.topic === topic);

/** An observation of a grey frame with the arm at `q` (joint units). */
function observation(q: number[], step: number): Omnitoken {
  const im = image({ width: 32, height: 32, data: new Uint8Array(32 * 32 * 3).fill(128) });
  return encodeObservation(card, { image: im, joints: jointState({ name: names, position: q }) }, step, stamp);
}

/** A prediction whose action column is `a` (normalised) and pixels all `p`. */
function prediction(a: number[], p: number, step: number): Omnitoken {
  const t = absentToken(card, step, stamp);
  t.columns.action = { origin: "predicted", data: Float32Array.from(a) };
  t.columns.pixels = { origin: "predicted", data: new Float32Array(32 * 32 * 3).fill(p) };
  return t;
}

test("ROS topics pass through as CDR that decodes with the advertised ros2msg schema", () => {
  const enc = new ViewEncoder();
  const im = image({ width: 4, height: 2, encoding: "rgb8", data: Uint8Array.from({ length: 24 }, (_, i) => i) });
  const [f] = enc.encode("/camera/image_raw", im, 0n);
  assert.equal(f!.channel.schemaName, "sensor_msgs/msg/Image");
  assert.equal(f!.channel.schemaEncoding, "ros2msg");
  const back = decode<Image>(f);
  assert.deepEqual([back.width, back.height, back.encoding, Array.from(back.data)], [4, 2, "rgb8", Array.from(im.data)]);
  assert.deepEqual(enc.encode("/camera/image_raw", im, 0n, () => false), [], "nobody subscribed: nothing encoded");
  assert.equal(enc.sources.some((t) => t.type === "omniloop/msg/Omnitoken"), false, "without a card, omnitokens are not read");
});

test("predictions become joint states in joint units and an image; observations become named surprise", () => {
  const enc = new ViewEncoder({ card });
  const first = enc.encode("/omniloop/observation", observation([0, 0, 0.05], 10), 0n);
  const s0 = decode<Record<string, number | null>>(on(first, VIEW.surprise));
  assert.deepEqual(s0, { tick: 0, pixels: null, objects: null, action: null }, "no prediction yet: not measurable");

  const p = prediction([0.5, -1, 1], 0.25, 11);
  const out = enc.encode("/omniloop/prediction", p, 0n);
  const js = decode<JointState>(on(out, VIEW.predictedJoints));
  assert.deepEqual(js.name, names);
  assert.ok(Math.abs(js.position[0]! - 1.2) < 1e-6, `0.5 of ±2.4 rad is 1.2, found ${js.position[0]}`);
  assert.ok(Math.abs(js.position[1]! + 2.6) < 1e-6);
  assert.ok(Math.abs(js.position[2]! - 0.12) < 1e-6);
  const img = decode<Image>(on(out, VIEW.predictedImage));
  assert.deepEqual([img.width, img.height, img.encoding, img.data[0]], [32, 32, "rgb8", 64]);
  assert.ok(decode<{ step_ms: number }>(on(out, VIEW.step)).step_ms >= 0);

  const o = observation([0.1, 0.2, 0.05], 12);
  const next = enc.encode("/omniloop/observation", o, 0n);
  const s1 = decode<Record<string, number | null>>(on(next, VIEW.surprise));
  const expected = surprise(p, o, ["pixels", "objects", "action"]);
  assert.equal(s1.tick, 1);
  assert.ok(Math.abs(s1.pixels! - expected[0]!) < 1e-9 && Math.abs(s1.action! - expected[2]!) < 1e-9, "the loop's own surprise function");
  assert.equal(decode<Image>(on(next, VIEW.observedImage)).data[0], 128);
});

test("holds, words and episode events become flags and log entries", () => {
  const enc = new ViewEncoder({ card });
  const held = enc.encode("/omniloop/holds", stringMsg(JSON.stringify({ tick: 7, reasons: ["estop", "stale_input"] })), 5_000_000_000n);
  const h = decode<Record<string, unknown>>(on(held, VIEW.holds));
  assert.deepEqual([h.tick, h.reasons, h.estop, h.stale_input, h.watchdog], [7, "estop,stale_input", 1, 1, 0]);
  const entry = decode<{ level: number; message: string; timestamp: { sec: number } }>(on(held, VIEW.log));
  assert.deepEqual([entry.level, entry.message, entry.timestamp.sec], [3, "held at tick 7: estop, stale_input", 5]);
  const said = decode<{ level: number; message: string }>(on(enc.encode("/omniloop/said", stringMsg("done"), 0n), VIEW.log));
  assert.deepEqual([said.level, said.message], [2, "model said: done"]);
  const bad = decode<Record<string, unknown>>(on(enc.encode("/omniloop/holds", stringMsg("not json"), 0n), VIEW.holds));
  assert.match(String(bad.reasons), /unreadable: not json/);
  const cmd = enc.encode("/forward_position_controller/commands", float64MultiArray([1, 2, 3]), 0n);
  assert.deepEqual(Array.from(decode<{ data: Float64Array }>(cmd[0]).data), [1, 2, 3]);
});

test("with a camera model, detections become boxes and labels on the image", () => {
  const camera = pinholeCamera({ width: 128, height: 96, fovY: 47, eye: DEFAULT_VIEW.eye, target: DEFAULT_VIEW.target });
  const enc = new ViewEncoder({ card, camera });
  const dets = detection3DArray([detection3D({ class_id: "red_block", position: { x: 0, y: 0, z: 0.02 }, size: { x: 0.04, y: 0.04, z: 0.04 } })], { frame_id: "table" });
  const a = decode<{ points: { points: { x: number; y: number }[]; type: number }[]; texts: { text: string }[] }>(on(enc.encode("/detections", dets, 0n), VIEW.annotations));
  assert.equal(a.points.length, 1);
  assert.equal(a.points[0]!.type, 2, "a line loop");
  const xs = a.points[0]!.points.map((p) => p.x);
  assert.ok(Math.min(...xs) < 64 && Math.max(...xs) > 64, "the table's origin is in the image's middle column");
  assert.deepEqual(a.texts.map((t) => t.text), ["red_block"]);
});
