// The viewer's pinhole against the simulator's own camera: the same pixels for the same points,
// so boxes drawn from a log's metadata land where the simulator rendered the objects.
import assert from "node:assert/strict";
import { test } from "node:test";
import { pinholeCamera, project, DEFAULT_VIEW } from "../../sim/camera.ts";
import { cameraFromMetadata, cameraMetadata, CameraModelError, classColor, projectBox, projectPoint } from "../../src/view/camera-model.ts";

const cam = pinholeCamera({ width: 128, height: 96, fovY: 47, eye: DEFAULT_VIEW.eye, target: DEFAULT_VIEW.target });

test("projectPoint agrees with the simulator's camera", () => {
  for (const p of [{ x: 0, y: 0, z: 0 }, { x: 0.2, y: -0.1, z: 0.02 }, { x: -0.3, y: 0.2, z: 0.1 }]) {
    const a = projectPoint(cam, p)!;
    const b = project(cam, p)!;
    assert.ok(Math.abs(a.u - b.u) < 1e-9 && Math.abs(a.v - b.v) < 1e-9, `${JSON.stringify(p)}: ${a.u},${a.v} vs ${b.u},${b.v}`);
  }
  assert.equal(projectPoint(cam, { x: 0, y: -2, z: 2 }), null, "behind the camera");
});

test("projectBox covers the box's centre, and a yawed box stays around it", () => {
  const c = { x: 0.1, y: 0.05, z: 0.02 };
  const centre = projectPoint(cam, c)!;
  for (const q of [{ x: 0, y: 0, z: 0, w: 1 }, { x: 0, y: 0, z: Math.sin(0.4), w: Math.cos(0.4) }]) {
    const [u0, v0, u1, v1] = projectBox(cam, c, q, { x: 0.04, y: 0.04, z: 0.04 })!;
    assert.ok(u0 < centre.u && centre.u < u1 && v0 < centre.v && centre.v < v1);
    assert.ok(u1 - u0 > 3 && u1 - u0 < 20, `a 4 cm block is a few pixels wide, found ${u1 - u0}`);
  }
});

test("the camera travels in log metadata and comes back the same; a bad record names the field", () => {
  const meta = { "omniloop.camera": cameraMetadata(cam) };
  assert.deepEqual(cameraFromMetadata(meta, "x.mcap"), JSON.parse(JSON.stringify(cam))); // JSON has no -0
  assert.equal(cameraFromMetadata({}, "x.mcap"), undefined);
  const broken = { "omniloop.camera": { model: JSON.stringify({ ...cam, fx: "wide" }) } };
  assert.throws(() => cameraFromMetadata(broken, "x.mcap"), (e: Error) => e instanceof CameraModelError && /x\.mcap: metadata omniloop\.camera\.model: expected a finite number in "fx", found "wide"/.test(e.message));
  assert.throws(() => cameraFromMetadata({ "omniloop.camera": { model: "{" } }, "x.mcap"), /is not JSON/);
});

test("class colours follow the colour word in the class name", () => {
  assert.deepEqual(classColor("red_block"), [230, 57, 70]);
  assert.deepEqual(classColor("blue_zone"), [52, 120, 246]);
  assert.deepEqual(classColor("widget"), classColor("widget"));
});
