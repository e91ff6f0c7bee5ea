// The tasks' success criteria, exactly (also in sim/README.md):
//  reach — during some physics step, the contact between the pusher (the quill's collider) and
//          the named block carries force: a total normal impulse > 1e-6 N·s (world.ts).
//  push  — at the end of a control tick, all eight corners of the named block, projected on the
//          table, lie inside the named zone's square, and the block rests on the table (centre
//          height within 5 mm of a resting cube's).
//  Either task fails at once if the named block leaves the table (centre below the table top),
//  and times out when its time limit passes unsolved.
import type { EpisodeSpec } from "./episode.ts";
import { rotate, type Quat, type Vec3 } from "./math3.ts";
import { BLOCK_HALF } from "./scene.ts";

export type Outcome = "success" | "timeout" | "failed";

export interface TaskState {
  /** The named block's pose at the end of the tick. */
  target: { position: Vec3; orientation: Quat };
  /** The pusher touched the named block during the tick. */
  touched: boolean;
  /** Episode time at the end of the tick (s). */
  time: number;
}

export interface Verdict {
  outcome: Outcome;
  reason: string;
}

/** Corners of the block, projected on the table, all inside the zone square. */
export function blockInZone(position: Vec3, orientation: Quat, zone: { x: number; y: number; half: number }): boolean {
  for (const sx of [-1, 1]) {
    for (const sy of [-1, 1]) {
      for (const sz of [-1, 1]) {
        const c = rotate(orientation, { x: sx * BLOCK_HALF, y: sy * BLOCK_HALF, z: sz * BLOCK_HALF });
        if (Math.abs(position.x + c.x - zone.x) > zone.half || Math.abs(position.y + c.y - zone.y) > zone.half) return false;
      }
    }
  }
  return true;
}

/** The episode's verdict after a tick, or null while it goes on. */
export function judge(spec: EpisodeSpec, s: TaskState): Verdict | null {
  const block = spec.blocks[spec.targetBlock]!;
  if (s.target.position.z < 0) {
    return { outcome: "failed", reason: `the ${block.colour} block left the table` };
  }
  if (spec.task === "reach" && s.touched) {
    return { outcome: "success", reason: `the tip touched the ${block.colour} block` };
  }
  if (spec.task === "push" && spec.targetZone !== null) {
    const zone = spec.zones[spec.targetZone]!;
    const resting = Math.abs(s.target.position.z - BLOCK_HALF) <= 0.005;
    if (resting && blockInZone(s.target.position, s.target.orientation, zone)) {
      return { outcome: "success", reason: `the ${block.colour} block is inside the ${zone.colour} zone` };
    }
  }
  // A tick's end lands on the limit up to float rounding; allow a microsecond.
  if (s.time >= spec.timeoutS - 1e-6) {
    return { outcome: "timeout", reason: `not solved within ${spec.timeoutS} s` };
  }
  return null;
}
