// An episode from a seed: the layout (blocks, zones, the arm's start pose), the task's target and
// its command in words. Our own PRNG (no Math.random), IEEE arithmetic and V8's own software
// libm (the same fdlibm port on every platform), so a seed gives the same episode bit for bit on
// every machine.
import { chooseIk, type ScaraGeometry, type JointLimits } from "./kinematics.ts";
import { Rng } from "./prng.ts";
import { BLOCK_HALF, COLOURS, TABLE, ZONE_HALF, type Colour } from "./scene.ts";

export const TASKS = ["reach", "push"] as const;
export type TaskName = (typeof TASKS)[number];

export interface BlockSpec {
  colour: Colour | "grey";
  /** Detector class: `red_block` …, or `other` for the grey distractor. */
  className: string;
  x: number;
  y: number;
  /** Yaw as a unit quaternion about z: (0, 0, qz, qw). */
  qz: number;
  qw: number;
}

export interface ZoneSpec {
  colour: Colour;
  className: string;
  x: number;
  y: number;
  half: number;
}

export interface EpisodeSpec {
  seed: number;
  task: TaskName;
  command: string;
  blocks: BlockSpec[];
  zones: ZoneSpec[];
  /** Index into `blocks` of the block named in the command. */
  targetBlock: number;
  /** Index into `zones` of the zone named in the command (push only). */
  targetZone: number | null;
  /** Joint vector the arm starts at: [shoulder, elbow, lift]. */
  armStart: [number, number, number];
  timeoutS: number;
}

/** Episode time limits (s); an episode not solved by then ends as `timeout`. */
export const TIMEOUT_S: Record<TaskName, number> = { reach: 10, push: 25 };

export const TEMPLATES: Record<TaskName, readonly string[]> = {
  reach: [
    "touch the {block} block",
    "reach the {block} block",
    "tap the {block} block",
    "touch the {block} block with the tip",
    "go and touch the {block} block",
    "put the tip on the {block} block",
  ],
  push: [
    "push the {block} block into the {zone} zone",
    "move the {block} block to the {zone} zone",
    "slide the {block} block into the {zone} zone",
    "put the {block} block in the {zone} zone",
    "push the {block} block to the {zone} zone",
    "get the {block} block into the {zone} zone",
  ],
};

export class EpisodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EpisodeError";
  }
}

export function isTask(name: string): name is TaskName {
  return (TASKS as readonly string[]).includes(name);
}

export interface ArmReach {
  geometry: ScaraGeometry;
  limits: JointLimits[];
}

const dist = (ax: number, ay: number, bx: number, by: number) => Math.hypot(ax - bx, ay - by);

/** Where the layout may put things: inside the table, in the arm's comfortable reach. */
function reachable(arm: ArmReach, x: number, y: number, rMin: number, rMax: number): boolean {
  const r = dist(x, y, arm.geometry.baseX, arm.geometry.baseY);
  if (r < rMin || r > rMax) return false;
  return chooseIk(arm.geometry, { x, y, z: 0.05 }, arm.limits, [0, 0, 0], [0.15, 0.1, 0]) !== null;
}

/** Distance from point p to the segment a→b. */
function segmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const vx = bx - ax;
  const vy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * vx + (py - ay) * vy) / (vx * vx + vy * vy)));
  return dist(px, py, ax + t * vx, ay + t * vy);
}

/** The push is feasible for the scripted expert and a person alike: the block starts 10–30 cm
 * from the zone, the pusher's start behind it is reachable, the whole push line stays in reach
 * on one elbow branch, and no other block sits within 7.5 cm of the line. */
function pushFeasible(arm: ArmReach, blocks: BlockSpec[], b: number, z: ZoneSpec): boolean {
  const blk = blocks[b]!;
  const d = dist(blk.x, blk.y, z.x, z.y);
  if (d < 0.1 || d > 0.3) return false;
  const ux = (z.x - blk.x) / d;
  const uy = (z.y - blk.y) / d;
  const px = blk.x - 0.07 * ux;
  const py = blk.y - 0.07 * uy;
  if (Math.abs(px) > TABLE.halfX - 0.02 || Math.abs(py) > TABLE.halfY - 0.02) return false;
  let q: Float64Array | null = null;
  for (let i = 0; i <= 10; i++) {
    const x = px + (z.x - px) * (i / 10);
    const y = py + (z.y - py) * (i / 10);
    if (!reachable(arm, x, y, 0.15, 0.38)) return false;
    const next = chooseIk(arm.geometry, { x, y, z: 0.02 }, arm.limits, q ?? [0, 0, 0], [0.15, 0.1, 0]);
    if (!next || (q && Math.abs(next[1]! - q[1]!) > 0.6)) return false; // no elbow flip mid-push
    q = next;
  }
  return blocks.every((o, i) => i === b || segmentDistance(o.x, o.y, px, py, z.x, z.y) >= 0.075);
}

export function generateEpisode(seed: number, task: TaskName, arm: ArmReach): EpisodeSpec {
  if (!isTask(task)) throw new EpisodeError(`task "${String(task)}" is not known; expected one of ${TASKS.join(", ")}`);
  const rng = new Rng(seed, `episode:${task}`);
  for (let attempt = 0; attempt < 2000; attempt++) {
    const nBlocks = 3 + rng.int(3);
    const blockColours: (Colour | "grey")[] = rng.shuffle(COLOURS).slice(0, Math.min(nBlocks, 4));
    if (nBlocks === 5) blockColours.push("grey");
    const zoneColours = rng.shuffle(COLOURS).slice(0, 2);

    const zones: ZoneSpec[] = [];
    for (const colour of zoneColours) {
      for (let k = 0; k < 200; k++) {
        const x = rng.uniform(-TABLE.halfX + ZONE_HALF + 0.01, TABLE.halfX - ZONE_HALF - 0.01);
        const y = rng.uniform(-(TABLE.halfY - ZONE_HALF - 0.01), 0.12);
        if (!reachable(arm, x, y, 0.17, 0.33)) continue;
        if (zones.some((o) => Math.abs(o.x - x) < 2 * ZONE_HALF + 0.02 && Math.abs(o.y - y) < 2 * ZONE_HALF + 0.02)) continue;
        zones.push({ colour, className: `${colour}_zone`, x, y, half: ZONE_HALF });
        break;
      }
    }
    if (zones.length < zoneColours.length) continue;

    const blocks: BlockSpec[] = [];
    for (const colour of blockColours) {
      for (let k = 0; k < 200; k++) {
        const x = rng.uniform(-TABLE.halfX + 0.05, TABLE.halfX - 0.05);
        const y = rng.uniform(-(TABLE.halfY - 0.05), 0.14);
        if (!reachable(arm, x, y, 0.16, 0.34)) continue;
        if (blocks.some((o) => dist(o.x, o.y, x, y) < 0.09)) continue;
        const margin = ZONE_HALF + BLOCK_HALF + 0.02;
        if (zones.some((z) => Math.abs(z.x - x) < margin && Math.abs(z.y - y) < margin)) continue;
        // A yaw θ uniform in [0, 2π): the half-angle's (cos, sin) is a uniform unit vector.
        const [qw, qz] = rng.unitCircle();
        blocks.push({ colour, className: colour === "grey" ? "other" : `${colour}_block`, x, y, qz, qw });
        break;
      }
    }
    if (blocks.length < blockColours.length) continue;

    const coloured = blocks.map((b, i) => (b.colour === "grey" ? -1 : i)).filter((i) => i >= 0);
    const targetBlock = rng.pick(coloured);
    const targetZone = task === "push" ? rng.int(zones.length) : null;
    if (targetZone !== null && !pushFeasible(arm, blocks, targetBlock, zones[targetZone]!)) continue;

    const template = rng.pick(TEMPLATES[task]);
    const command = template
      .replace("{block}", blocks[targetBlock]!.colour)
      .replace("{zone}", targetZone === null ? "" : zones[targetZone]!.colour);
    const elbowSign = rng.next() < 0.5 ? -1 : 1;
    const armStart: [number, number, number] = [rng.uniform(-0.6, 0.6), elbowSign * rng.uniform(1.5, 2.3), rng.uniform(0.08, 0.11)];
    return { seed, task, command, blocks, zones, targetBlock, targetZone, armStart, timeoutS: TIMEOUT_S[task] };
  }
  throw new EpisodeError(`seed ${seed}, task ${task}: no feasible layout in 2000 attempts (the workspace constraints are too tight)`);
}
