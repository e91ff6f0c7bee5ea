// sim/card.json, the omnitoken schema of this robot: a valid model card, and consistent with the
// URDF (joint names, limits, velocities), the detector's classes and the table frame.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { loadCard, columnOf } from "../../src/omnitoken/card.ts";
import { loadArm } from "../../sim/robot.ts";
import { OBJECT_CLASSES, TABLE } from "../../sim/scene.ts";
import { DEFAULT_SIM_CONFIG } from "../../sim/config.ts";

const CARD = fileURLToPath(new URL("../../sim/card.json", import.meta.url));

test("sim/card.json validates and matches the URDF, the detector and the table", () => {
  const card = loadCard(CARD);
  const action = columnOf(card, "action")!;
  const arm = loadArm();
  assert.deepEqual(
    action.action.joints.map((j) => [j.name, j.min, j.max, j.max_velocity]),
    arm.joints.map((j) => [j.name, j.lower, j.upper, j.maxVelocity]),
  );
  assert.deepEqual(action.action.joints.map((j) => j.unit), ["rad", "rad", "m"]);
  assert.equal(action.action.command.mode, "float64_multi_array");
  const objects = columnOf(card, "objects")!;
  assert.deepEqual(objects.objects.classes, [...OBJECT_CLASSES, "other"]);
  assert.equal(objects.objects.frame_id, "table");
  assert.deepEqual(objects.objects.bounds.min.slice(0, 2), [-TABLE.halfX, -TABLE.halfY]);
  assert.deepEqual(objects.objects.bounds.max.slice(0, 2), [TABLE.halfX, TABLE.halfY]);
  assert.deepEqual(columnOf(card, "pixels")!.image, { height: 32, width: 32, channels: 3 });
  assert.equal(card.control_rate_hz, DEFAULT_SIM_CONFIG.controlRateHz);
  assert.deepEqual(card.tokenizer.special, { PAD: 256, BOS: 257, EOS: 258, SEP: 259 });
});
