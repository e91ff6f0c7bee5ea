// The object detector: true poses of blocks and zones → vision_msgs/Detection3DArray in the table
// frame, with Gaussian position noise, missed detections and false positives, all drawn from the
// episode's own detector stream so a seed replays exactly.
import { detection3D, detection3DArray } from "../src/messages/make.ts";
import type { Detection3DArray, Time } from "../src/messages/types.ts";
import type { Quat, Vec3 } from "./math3.ts";
import type { Rng } from "./prng.ts";
import { OBJECT_CLASSES, TABLE } from "./scene.ts";
import { FRAMES } from "./topics.ts";

export interface DetectorConfig {
  /** Standard deviation of the position noise per axis (m). */
  positionNoise: number;
  /** Probability that a true object is missing from a frame. */
  missRate: number;
  /** Mean number of false positives per frame (Poisson). */
  falsePositiveRate: number;
}

export const DEFAULT_DETECTOR: DetectorConfig = { positionNoise: 0.003, missRate: 0.05, falsePositiveRate: 0.1 };

export interface TrueObject {
  className: string;
  position: Vec3;
  orientation: Quat;
  size: Vec3;
}

export class DetectorConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DetectorConfigError";
  }
}

export function checkDetectorConfig(c: DetectorConfig): DetectorConfig {
  const bad = (field: string, want: string, v: number) => new DetectorConfigError(`detector.${field}: expected ${want}, found ${v}`);
  if (!(c.positionNoise >= 0) || !Number.isFinite(c.positionNoise)) throw bad("positionNoise", "a finite number ≥ 0 (metres)", c.positionNoise);
  if (!(c.missRate >= 0 && c.missRate <= 1)) throw bad("missRate", "a probability in [0, 1]", c.missRate);
  if (!(c.falsePositiveRate >= 0 && c.falsePositiveRate <= 10)) throw bad("falsePositiveRate", "a mean count in [0, 10]", c.falsePositiveRate);
  return c;
}

/** Poisson-distributed count by inversion (small means only). */
function poisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}

export function detect(objects: TrueObject[], rng: Rng, cfg: DetectorConfig, stamp: Time): Detection3DArray {
  const sigma = cfg.positionNoise;
  const out = [];
  // Every object draws the same number of variates whether missed or not, so one object's miss
  // does not shift the noise of the others.
  for (const o of objects) {
    const missed = rng.next() < cfg.missRate;
    const n = { x: rng.normal() * sigma, y: rng.normal() * sigma, z: rng.normal() * sigma };
    const score = 0.8 + 0.2 * rng.next();
    if (missed) continue;
    const d = detection3D({
      stamp,
      frame_id: FRAMES.table,
      class_id: o.className,
      score,
      position: { x: o.position.x + n.x, y: o.position.y + n.y, z: o.position.z + n.z },
      orientation: o.orientation,
      size: o.size,
      id: o.className,
    });
    const variance = sigma * sigma;
    const cov = d.results[0]!.pose.covariance;
    cov[0] = cov[7] = cov[14] = variance;
    out.push(d);
  }
  const ghosts = poisson(rng, cfg.falsePositiveRate);
  for (let i = 0; i < ghosts; i++) {
    const className = rng.pick(OBJECT_CLASSES);
    const zone = className.endsWith("_zone");
    out.push(
      detection3D({
        stamp,
        frame_id: FRAMES.table,
        class_id: className,
        score: 0.3 + 0.3 * rng.next(),
        position: { x: rng.uniform(-TABLE.halfX, TABLE.halfX), y: rng.uniform(-TABLE.halfY, TABLE.halfY), z: zone ? 0 : 0.02 },
        size: zone ? { x: 0.12, y: 0.12, z: 0.001 } : { x: 0.04, y: 0.04, z: 0.04 },
        id: className,
      }),
    );
  }
  return detection3DArray(out, { stamp, frame_id: FRAMES.table });
}
