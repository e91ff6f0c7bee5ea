// The scripted expert: a controller with privileged state (true poses) that solves the tasks the
// way a teleoperator would — lift the tip clear, travel above the blocks, come down a funnel onto
// the block (reach) or behind it (push), push it along the line to the zone's centre, go round
// again if it slips off — through the arm's inverse kinematics. Its command is a function of the
// state (bar the elbow branch), so a policy can imitate it from what it observes. It commands joint positions at the control rate, each step small
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

/** Where the tip aims to be when it reaches its point: touching into the named block's top (reach:
 * 8 mm below a light touch, so the contact carries force and a tip a centimetre off still meets the
 * block's side), or at pushing height behind it (push). */
const Z_REACH = Z_TOUCH - 0.008;
/** The funnel the tip closes in along: its height rises with the horizontal distance d to its point
 * — flat within FUNNEL_FLAT, then FUNNEL_SLOPE metres up per metre out, capped at Z_SAFE. Steep
 * enough to clear a block's top 15 mm out from the stand-off point. A policy imitating it comes down
 * as it believes it gets close; the old switch at a 4 mm tolerance taught a centimetre-accurate
 * policy to hover above the block forever. */
const FUNNEL_SLOPE = 2.5;
const FUNNEL_FLAT = 0.008;
/** Below the funnel by more than this, and away from the point: rise straight up before travelling. */
const BELOW_FUNNEL = 0.012;
/** Push: the corridor behind the named block where the tip may stay low — along the push line from
 * CORRIDOR_CLEAR behind the contact point back to the stand-off point's flat, CORRIDOR_HALF either
 * side. Everywhere in it is behind the block's back face, so a low tip slides to the stand-off
 * point in it instead of rising over the whole funnel: a policy a few centimetres off the line
 * then sees one motion (slide), where the point-centred funnel asked it to rise 6 cm from one
 * state and to push from its neighbour, and it learnt to hover between them (models/reference/EVAL.md,
 * session 6). CORRIDOR_CLEAR keeps the funnel above a block's top (Z_TOUCH) over the block itself. */
const CORRIDOR_CLEAR = 0.016;
const CORRIDOR_HALF = 0.04;

export function funnelZ(d: number, zLow: number): number {
  return Math.min(Z_SAFE, zLow + FUNNEL_SLOPE * Math.max(0, d - FUNNEL_FLAT));
}

/** Horizontal distance from the tip to the push corridor (0 inside it). */
function corridorDistance({ c, along, across }: PushFrame): number {
  const da = Math.max(-(c + STANDOFF + FUNNEL_FLAT) - along, 0, along + c + CORRIDOR_CLEAR);
  const dc = Math.max(Math.abs(across) - CORRIDOR_HALF, 0);
  return Math.hypot(da, dc);
}

/** What the expert did this tick (for logs and tests); its command is a function of the state alone,
 * apart from the elbow branch, chosen whenever it rises and kept while it travels. */
export type ExpertPhase = "lift" | "approach" | "push" | "retract" | "stuck";

type Branch = 0 | 1; // index into inverseKinematics(): elbow-positive, elbow-negative

/** The push line through the named block towards the zone's centre, and the tip in its frame:
 * computed once a tick and shared by the push pose, the push step, the corridor and the stand-off. */
interface PushFrame {
  ux: number;
  uy: number;
  blk: { x: number; y: number };
  /** Block centre to tip centre at contact on the line (contactDistance). */
  c: number;
  /** The tip relative to the block's centre: along the line (towards the zone), and across it. */
  along: number;
  across: number;
}

export class ScriptedExpert {
  phase: ExpertPhase = "lift";
  private branch: Branch | null = null;
  private readonly g: ScaraGeometry;
  private readonly joints: ArmJoint[];
  /** Re-approaches so far (a push that slipped off the block, a branch that lost the block). */
  retries = 0;

  constructor(arm: ArmSpec) {
    this.g = arm.geometry;
    this.joints = arm.joints;
  }

  reset(): void {
    this.phase = "lift";
    this.branch = null;
    this.retries = 0;
  }

  /** The next joint position command [shoulder, elbow, lift] for this tick. */
  act(t: Truth): Float64Array {
    const spec = t.spec;
    const q = t.joints;
    const f = spec.task === "push" && spec.targetZone !== null ? this.pushFrame(t) : null;
    if (f && this.phase !== "retract") {
      const zone = spec.zones[spec.targetZone!]!;
      const blk = t.blocks[spec.targetBlock]!.position;
      if (Math.hypot(zone.x - blk.x, zone.y - blk.y) < 0.008) this.phase = "retract";
      else if (this.inPushPose(t, f)) return this.pushStep(t, f);
    }
    if (this.phase === "retract") return this.raise(q);
    const goal = this.standoffPoint(t, spec, f);
    const d = f ? corridorDistance(f) : Math.hypot(t.tip.x - goal.x, t.tip.y - goal.y);
    const z = funnelZ(d, f ? Z_PUSH : Z_REACH);
    const rising = t.tip.z < z - BELOW_FUNNEL && d > 2 * FUNNEL_FLAT;
    if (rising || this.branch === null) {
      // Choose the elbow branch while the arm only moves vertically, so the choice cannot flip mid-travel.
      const branch = this.pickBranch(q, spec, t, goal);
      if (branch === null) {
        this.phase = "stuck";
        return this.raise(q);
      }
      if (this.branch !== null && branch !== this.branch) this.retries++;
      this.branch = branch;
    }
    if (rising) {
      this.phase = "lift";
      return this.limit(q, Float64Array.of(q[0]!, q[1]!, z - this.g.zOffset));
    }
    const ik = this.ik(goal.x, goal.y, z);
    if (!ik) {
      // The block drifted off this branch: rise, and choose again on the way up.
      this.retries++;
      this.branch = null;
      this.phase = "lift";
      return this.raise(q);
    }
    this.phase = "approach";
    return this.limit(q, ik);
  }

  /** Low, behind the named block on its push line, and square to it: pushing goes on. */
  private inPushPose(t: Truth, { c, along, across }: PushFrame): boolean {
    if (t.tip.z > Z_PUSH + 0.004) return false;
    if (Math.abs(across) > 0.6 * BLOCK_HALF) return false;
    if (along > -c + 0.006) return false; // beside or past the block
    return along >= -c - STANDOFF - FUNNEL_FLAT;
  }

  /** One push step: aim a step past the contact point, on the line through the block's centre. */
  private pushStep(t: Truth, { ux, uy, blk, c }: PushFrame): Float64Array {
    this.phase = "push";
    const aimX = blk.x - ux * (c - PUSH_STEP);
    const aimY = blk.y - uy * (c - PUSH_STEP);
    const ex = aimX - t.tip.x;
    const ey = aimY - t.tip.y;
    const e = Math.hypot(ex, ey);
    const s = e > PUSH_STEP * 1.5 ? (PUSH_STEP * 1.5) / e : 1;
    const ik = this.ik(t.tip.x + ex * s, t.tip.y + ey * s, Z_PUSH);
    if (ik) return this.limit(t.joints, ik);
    this.retries++;
    this.branch = null;
    this.phase = "lift";
    return this.raise(t.joints);
  }

  private pushFrame(t: Truth): PushFrame {
    const spec = t.spec;
    const zone = spec.zones[spec.targetZone!]!;
    const blk = t.blocks[spec.targetBlock]!.position;
    const dist = Math.hypot(zone.x - blk.x, zone.y - blk.y) || 1;
    const ux = (zone.x - blk.x) / dist;
    const uy = (zone.y - blk.y) / dist;
    const along = (t.tip.x - blk.x) * ux + (t.tip.y - blk.y) * uy;
    const across = -(t.tip.x - blk.x) * uy + (t.tip.y - blk.y) * ux;
    return { ux, uy, blk, c: this.contactDistance(t, spec, ux, uy), along, across };
  }

  private raise(q: Float64Array): Float64Array {
    return this.limit(q, Float64Array.of(q[0]!, q[1]!, Z_SAFE - this.g.zOffset));
  }

  /** Where the tip goes before it comes down: above the block (reach), or behind it (push). */
  private standoffPoint(t: Truth, spec: EpisodeSpec, f: PushFrame | null): { x: number; y: number } {
    if (!f) {
      const blk = t.blocks[spec.targetBlock]!.position;
      return { x: blk.x, y: blk.y };
    }
    const back = f.c + STANDOFF;
    return { x: f.blk.x - f.ux * back, y: f.blk.y - f.uy * back };
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
  private pickBranch(q: Float64Array, spec: EpisodeSpec, t: Truth, start: { x: number; y: number }): Branch | null {
    const pts: [number, number][] = [];
    const blk = t.blocks[spec.targetBlock]!.position;
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
    return this.branch === null ? null : this.ikBranch(x, y, z, this.branch);
  }

  private limit(q: Float64Array, goal: Float64Array): Float64Array {
    return stepToward(q, goal);
  }
}
