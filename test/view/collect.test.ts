// Logs → the report's episodes. A log written here message by message (known values at known log
// times, through the project's recorder) checks every series; a recorded simulator run checks
// what a real run gives: joints, surprise, step timing, frames with boxes from the camera model.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { collectLog } from "../../src/view/report/collect.ts";
import { recordEpisodes, writeHandLog } from "./fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "omniloop-view-collect-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const names = ["shoulder_joint", "elbow_joint", "lift_joint"];

test("a log written by hand comes back as its episodes, series and events", async () => {
  const file = await writeHandLog(join(dir, "hand.mcap"));
  const [a, b, extra] = await collectLog(file);
  assert.equal(extra, undefined, "two episodes");
  assert.deepEqual([a!.task, a!.seed, a!.command, a!.outcome, a!.reason, a!.duration_s, a!.model], ["reach", 3, "touch the red block", "success", "touched", 0.25, "tiny-random"]);
  const shoulder = a!.joints.find((j) => j.name === "shoulder_joint")!;
  assert.deepEqual(shoulder.measured, { t: [0, 0.1, 0.26], v: [0.1, 0.15, 0.2] }, "the tick after the verdict stays in its episode");
  assert.deepEqual(shoulder.commanded, { t: [0.1], v: [0.15] }, "commands named by the card's joint order");
  assert.deepEqual(shoulder.predicted, { t: [], v: [] });
  assert.deepEqual(a!.surprise, { columns: ["pixels", "objects", "action"], t: [0.1], v: [[0.5, null, 0.1]] });
  assert.deepEqual(a!.holds, [{ t: 0.15, tick: 1, reasons: ["estop"] }]);
  assert.deepEqual(a!.holdReasons, ["estop"]);
  assert.deepEqual(a!.said, [{ t: 0.2, text: "done" }]);
  assert.equal(a!.frames.length, 1);
  assert.equal(a!.frames[0]!.view, "topdown", "no camera model in this log: detections on a top-down view");
  assert.match(a!.frames[0]!.png!, /^data:image\/png;base64,/);
  assert.deepEqual(a!.frames[0]!.marks, [{ kind: "point", x: 0.1, y: -0.05, label: "red_block", color: [230, 57, 70] }]);
  assert.equal(a!.latency, null);
  assert.match(a!.stepSource, /not in this log/);
  assert.deepEqual([b!.task, b!.outcome, b!.duration_s], ["push", "timeout", 25]);
});

test("a recorded simulator run: every series, surprise from the tokens, step timing, boxes drawn through the camera model", async () => {
  const { file, outcomes } = await recordEpisodes(dir, "sim.mcap", [{ seed: 1, task: "reach" }]);
  const [e] = await collectLog(file, { frames: 4 });
  assert.equal(e!.outcome, outcomes[0]!.outcome);
  assert.deepEqual(e!.joints.map((j) => j.name), names);
  const j = e!.joints[0]!;
  assert.ok(j.measured.t.length > 20 && j.predicted.t.length === outcomes[0]!.loop.ticks, `${j.measured.t.length} measured, ${j.predicted.t.length} predicted`);
  assert.deepEqual(e!.surprise.columns, ["pixels", "objects", "action"]);
  assert.equal(e!.surprise.t.length, outcomes[0]!.loop.ticks);
  assert.ok(e!.surprise.v.slice(1).every((row) => row.every((x) => x !== null && x >= 0)), "measurable after the first prediction");
  assert.equal(e!.latency?.n, outcomes[0]!.loop.ticks);
  assert.match(e!.stepSource, /measured by the loop's host/);
  assert.equal(e!.frames.length, 4);
  const boxes = e!.frames.at(-1)!.marks.filter((m) => m.kind === "box");
  assert.equal(e!.frames.at(-1)!.view, "camera");
  assert.ok(boxes.length >= 4, `${boxes.length} boxes`);
  for (const m of boxes) if (m.kind === "box") assert.ok(m.u0 >= -5 && m.u1 <= 133 && m.v0 >= -5 && m.v1 <= 101, `box ${JSON.stringify(m)} on a 128×96 image`);
});
