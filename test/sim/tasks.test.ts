// The tasks' success criteria, exactly as documented: push needs every corner of the block inside
// the zone and the block resting on the table; reach needs a touch; leaving the table fails;
// the time limit times out.
import assert from "node:assert/strict";
import { test } from "node:test";
import { blockInZone, judge } from "../../sim/tasks.ts";
import { axisAngle, vec } from "../../sim/math3.ts";
import type { EpisodeSpec } from "../../sim/episode.ts";

const zone = { x: 0.1, y: 0, half: 0.06 };
const upright = { x: 0, y: 0, z: 0, w: 1 };
const yaw45 = axisAngle(vec(0, 0, 1), Math.PI / 4);

test("blockInZone: all corners inside the square, rotation included", () => {
  assert.ok(blockInZone(vec(0.1, 0, 0.02), upright, zone));
  assert.ok(blockInZone(vec(0.14, 0.04, 0.02), upright, zone), "corners exactly on the edge count as inside");
  assert.ok(!blockInZone(vec(0.141, 0, 0.02), upright, zone));
  assert.ok(!blockInZone(vec(0.14, 0, 0.02), yaw45, zone), "a turned block's corner sticks out");
  assert.ok(blockInZone(vec(0.13, 0, 0.02), yaw45, zone));
});

const spec = (task: "reach" | "push"): EpisodeSpec => ({
  seed: 0,
  task,
  command: "",
  blocks: [{ colour: "red", className: "red_block", x: 0, y: 0, qz: 0, qw: 1 }],
  zones: [{ colour: "blue", className: "blue_zone", ...zone }],
  targetBlock: 0,
  targetZone: task === "push" ? 0 : null,
  armStart: [0, 1, 0.1],
  timeoutS: 10,
});
const at = (x: number, z = 0.02) => ({ position: vec(x, 0, z), orientation: upright });

test("judge: success, failure and timeout as documented", () => {
  assert.equal(judge(spec("reach"), { target: at(0), touched: false, time: 1 }), null);
  assert.equal(judge(spec("reach"), { target: at(0), touched: true, time: 1 })?.outcome, "success");
  assert.equal(judge(spec("push"), { target: at(0.1), touched: false, time: 1 })?.outcome, "success");
  assert.equal(judge(spec("push"), { target: at(0.1, 0.03), touched: false, time: 1 }), null, "not resting on the table");
  assert.equal(judge(spec("push"), { target: at(0), touched: true, time: 1 }), null, "a touch is not a push");
  assert.deepEqual(judge(spec("push"), { target: at(0.5, -0.3), touched: false, time: 1 }), { outcome: "failed", reason: "the red block left the table" });
  assert.deepEqual(judge(spec("reach"), { target: at(0), touched: false, time: 10 }), { outcome: "timeout", reason: "not solved within 10 s" });
});
