// Camera models: a pinhole camera at a fixed oblique viewpoint (the sensor) and an orthographic
// top-down view (for people). Both map table-frame points to pixels; the pinhole follows the ROS
// optical-frame convention (x right, y down, z forward) and exposes its intrinsics, so a test or
// a policy can project a detection into the image.
import type { PinholeModel } from "../src/view/camera-model.ts";
import { cross, norm, scale, sub, type Vec3 } from "./math3.ts";

/** The pinhole model is the runtime's (viewers draw detections with it from a log's metadata):
 * one definition, shared. */
export type PinholeCamera = PinholeModel;

export interface OrthoCamera {
  kind: "ortho";
  width: number;
  height: number;
  /** Table-frame x/y of the image's top-left corner and metres per pixel; looks straight down
   * with +x to the right and +y up the image. */
  x0: number;
  y0: number;
  metresPerPixel: number;
}

export type Camera = PinholeCamera | OrthoCamera;

export interface CameraOptions {
  width: number;
  height: number;
  /** Vertical field of view, degrees. */
  fovY: number;
  eye: Vec3;
  target: Vec3;
}

/** The sensor's default pose: in front of the table (the side opposite the robot), 58 cm up,
 * looking down at the workspace at about 48°; every place a block can be is in view. */
export const DEFAULT_VIEW = { fovY: 47, eye: { x: 0, y: -0.5, z: 0.58 }, target: { x: 0, y: 0.02, z: 0 } };

export function pinholeCamera(o: CameraOptions): PinholeCamera {
  const forward = normalize(sub(o.target, o.eye));
  const right = normalize(cross(forward, { x: 0, y: 0, z: 1 }));
  const down = cross(forward, right);
  const fy = o.height / 2 / Math.tan((o.fovY * Math.PI) / 360);
  return { kind: "pinhole", width: o.width, height: o.height, fx: fy, fy, cx: o.width / 2, cy: o.height / 2, eye: o.eye, right, down, forward };
}

function normalize(v: Vec3): Vec3 {
  return scale(v, 1 / norm(v));
}

/** A top-down view of the table (with a margin), `pixelsPerMetre` across. */
export function topDownCamera(halfX: number, halfY: number, pixelsPerMetre: number, margin = 0.03): OrthoCamera {
  const w = Math.round(2 * (halfX + margin) * pixelsPerMetre);
  const h = Math.round(2 * (halfY + margin) * pixelsPerMetre);
  return { kind: "ortho", width: w, height: h, x0: -(halfX + margin), y0: halfY + margin, metresPerPixel: 1 / pixelsPerMetre };
}

export interface Projected {
  u: number;
  v: number;
  /** Depth key, larger is nearer: 1/z for the pinhole (interpolates linearly on screen), height for ortho. */
  d: number;
}

/** Pixel coordinates (u right, v down; pixel centres at +0.5) of a table-frame point; null
 * behind the pinhole camera. */
export function project(cam: Camera, p: Vec3): Projected | null {
  if (cam.kind === "ortho") {
    return { u: (p.x - cam.x0) / cam.metresPerPixel, v: (cam.y0 - p.y) / cam.metresPerPixel, d: p.z };
  }
  const rx = p.x - cam.eye.x;
  const ry = p.y - cam.eye.y;
  const rz = p.z - cam.eye.z;
  const z = rx * cam.forward.x + ry * cam.forward.y + rz * cam.forward.z;
  if (z <= 1e-3) return null;
  const x = rx * cam.right.x + ry * cam.right.y + rz * cam.right.z;
  const y = rx * cam.down.x + ry * cam.down.y + rz * cam.down.z;
  return { u: cam.cx + (cam.fx * x) / z, v: cam.cy + (cam.fy * y) / z, d: 1 / z };
}
