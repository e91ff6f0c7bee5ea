// SCARA kinematics in the table frame, with the parameters read from the URDF: forward kinematics
// of the tip and closed-form inverse kinematics (two elbow branches; the caller picks).
import type { UrdfRobot } from "./urdf.ts";
import { yawOf } from "./math3.ts";

export interface ScaraGeometry {
  /** Shoulder axis position on the table (x, y) and the base's yaw (direction of shoulder = 0). */
  baseX: number;
  baseY: number;
  baseYaw: number;
  /** Shoulder→elbow and elbow→quill axis distances (m). */
  l1: number;
  l2: number;
  /** Tip height at lift = 0 (m): tip z = zOffset + lift. */
  zOffset: number;
}

export class KinematicsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KinematicsError";
  }
}

/** Reads the SCARA's geometry from its URDF chain world → base → shoulder → elbow → lift → tip. */
export function scaraGeometry(robot: UrdfRobot, source = "URDF"): ScaraGeometry {
  const j = (name: string) => {
    const found = robot.joints.find((x) => x.name === name);
    if (!found) throw new KinematicsError(`${source}: the SCARA needs a joint named ${name}`);
    return found;
  };
  const base = j("base_joint");
  const shoulder = j("shoulder_joint");
  const elbow = j("elbow_joint");
  const lift = j("lift_joint");
  for (const x of [shoulder, elbow, lift]) {
    if (Math.abs(x.axis.z - 1) > 1e-9 || x.axis.x !== 0 || x.axis.y !== 0) {
      throw new KinematicsError(`${source}: joint ${x.name} axis must be "0 0 1", found "${x.axis.x} ${x.axis.y} ${x.axis.z}"`);
    }
    if (x.origin.pos.y !== 0) throw new KinematicsError(`${source}: joint ${x.name} origin must lie on its parent's x axis`);
  }
  return {
    baseX: base.origin.pos.x,
    baseY: base.origin.pos.y,
    baseYaw: yawOf(base.origin.rot),
    l1: elbow.origin.pos.x,
    l2: lift.origin.pos.x,
    zOffset: base.origin.pos.z + shoulder.origin.pos.z + elbow.origin.pos.z + lift.origin.pos.z,
  };
}

export interface TipPosition {
  x: number;
  y: number;
  z: number;
}

/** Joint vector order: [shoulder (rad), elbow (rad), lift (m)]. */
export function forwardKinematics(g: ScaraGeometry, q: ArrayLike<number>): TipPosition {
  const q1 = q[0]! + g.baseYaw;
  const q12 = q1 + q[1]!;
  return {
    x: g.baseX + g.l1 * Math.cos(q1) + g.l2 * Math.cos(q12),
    y: g.baseY + g.l1 * Math.sin(q1) + g.l2 * Math.sin(q12),
    z: g.zOffset + q[2]!,
  };
}

/** Position of the elbow axis in the table plane (for drawing and collision-free planning). */
export function elbowPosition(g: ScaraGeometry, q: ArrayLike<number>): { x: number; y: number } {
  const q1 = q[0]! + g.baseYaw;
  return { x: g.baseX + g.l1 * Math.cos(q1), y: g.baseY + g.l1 * Math.sin(q1) };
}

const wrap = (a: number) => (a > Math.PI ? a - 2 * Math.PI : a <= -Math.PI ? a + 2 * Math.PI : a);

/**
 * Both IK solutions for a tip position, elbow-positive first; [] when the point is out of reach.
 * Joint limits are not applied here (see `chooseIk`).
 */
export function inverseKinematics(g: ScaraGeometry, tip: TipPosition): Float64Array[] {
  const dx = tip.x - g.baseX;
  const dy = tip.y - g.baseY;
  const r2 = dx * dx + dy * dy;
  const c2 = (r2 - g.l1 * g.l1 - g.l2 * g.l2) / (2 * g.l1 * g.l2);
  if (c2 > 1 + 1e-12 || c2 < -1 - 1e-12) return [];
  const clamped = Math.min(1, Math.max(-1, c2));
  const heading = Math.atan2(dy, dx) - g.baseYaw;
  const out: Float64Array[] = [];
  for (const sign of [1, -1]) {
    const q2 = sign * Math.acos(clamped);
    const q1 = wrap(heading - Math.atan2(g.l2 * Math.sin(q2), g.l1 + g.l2 * Math.cos(q2)));
    out.push(Float64Array.of(q1, q2, tip.z - g.zOffset));
  }
  return out;
}

export interface JointLimits {
  lower: number;
  upper: number;
}

/**
 * The IK solution within `limits` (each shrunk by its `margins` entry) closest to `current` in
 * joint space, or null when no solution is within limits.
 */
export function chooseIk(
  g: ScaraGeometry,
  tip: TipPosition,
  limits: readonly JointLimits[],
  current: ArrayLike<number>,
  margins: readonly number[] = [0, 0, 0],
): Float64Array | null {
  let best: Float64Array | null = null;
  let bestCost = Infinity;
  for (const q of inverseKinematics(g, tip)) {
    const m = (i: number) => margins[i] ?? 0;
    if (!q.every((v, i) => v >= limits[i]!.lower + m(i) && v <= limits[i]!.upper - m(i))) continue;
    const cost = Math.abs(q[0]! - current[0]!) + Math.abs(q[1]! - current[1]!);
    if (cost < bestCost) {
      best = q;
      bestCost = cost;
    }
  }
  return best;
}
