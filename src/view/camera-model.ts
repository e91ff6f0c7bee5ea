// The camera model a viewer needs to draw table-frame detections on the camera image: a pinhole
// with the ROS optical-frame convention (x right, y down, z forward), the same plain-data shape as
// the simulator's `PinholeCamera`, so `sim.camera` can be passed as it is. A log carries it in the
// `omniloop.camera` metadata record; a log without one (a robot with no calibration given) gets a
// top-down view of the table instead.

export interface Vec3 {
  x: number;
  y: number;
  z: number;
}

export interface PinholeModel {
  kind: "pinhole";
  width: number;
  height: number;
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  /** Camera centre in the table frame. */
  eye: Vec3;
  /** The optical x, y, z axes in table coordinates. */
  right: Vec3;
  down: Vec3;
  forward: Vec3;
}

export interface Pixel {
  u: number;
  v: number;
}

/** Metadata record name; entries: `model` (the PinholeModel as JSON), `topic` (the image topic). */
export const CAMERA_METADATA = "omniloop.camera";

export class CameraModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CameraModelError";
  }
}

/** The metadata record that lets a report draw detections on `topic`'s frames. */
export function cameraMetadata(camera: PinholeModel, topic = "/camera/image_raw"): Record<string, string> {
  const { kind, width, height, fx, fy, cx, cy, eye, right, down, forward } = camera;
  return { topic, model: JSON.stringify({ kind, width, height, fx, fy, cx, cy, eye, right, down, forward }) };
}

/** The camera of a log's `omniloop.camera` record; undefined when the log has none. */
export function cameraFromMetadata(metadata: Record<string, Record<string, string>>, source: string): PinholeModel | undefined {
  const record = metadata[CAMERA_METADATA];
  if (!record) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(record.model ?? "");
  } catch {
    throw new CameraModelError(`${source}: metadata ${CAMERA_METADATA}.model is not JSON (found ${JSON.stringify((record.model ?? "").slice(0, 40))})`);
  }
  return checkPinhole(json, `${source}: metadata ${CAMERA_METADATA}.model`);
}

export function checkPinhole(json: unknown, where: string): PinholeModel {
  const o = json as Partial<PinholeModel> | null;
  const num = (k: keyof PinholeModel) => {
    const v = o?.[k];
    if (typeof v !== "number" || !Number.isFinite(v)) throw new CameraModelError(`${where}: expected a finite number in "${k}", found ${JSON.stringify(v)}`);
  };
  const vec = (k: "eye" | "right" | "down" | "forward") => {
    const v = o?.[k];
    if (!v || ![v.x, v.y, v.z].every((c) => typeof c === "number" && Number.isFinite(c))) {
      throw new CameraModelError(`${where}: expected {x,y,z} numbers in "${k}", found ${JSON.stringify(v)}`);
    }
  };
  if (o?.kind !== "pinhole") throw new CameraModelError(`${where}: expected kind "pinhole", found ${JSON.stringify(o?.kind)}`);
  (["width", "height", "fx", "fy", "cx", "cy"] as const).forEach(num);
  (["eye", "right", "down", "forward"] as const).forEach(vec);
  return o as PinholeModel;
}

const dot = (a: Vec3, b: Vec3) => a.x * b.x + a.y * b.y + a.z * b.z;

/** Pixel of a table-frame point (pixel centres at +0.5); null behind the camera. */
export function projectPoint(cam: PinholeModel, p: Vec3): Pixel | null {
  const r = { x: p.x - cam.eye.x, y: p.y - cam.eye.y, z: p.z - cam.eye.z };
  const z = dot(r, cam.forward);
  if (z <= 1e-3) return null;
  return { u: cam.cx + (cam.fx * dot(r, cam.right)) / z, v: cam.cy + (cam.fy * dot(r, cam.down)) / z };
}

export interface Quat {
  x: number;
  y: number;
  z: number;
  w: number;
}

function rotate(q: Quat, v: Vec3): Vec3 {
  // v' = v + 2w(q×v) + 2 q×(q×v)
  const tx = 2 * (q.y * v.z - q.z * v.y);
  const ty = 2 * (q.z * v.x - q.x * v.z);
  const tz = 2 * (q.x * v.y - q.y * v.x);
  return {
    x: v.x + q.w * tx + (q.y * tz - q.z * ty),
    y: v.y + q.w * ty + (q.z * tx - q.x * tz),
    z: v.z + q.w * tz + (q.x * ty - q.y * tx),
  };
}

/** The image rectangle that covers a 3D box's projected corners: [uMin, vMin, uMax, vMax]; null
 * when a corner is behind the camera. */
export function projectBox(cam: PinholeModel, center: Vec3, orientation: Quat, size: Vec3): [number, number, number, number] | null {
  let box: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
  for (let i = 0; i < 8; i++) {
    const local = { x: ((i & 1) - 0.5) * size.x, y: (((i >> 1) & 1) - 0.5) * size.y, z: (((i >> 2) & 1) - 0.5) * size.z };
    const r = rotate(orientation, local);
    const px = projectPoint(cam, { x: center.x + r.x, y: center.y + r.y, z: center.z + r.z });
    if (!px) return null;
    box = [Math.min(box[0], px.u), Math.min(box[1], px.v), Math.max(box[2], px.u), Math.max(box[3], px.v)];
  }
  return box;
}

/** A colour per class: the colour word in its name when it has one (red_block), else a stable
 * pick from a palette. RGB 0..255. */
export function classColor(name: string): [number, number, number] {
  const words: Record<string, [number, number, number]> = {
    red: [230, 57, 70],
    green: [46, 196, 110],
    blue: [52, 120, 246],
    yellow: [250, 204, 21],
    orange: [249, 115, 22],
    purple: [168, 85, 247],
    white: [240, 240, 240],
    black: [40, 40, 40],
  };
  for (const [w, c] of Object.entries(words)) if (name.toLowerCase().includes(w)) return c;
  const palette: [number, number, number][] = [[20, 184, 166], [236, 72, 153], [132, 204, 22], [99, 102, 241], [245, 158, 11]];
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return palette[h % palette.length]!;
}
