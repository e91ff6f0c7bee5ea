// Small 3-D vector and quaternion helpers on plain {x,y,z} / {x,y,z,w} objects (the shapes Rapier
// and geometry_msgs use, so values pass between them without conversion).

export interface Vec3 {
  x: number;
  y: number;
  z: number;
}

export interface Quat {
  x: number;
  y: number;
  z: number;
  w: number;
}

export const vec = (x: number, y: number, z: number): Vec3 => ({ x, y, z });
export const add = (a: Vec3, b: Vec3): Vec3 => ({ x: a.x + b.x, y: a.y + b.y, z: a.z + b.z });
export const sub = (a: Vec3, b: Vec3): Vec3 => ({ x: a.x - b.x, y: a.y - b.y, z: a.z - b.z });
export const scale = (a: Vec3, s: number): Vec3 => ({ x: a.x * s, y: a.y * s, z: a.z * s });
export const dot = (a: Vec3, b: Vec3): number => a.x * b.x + a.y * b.y + a.z * b.z;
export const cross = (a: Vec3, b: Vec3): Vec3 => ({
  x: a.y * b.z - a.z * b.y,
  y: a.z * b.x - a.x * b.z,
  z: a.x * b.y - a.y * b.x,
});
export const norm = (a: Vec3): number => Math.sqrt(dot(a, a));

export const IDENTITY: Quat = { x: 0, y: 0, z: 0, w: 1 };

export function qmul(a: Quat, b: Quat): Quat {
  return {
    w: a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z,
    x: a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y,
    y: a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x,
    z: a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w,
  };
}

export const qconj = (q: Quat): Quat => ({ x: -q.x, y: -q.y, z: -q.z, w: q.w });

/** Rotates v by the unit quaternion q. */
export function rotate(q: Quat, v: Vec3): Vec3 {
  // v' = v + 2w(u×v) + 2u×(u×v), u = q's vector part
  const u = { x: q.x, y: q.y, z: q.z };
  const t = scale(cross(u, v), 2);
  return add(add(v, scale(t, q.w)), cross(u, t));
}

export function axisAngle(axis: Vec3, angle: number): Quat {
  const n = norm(axis);
  const s = Math.sin(angle / 2) / n;
  return { x: axis.x * s, y: axis.y * s, z: axis.z * s, w: Math.cos(angle / 2) };
}

/** URDF's fixed-axis roll-pitch-yaw: R = Rz(yaw) · Ry(pitch) · Rx(roll). */
export function fromRpy(roll: number, pitch: number, yaw: number): Quat {
  if (roll === 0 && pitch === 0 && yaw === 0) return IDENTITY;
  return qmul(axisAngle(vec(0, 0, 1), yaw), qmul(axisAngle(vec(0, 1, 0), pitch), axisAngle(vec(1, 0, 0), roll)));
}

/** Yaw (rotation about z) of a quaternion, for bodies that only turn about z. */
export function yawOf(q: Quat): number {
  return Math.atan2(2 * (q.w * q.z + q.x * q.y), 1 - 2 * (q.y * q.y + q.z * q.z));
}

/** Rotation angle of q about the unit axis (the twist part of a swing-twist split), in (-π, π]. */
export function twistAngle(q: Quat, axis: Vec3): number {
  const a = 2 * Math.atan2(q.x * axis.x + q.y * axis.y + q.z * axis.z, q.w);
  return a > Math.PI ? a - 2 * Math.PI : a <= -Math.PI ? a + 2 * Math.PI : a;
}

/** A rigid transform: p_world = rotate(rot, p_local) + pos. */
export interface Pose3 {
  pos: Vec3;
  rot: Quat;
}

export const apply = (t: Pose3, p: Vec3): Vec3 => add(rotate(t.rot, p), t.pos);
export const compose = (a: Pose3, b: Pose3): Pose3 => ({ pos: apply(a, b.pos), rot: qmul(a.rot, b.rot) });
