// Sensors as messages: the camera shows each block where the detector says it is (project the
// detected pose into the image and check the colour there), the detector's noise, misses and
// false positives match their configuration, and each sensor runs at its own rate.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Detection3DArray, Image, JointState } from "../../src/messages/types.ts";
import { project } from "../../sim/camera.ts";
import { Sim, type SimMessage } from "../../sim/lockstep.ts";
import { newFrame } from "../../sim/raster.ts";
import { renderScene } from "../../sim/render.ts";

const of = <T>(ms: SimMessage[], name: string) => ms.filter((m) => m.topic.name === name).map((m) => m.message as T);

/** Does this rgb look like the class's colour? Blocks are saturated; zones are pale tints. */
function looksLike(cls: string, [r, g, b]: number[]): boolean {
  const colour = cls.split("_")[0];
  const m = cls.endsWith("_zone") ? 12 : 40;
  switch (colour) {
    case "red": return r! > g! + m && r! > b! + m;
    case "green": return g! > r! + m && g! > b! + m / 2;
    case "blue": return b! > r! + m && b! > g! + m / 2;
    case "yellow": return r! > b! + m && g! > b! + m;
    default: return Math.abs(r! - g!) < 20 && Math.abs(g! - b!) < 20; // grey "other"
  }
}

test("the camera shows each block and zone where the detector puts it", async () => {
  const sim = await Sim.create({ detector: { positionNoise: 0, missRate: 0, falsePositiveRate: 0 } });
  let checked = 0;
  for (let seed = 0; seed < 12; seed++) {
    const tick = sim.reset(seed, seed % 2 ? "push" : "reach");
    const [img] = of<Image>(tick.messages, "/camera/image_raw");
    const [dets] = of<Detection3DArray>(tick.messages, "/detections");
    assert.ok(img && dets);
    assert.equal(dets.detections.length, sim.episode.blocks.length + sim.episode.zones.length);
    // The same scene without the arm: where they differ, the arm hides the object.
    const scene = sim.scene();
    const noArm = newFrame(img.width, img.height);
    renderScene(sim.camera, noArm, { ...scene, links: [], tip: null });
    for (const d of dets.detections) {
      const p = project(sim.camera, d.results[0]!.pose.pose.position)!;
      const u = Math.floor(p.u);
      const v = Math.floor(p.v);
      assert.ok(u >= 0 && v >= 0 && u < img.width && v < img.height, `seed ${seed}: ${d.results[0]!.hypothesis.class_id} is out of view`);
      const k = (v * img.width + u) * 3;
      const seen = [img.data[k]!, img.data[k + 1]!, img.data[k + 2]!];
      if (seen.some((c, i) => c !== noArm.rgb[k + i])) continue; // hidden by the arm
      const cls = d.results[0]!.hypothesis.class_id;
      assert.ok(looksLike(cls, seen), `seed ${seed}: ${cls} at pixel (${u}, ${v}) looks like rgb(${seen.join(",")})`);
      checked++;
    }
  }
  assert.ok(checked >= 60, `only ${checked} objects were in plain view`);
  sim.close();
});

test("detector noise, misses and false positives follow the configuration", async () => {
  const cfg = { positionNoise: 0.004, missRate: 0.1, falsePositiveRate: 0.5 };
  const sim = await Sim.create({ camera: { enabled: false }, detector: { ...cfg, rateHz: 50 } });
  sim.reset(7, "reach");
  const truth = sim.truth();
  const names = sim.episode.blocks.map((b) => b.className);
  let frames = 0;
  let seen = 0;
  let ghosts = 0;
  let sq = 0;
  for (let i = 0; i < 60; i++) {
    for (const arr of of<Detection3DArray>(sim.step().messages, "/detections")) {
      frames++;
      const blocks = arr.detections.filter((d) => d.results[0]!.hypothesis.score >= 0.8);
      ghosts += arr.detections.length - blocks.length;
      for (const d of blocks) {
        const i = names.indexOf(d.results[0]!.hypothesis.class_id);
        if (i < 0) continue; // zones
        const p = d.results[0]!.pose.pose.position;
        const t = truth.blocks[i]!.position;
        sq += (p.x - t.x) ** 2 + (p.y - t.y) ** 2 + (p.z - t.z) ** 2;
        seen++;
        assert.equal(d.header.frame_id, "table");
        assert.equal(d.results[0]!.pose.covariance[0], cfg.positionNoise ** 2);
      }
    }
  }
  assert.equal(frames, 300);
  const expected = frames * names.length;
  const missed = 1 - seen / expected;
  assert.ok(Math.abs(missed - cfg.missRate) < 0.04, `missed ${missed}`);
  const sd = Math.sqrt(sq / (3 * seen));
  assert.ok(Math.abs(sd - cfg.positionNoise) < 0.0006, `noise sd ${sd}`);
  assert.ok(Math.abs(ghosts / frames - cfg.falsePositiveRate) < 0.12, `false positives ${ghosts / frames} per frame`);
  sim.close();
});

test("each sensor at its own rate, stamped in sim time; rgb8 images of the configured size", async () => {
  const sim = await Sim.create({ camera: { width: 64, height: 48, rateHz: 5 }, jointStates: { rateHz: 50 }, detector: { rateHz: 10 } });
  sim.reset(1, "push");
  const ms: SimMessage[] = [];
  for (let i = 0; i < 10; i++) ms.push(...sim.step().messages);
  const joints = of<JointState>(ms, "/joint_states");
  const images = of<Image>(ms, "/camera/image_raw");
  assert.equal(joints.length, 50);
  assert.equal(images.length, 5);
  assert.equal(of<Detection3DArray>(ms, "/detections").length, 10);
  // Sensors sample at physics steps (240 Hz): 50 Hz falls due at step 5, 20.83 ms.
  assert.deepEqual(joints[0]!.header.stamp, { sec: 0, nanosec: 20_833_333 });
  assert.deepEqual(joints[49]!.header.stamp, { sec: 1, nanosec: 0 });
  assert.deepEqual(images[0]!.header.stamp, { sec: 0, nanosec: 200_000_000 });
  assert.deepEqual(joints[0]!.name, ["shoulder_joint", "elbow_joint", "lift_joint"]);
  const img = images[0]!;
  assert.deepEqual([img.encoding, img.width, img.height, img.step, img.data.length], ["rgb8", 64, 48, 192, 64 * 48 * 3]);
  sim.close();
});

test("a bad sim configuration is refused with the field and the expectation", async () => {
  await assert.rejects(Sim.create({ camera: { width: 4 } }), /camera.width: expected an integer in \[8, 4096\] pixels, found 4/);
  await assert.rejects(Sim.create({ controlRateHz: 0 }), /controlRateHz: expected a rate in \(0, 240\] Hz/);
  await assert.rejects(Sim.create({ detector: { missRate: 2 } }), /detector.missRate: expected a probability in \[0, 1\], found 2/);
});
