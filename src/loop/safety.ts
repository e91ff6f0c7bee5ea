// The safety filter (DESIGN §4, step 3): stands between the model's action and the actuators.
// Garbage never drives the robot: a non-finite action, an e-stop, or inputs the loop can no longer
// trust hold the last safe command; out-of-limit targets are clamped and fast ones rate-limited.
// Every hold names its reasons and every reason is counted, so a user can see why the robot stopped.
import type { JointSpec } from "../omnitoken/card-types.ts";

export type HoldReason =
  | "nonfinite_action" // NaN or ±Inf in the model's action
  | "estop" // the e-stop topic says stop
  | "stale_input" // an input is older than its bound and can no longer be filled in
  | "watchdog" // no input at all for longer than the watchdog period
  | "policy_unavailable" // the model did not answer in time (remote server gone, step failed)
  | "deadline_miss"; // the tick overran; the last safe command stands

export const HOLD_REASONS: readonly HoldReason[] = [
  "nonfinite_action",
  "estop",
  "stale_input",
  "watchdog",
  "policy_unavailable",
  "deadline_miss",
];

export interface SafetyOptions {
  joints: JointSpec[];
  /** Control period in seconds: the per-tick rate limit is max_velocity × period. */
  periodS: number;
  /** Per-joint velocity limit (joint unit/s) where the card gives none; Infinity disables. */
  defaultMaxVelocity?: number;
}

export type SafetyDecision =
  | {
      kind: "drive";
      command: Float64Array; // joint units, card order
      clamped: number[]; // joint indexes clamped to their limits
      rateLimited: number[]; // joint indexes whose step was cut to the rate limit
    }
  | {
      kind: "hold";
      /** What to send while holding: the last safe command, else the measured position, else null
       * (nothing has ever been safe to send: publish nothing). */
      command: Float64Array | null;
      reasons: HoldReason[];
    };

export interface SafetyCounts {
  driven: number;
  held: number;
  byReason: Record<HoldReason, number>;
  clamped: number;
  rateLimited: number;
}

export class SafetyFilter {
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;
  private readonly maxStep: Float64Array;
  private last: Float64Array | null = null;
  private readonly counts: SafetyCounts;

  constructor(options: SafetyOptions) {
    const n = options.joints.length;
    if (n === 0) throw new RangeError("safety filter: the action column declares no joints");
    if (!(options.periodS > 0)) throw new RangeError(`safety filter: period must be > 0 s, got ${options.periodS}`);
    this.lo = Float64Array.from(options.joints, (j) => j.min);
    this.hi = Float64Array.from(options.joints, (j) => j.max);
    const fallback = options.defaultMaxVelocity ?? Infinity;
    this.maxStep = Float64Array.from(options.joints, (j) => (j.max_velocity ?? fallback) * options.periodS);
    this.counts = {
      driven: 0,
      held: 0,
      byReason: Object.fromEntries(HOLD_REASONS.map((r) => [r, 0])) as Record<HoldReason, number>,
      clamped: 0,
      rateLimited: 0,
    };
  }

  /**
   * Decide this tick's command.
   * @param target the model's action in joint units (card order), or null if there is none.
   * @param reasons hold reasons the loop already knows (e-stop, stale input, …).
   * @param measured the measured joint positions, used to hold before any command was sent.
   */
  filter(target: Float64Array | null, reasons: HoldReason[], measured: Float64Array | null = null): SafetyDecision {
    const why = [...reasons];
    if (target !== null && !why.includes("nonfinite_action") && target.some((v) => !Number.isFinite(v))) {
      why.push("nonfinite_action");
    }
    if (target === null && why.length === 0) why.push("policy_unavailable");
    if (why.length > 0) return this.hold(why, measured);

    const t = target as Float64Array;
    if (t.length !== this.lo.length) {
      throw new RangeError(`safety filter: action has ${t.length} joints, the card declares ${this.lo.length}`);
    }
    const command = new Float64Array(t.length);
    const clamped: number[] = [];
    const rateLimited: number[] = [];
    const from = this.last ?? measured;
    for (let i = 0; i < t.length; i++) {
      let v = t[i]!;
      if (v < this.lo[i]!) {
        v = this.lo[i]!;
        clamped.push(i);
      } else if (v > this.hi[i]!) {
        v = this.hi[i]!;
        clamped.push(i);
      }
      if (from) {
        const step = v - from[i]!;
        const max = this.maxStep[i]!;
        if (Math.abs(step) > max) {
          v = from[i]! + Math.sign(step) * max;
          rateLimited.push(i);
        }
      }
      command[i] = v;
    }
    this.last = command;
    this.counts.driven += 1;
    this.counts.clamped += clamped.length;
    this.counts.rateLimited += rateLimited.length;
    return { kind: "drive", command, clamped, rateLimited };
  }

  private hold(reasons: HoldReason[], measured: Float64Array | null): SafetyDecision {
    this.counts.held += 1;
    for (const r of reasons) this.counts.byReason[r] += 1;
    const command = this.last ?? (measured && measured.every(Number.isFinite) ? Float64Array.from(measured) : null);
    return { kind: "hold", command, reasons };
  }

  /** The last command that passed the filter (what the robot is holding), if any. */
  lastCommand(): Float64Array | null {
    return this.last;
  }

  stats(): SafetyCounts {
    return { ...this.counts, byReason: { ...this.counts.byReason } };
  }
}
