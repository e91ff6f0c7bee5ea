// The scripted expert: a controller with privileged state (true poses) that solves the tasks the
// way a teleoperator would — lift the tip clear, travel above the blocks, come down behind the
// block, push it along the line to the zone's centre, re-approach if it slips off — through the
// arm's inverse kinematics. It commands joint positions at the control rate, each step small
// enough for the servos to reach within one tick (so measured ≈ commanded, see CONVENTIONS.md).
import type { EpisodeSpec } from "./episode.ts";
import { inverseKinematics, type ScaraGeometry } from "./kinematics.ts";
import type { Truth } from "./lockstep.ts";
import { yawOf } from "./math3.ts";
import { stepToward } from "./motion.ts";
import type { ArmJoint, ArmSpec } from "./robot.ts";
import { BLOCK_HALF } from "./scene.ts";

/** Tip heights (m): travelling clear of the blocks (4 cm tall), pushing, touching a block's top. */
export const Z_SAFE = 0.075;
export const Z_PUSH = 0.012;
export const Z_TOUCH = 0.028;
/** The pusher's radius (the quill's collision cylinder). */
const TIP_RADIUS = 0.01;
/** Tip travel per tick while pushing (m), and the push's stand-off behind the block. */
const PUSH_STEP = 0.01;
const STANDOFF = 0.03;

/** `stuck`: the block is out of reach on both elbow branches; the expert holds, tip raised. */
export type ExpertPhase = "lift" | "approach" | "descend" | "push" | "touch" | "retract" | "stuck";

type Branch = 0 | 1; // index into inverseKinematics(): elbow-positive, elbow-negative

export class ScriptedExpert {
  phase: ExpertPhase = "lift";
  private branch: Branch = 0;
  private readonly g: ScaraGeometry;
  private readonly joints: ArmJoint[];
  /** Re-approaches so far (a push that slipped off the block). */
  retries = 0;

  constructor(arm: ArmSpec) {
    this.g = arm.geometry;
    this.joints = arm.joints;
  }

  reset(): void {
    this.phase = "lift";
    this.retries = 0;
  }

  /** The next joint position command [shoulder, elbow, lift] for this tick. */
  act(t: Truth): Float64Array {
    const spec = t.spec;
    const q = t.joints;
    const blk = t.blocks[spec.targetBlock]!.position;
    const goal = this.standoffPoint(t, spec);
    switch (this.phase) {
      case "lift":
        if (t.tip.z >= Z_SAFE - 0.004) {
          const branch = this.pickBranch(q, spec, t);
          if (branch === null) {
            this.phase = "stuck";
            return this.act(t);
          }
          this.branch = branch;
          this.phase = "approach";
          return this.act(t);
        }
        return this.limit(q, Float64Array.of(q[0]!, q[1]!, Z_SAFE - this.g.zOffset));
      case "approach": {
        const ik = this.ik(goal.x, goal.y, Z_SAFE);
        if (!ik) return this.replan(q);
        if (Math.hypot(t.tip.x - goal.x, t.tip.y - goal.y) < 0.004) {
          this.phase = spec.task === "push" ? "descend" : "touch";
          return this.act(t);
        }
        return this.limit(q, ik);
      }
      case "descend": {
        if (t.tip.z <= Z_PUSH + 0.003) {
          this.phase = "push";
          return this.act(t);
        }
        const ik = this.ik(goal.x, goal.y, Z_PUSH);
        return ik ? this.limit(q, ik) : this.replan(q);
      }
      case "touch": {
        const ik = this.ik(blk.x, blk.y, Z_TOUCH);
        return ik ? this.limit(q, ik) : this.replan(q);
      }
      case "push": {
        const zone = spec.zones[spec.targetZone!]!;
        const dx = zone.x - blk.x;
        const dy = zone.y - blk.y;
        const dist = Math.hypot(dx, dy);
        if (dist < 0.008) {
          this.phase = "retract";
          return this.act(t);
        }
        const ux = dx / dist;
        const uy = dy / dist;
        const c = this.contactDistance(t, spec, ux, uy);
        // Where the tip is relative to the block: along the push line (negative = behind) and across it.
        const along = (t.tip.x - blk.x) * ux + (t.tip.y - blk.y) * uy;
        const across = -(t.tip.x - blk.x) * uy + (t.tip.y - blk.y) * ux;
        if (Math.abs(across) > 0.6 * BLOCK_HALF || along > -c + 0.006) {
          // Slipped off the face, or got beside the block: go round again.
          this.retries++;
          this.phase = "lift";
          return this.act(t);
        }
        // Aim a step past the contact point, on the line through the block's centre.
        const aimX = blk.x - ux * (c - PUSH_STEP);
        const aimY = blk.y - uy * (c - PUSH_STEP);
        const ex = aimX - t.tip.x;
        const ey = aimY - t.tip.y;
        const e = Math.hypot(ex, ey);
        const s = e > PUSH_STEP * 1.5 ? (PUSH_STEP * 1.5) / e : 1;
        const ik = this.ik(t.tip.x + ex * s, t.tip.y + ey * s, Z_PUSH);
        return ik ? this.limit(q, ik) : this.replan(q);
      }
      case "retract":
      case "stuck":
        return this.limit(q, Float64Array.of(q[0]!, q[1]!, Z_SAFE - this.g.zOffset));
    }
  }

  /** Where the tip goes before it comes down: above the block (reach), or behind it (push). */
  private standoffPoint(t: Truth, spec: EpisodeSpec): { x: number; y: number } {
    const blk = t.blocks[spec.targetBlock]!.position;
    if (spec.task === "reach" || spec.targetZone === null) return { x: blk.x, y: blk.y };
    const zone = spec.zones[spec.targetZone]!;
    const dist = Math.hypot(zone.x - blk.x, zone.y - blk.y) || 1;
    const ux = (zone.x - blk.x) / dist;
    const uy = (zone.y - blk.y) / dist;
    const back = this.contactDistance(t, spec, ux, uy) + STANDOFF;
    return { x: blk.x - ux * back, y: blk.y - uy * back };
  }

  /** Distance from the block's centre to the tip's centre when the tip touches the block's
   * back face (or corner) on the push line: the block's support in −u plus the tip radius. */
  private contactDistance(t: Truth, spec: EpisodeSpec, ux: number, uy: number): number {
    const yaw = yawOf(t.blocks[spec.targetBlock]!.orientation);
    const c = Math.cos(yaw);
    const s = Math.sin(yaw);
    return BLOCK_HALF * (Math.abs(ux * c + uy * s) + Math.abs(-ux * s + uy * c)) + TIP_RADIUS;
  }

  /** The elbow branch that keeps the most of the task within joint limits (the stand-off point,
   * then the push line up to the zone), nearest the current pose on a tie; null when the
   * stand-off point is out of reach on both (the block drifted where the arm cannot follow). */
  private pickBranch(q: Float64Array, spec: EpisodeSpec, t: Truth): Branch | null {
    const pts: [number, number][] = [];
    const blk = t.blocks[spec.targetBlock]!.position;
    const start = this.standoffPoint(t, spec);
    pts.push([start.x, start.y]);
    if (spec.task === "push" && spec.targetZone !== null) {
      const zone = spec.zones[spec.targetZone]!;
      for (let i = 1; i <= 8; i++) pts.push([blk.x + ((zone.x - blk.x) * i) / 8, blk.y + ((zone.y - blk.y) * i) / 8]);
    }
    let best: Branch | null = null;
    let bestReach = 0;
    let bestCost = Infinity;
    for (const b of [0, 1] as const) {
      let reach = 0;
      while (reach < pts.length && this.ikBranch(pts[reach]![0], pts[reach]![1], Z_PUSH, b)) reach++;
      if (reach === 0) continue;
      const first = this.ikBranch(pts[0]![0], pts[0]![1], Z_PUSH, b)!;
      const cost = Math.abs(first[0]! - q[0]!) + Math.abs(first[1]! - q[1]!);
      if (reach > bestReach || (reach === bestReach && cost < bestCost)) {
        best = b;
        bestReach = reach;
        bestCost = cost;
      }
    }
    return best;
  }

  private ikBranch(x: number, y: number, z: number, b: Branch): Float64Array | null {
    const sol = inverseKinematics(this.g, { x, y, z })[b];
    if (!sol) return null;
    return sol.every((v, i) => v >= this.joints[i]!.lower && v <= this.joints[i]!.upper) ? sol : null;
  }

  private ik(x: number, y: number, z: number): Float64Array | null {
    return this.ikBranch(x, y, z, this.branch);
  }

  /** No IK solution on this branch (the block drifted out of it): lift and plan again. */
  private replan(q: Float64Array): Float64Array {
    this.retries++;
    this.phase = "lift";
    return this.limit(q, Float64Array.of(q[0]!, q[1]!, Z_SAFE - this.g.zOffset));
  }

  private limit(q: Float64Array, goal: Float64Array): Float64Array {
    return stepToward(q, goal);
  }
}
