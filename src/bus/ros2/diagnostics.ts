// The node's health as diagnostic_msgs/msg/DiagnosticArray (what rqt_robot_monitor and the
// diagnostic aggregator read): loop rate, step latency, holds by reason, surprise per column, the
// lifecycle state and the last error. A window collects one period; `report` turns it into the message.
import { HOLD_REASONS, type HoldReason, type SafetyCounts } from "../../loop/safety.ts";
import type { DiagnosticArray, DiagnosticStatus, KeyValue, Time } from "../../messages/types.ts";
import type { LifecycleState } from "./lifecycle.ts";

export const DIAGNOSTIC_LEVEL = { OK: 0, WARN: 1, ERROR: 2, STALE: 3 } as const;

/** What the node knows besides the window: its state, what it runs, what went wrong last. */
export interface NodeStatus {
  node: string;
  state: LifecycleState;
  model: string;
  provider: string;
  targetRateHz: number;
  /** A lifecycle transition that failed (configure could not load the model, …). */
  lastError: string | null;
  lastPolicyError: string | null;
  /** The running episode's command, if one runs. */
  episode: string | null;
}

export class HealthWindow {
  private stepMs: number[] = [];
  private surpriseSums = new Map<string, { sum: number; n: number }>();
  private startNs: bigint;
  private startCounts: SafetyCounts | null = null;

  constructor(nowNs: bigint) {
    this.startNs = nowNs;
  }

  step(ms: number): void {
    this.stepMs.push(ms);
  }

  /** One tick's surprise per column (NaN: not measurable this tick). */
  surprise(columns: readonly string[], values: ArrayLike<number>): void {
    columns.forEach((c, i) => {
      const v = values[i]!;
      if (!Number.isFinite(v)) return;
      const s = this.surpriseSums.get(c) ?? { sum: 0, n: 0 };
      s.sum += v;
      s.n += 1;
      this.surpriseSums.set(c, s);
    });
  }

  /** The window's figures against the safety counts at its start; then a new window begins. */
  close(nowNs: bigint, counts: SafetyCounts | null): WindowFigures {
    const seconds = Number(nowNs - this.startNs) / 1e9;
    const before = this.startCounts;
    const ticks = counts ? counts.driven + counts.held - (before ? before.driven + before.held : 0) : 0;
    const holds = {} as Record<HoldReason, number>;
    for (const r of HOLD_REASONS) holds[r] = counts ? counts.byReason[r] - (before?.byReason[r] ?? 0) : 0;
    const sorted = Float64Array.from(this.stepMs).sort();
    const q = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : NaN);
    const figures: WindowFigures = {
      seconds,
      ticks,
      rateHz: seconds > 0 ? ticks / seconds : 0,
      stepP50Ms: q(0.5),
      stepP99Ms: q(0.99),
      holds,
      totalHolds: counts ? { ...counts.byReason } : holds,
      surprise: Object.fromEntries([...this.surpriseSums].map(([c, s]) => [c, s.sum / s.n])),
    };
    this.stepMs = [];
    this.surpriseSums = new Map();
    this.startNs = nowNs;
    this.startCounts = counts;
    return figures;
  }
}

export interface WindowFigures {
  seconds: number;
  ticks: number;
  rateHz: number;
  stepP50Ms: number;
  stepP99Ms: number;
  /** Holds in this window, by reason. */
  holds: Record<HoldReason, number>;
  /** Holds since the loop was made, by reason. */
  totalHolds: Record<HoldReason, number>;
  surprise: Record<string, number>;
}

const fmt = (v: number, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : "n/a");

/** The level and one-line message: ERROR when a transition failed or the policy is unavailable,
 * WARN when holding or below 90% of the control rate, OK otherwise (inactive is OK: not driving). */
export function assess(s: NodeStatus, w: WindowFigures): { level: number; message: string } {
  if (s.lastError) return { level: DIAGNOSTIC_LEVEL.ERROR, message: s.lastError };
  if (s.state !== "active") return { level: DIAGNOSTIC_LEVEL.OK, message: `${s.state}: not driving` };
  if (!s.episode) return { level: DIAGNOSTIC_LEVEL.OK, message: "active: waiting for a task" };
  if (w.holds.policy_unavailable > 0) return { level: DIAGNOSTIC_LEVEL.ERROR, message: `holding: policy unavailable (${s.lastPolicyError ?? "no answer"})` };
  const held = HOLD_REASONS.filter((r) => w.holds[r] > 0);
  if (held.length > 0) return { level: DIAGNOSTIC_LEVEL.WARN, message: `holding: ${held.map((r) => `${r} ×${w.holds[r]}`).join(", ")}` };
  if (w.ticks > 0 && w.rateHz < 0.9 * s.targetRateHz) return { level: DIAGNOSTIC_LEVEL.WARN, message: `loop at ${fmt(w.rateHz, 1)} Hz, below ${s.targetRateHz} Hz` };
  return { level: DIAGNOSTIC_LEVEL.OK, message: `driving at ${fmt(w.rateHz, 1)} Hz` };
}

export function diagnosticArray(s: NodeStatus, w: WindowFigures, stamp: Time): DiagnosticArray {
  const { level, message } = assess(s, w);
  const kv = (key: string, value: string): KeyValue => ({ key, value });
  const values: KeyValue[] = [
    kv("lifecycle_state", s.state),
    kv("model", s.model),
    kv("provider", s.provider),
    kv("episode", s.episode ?? ""),
    kv("loop_rate_hz", fmt(w.rateHz)),
    kv("target_rate_hz", fmt(s.targetRateHz)),
    kv("step_ms_p50", fmt(w.stepP50Ms, 3)),
    kv("step_ms_p99", fmt(w.stepP99Ms, 3)),
    ...HOLD_REASONS.map((r) => kv(`holds.${r}`, String(w.holds[r]))),
    ...HOLD_REASONS.map((r) => kv(`holds_total.${r}`, String(w.totalHolds[r]))),
    ...Object.entries(w.surprise).map(([c, v]) => kv(`surprise.${c}`, fmt(v, 4))),
  ];
  if (s.lastPolicyError) values.push(kv("last_policy_error", s.lastPolicyError));
  const status: DiagnosticStatus = { level, name: `${s.node.replace(/^\//, "")}: loop`, message, hardware_id: s.node, values };
  return { header: { stamp: { sec: stamp.sec, nanosec: stamp.nanosec }, frame_id: "" }, status: [status] };
}
