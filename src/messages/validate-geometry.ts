// Validators of the nested geometry and vision_msgs types: headers, times, poses and the two
// detection arrays. Poses must be finite and their quaternions unit (within tf2's tolerance).
import type {
  BoundingBox2D,
  BoundingBox3D,
  Detection2D,
  Detection3D,
  Duration,
  Header,
  ObjectHypothesisWithPose,
  Pose,
  Quaternion,
  Time,
  Vector3,
} from "./types.ts";
import { fail, float, float64Array, int, list, nested, record, str, type Ctx, type Obj } from "./fields.ts";

/** tf2's QUATERNION_NORMALIZATION_TOLERANCE: |x²+y²+z²+w² − 1| above this is not a rotation. */
export const QUATERNION_TOLERANCE = 0.01;

const INT32 = [-(2 ** 31), 2 ** 31 - 1] as const;

export function time(ctx: Ctx, v: unknown, path: string): Time {
  const o = record(ctx, v, path);
  return {
    sec: int(ctx, o, "sec", path, INT32[0], INT32[1], "an int32"),
    // Normalised form: nanosec below one second (rclcpp never builds another).
    nanosec: int(ctx, o, "nanosec", path, 0, 999_999_999, "nanoseconds below one second"),
  };
}

export const duration = (ctx: Ctx, v: unknown, path: string): Duration => time(ctx, v, path);

export function header(ctx: Ctx, o: Obj, path: string): Header {
  const h = nested(ctx, o, "header", path);
  const at = path === "" ? "header" : `${path}.header`;
  return { stamp: time(ctx, h.stamp, `${at}.stamp`), frame_id: str(ctx, h, "frame_id", at) };
}

export function vector3(ctx: Ctx, v: unknown, path: string, opts: { min?: number } = {}): Vector3 {
  const o = record(ctx, v, path);
  const f = { finite: true, ...opts };
  return { x: float(ctx, o, "x", path, f), y: float(ctx, o, "y", path, f), z: float(ctx, o, "z", path, f) };
}

export function quaternion(ctx: Ctx, v: unknown, path: string): Quaternion {
  const o = record(ctx, v, path);
  const f = { finite: true };
  const q = { x: float(ctx, o, "x", path, f), y: float(ctx, o, "y", path, f), z: float(ctx, o, "z", path, f), w: float(ctx, o, "w", path, f) };
  const n2 = q.x * q.x + q.y * q.y + q.z * q.z + q.w * q.w;
  if (Math.abs(n2 - 1) > QUATERNION_TOLERANCE) {
    const hint = n2 === 0 ? "; the identity rotation is (x 0, y 0, z 0, w 1)" : "; normalise it";
    fail(ctx, path, `expected a unit quaternion (|q|² within ${QUATERNION_TOLERANCE} of 1), got |q|² = ${+n2.toPrecision(6)}${hint}`);
  }
  return q;
}

export function pose(ctx: Ctx, v: unknown, path: string): Pose {
  const o = record(ctx, v, path);
  return { position: vector3(ctx, o.position, `${path}.position`), orientation: quaternion(ctx, o.orientation, `${path}.orientation`) };
}

function hypothesis(ctx: Ctx, v: unknown, path: string): ObjectHypothesisWithPose {
  const o = record(ctx, v, path);
  const h = nested(ctx, o, "hypothesis", path);
  const hp = `${path}.hypothesis`;
  const pc = nested(ctx, o, "pose", path);
  const pp = `${path}.pose`;
  const covariance = float64Array(ctx, pc, "covariance", pp);
  if (covariance.length !== 36) fail(ctx, `${pp}.covariance`, `expected 36 values (float64[36], a row-major 6×6 matrix), got ${covariance.length}`);
  return {
    hypothesis: { class_id: str(ctx, h, "class_id", hp), score: float(ctx, h, "score", hp, { finite: true }) },
    pose: { pose: pose(ctx, pc.pose, `${pp}.pose`), covariance },
  };
}

function bbox3D(ctx: Ctx, v: unknown, path: string): BoundingBox3D {
  const o = record(ctx, v, path);
  return { center: pose(ctx, o.center, `${path}.center`), size: vector3(ctx, o.size, `${path}.size`, { min: 0 }) };
}

function bbox2D(ctx: Ctx, v: unknown, path: string): BoundingBox2D {
  const o = record(ctx, v, path);
  const c = nested(ctx, o, "center", path);
  const cp = `${path}.center`;
  const p = nested(ctx, c, "position", cp);
  const pp = `${cp}.position`;
  const f = { finite: true };
  return {
    center: { position: { x: float(ctx, p, "x", pp, f), y: float(ctx, p, "y", pp, f) }, theta: float(ctx, c, "theta", cp, f) },
    size_x: float(ctx, o, "size_x", path, { finite: true, min: 0 }),
    size_y: float(ctx, o, "size_y", path, { finite: true, min: 0 }),
  };
}

export function detection3D(ctx: Ctx, v: unknown, path: string): Detection3D {
  const o = record(ctx, v, path);
  return {
    header: header(ctx, o, path),
    results: list(ctx, o, "results", path, (x, p) => hypothesis(ctx, x, p)),
    bbox: bbox3D(ctx, o.bbox, `${path}.bbox`),
    id: str(ctx, o, "id", path),
  };
}

export function detection2D(ctx: Ctx, v: unknown, path: string): Detection2D {
  const o = record(ctx, v, path);
  return {
    header: header(ctx, o, path),
    results: list(ctx, o, "results", path, (x, p) => hypothesis(ctx, x, p)),
    bbox: bbox2D(ctx, o.bbox, `${path}.bbox`),
    id: str(ctx, o, "id", path),
  };
}
