// The composer (DESIGN §4, step 1): the latest sample of each input → observation o_k. A sample
// older than its column's staleness bound is not used: the column is filled in from the previous
// prediction (origin "predicted") for a bounded number of ticks, then left absent and the loop is
// told to hold the robot, with the reason. Receive times are the loop's monotonic clock, not the
// messages' header stamps, so a robot whose clock is off cannot make stale data look fresh.
import { columnOf } from "../omnitoken/card.ts";
import type { ModelCard } from "../omnitoken/card-types.ts";
import { absentToken, cloneToken } from "../omnitoken/token.ts";
import type { Omnitoken, Stamp } from "../omnitoken/types.ts";
import type { Detection2DArray, Detection3DArray, Image, JointState } from "../messages/types.ts";
import { encodeObservation, type ObservationInputs } from "../encoders/observation.ts";
import { denormaliseAction } from "../encoders/command.ts";
import type { HoldReason } from "./safety.ts";

export type InputKind = "image" | "detections" | "joints";

interface InputMessage {
  image: Image;
  detections: Detection3DArray | Detection2DArray;
  joints: JointState;
}

const COLUMN_OF_INPUT = { image: "pixels", detections: "objects", joints: "action" } as const;

export interface ComposerOptions {
  card: ModelCard;
  /** Max age (s) of a sample per input; default 1.5 control periods (one missed frame is stale). */
  staleness?: Partial<Record<InputKind, number>>;
  /** Ticks a stale column may be filled in from the previous prediction before the loop holds. */
  maxFillTicks?: number;
  /** No input at all for this long (s) holds the robot as "watchdog"; default 5 control periods. */
  watchdog?: number;
}

export interface Composition {
  token: Omnitoken;
  /** Why the robot must be held this tick (empty when the observation is good enough to act on). */
  reasons: HoldReason[];
  /** Columns whose sample was too old this tick. */
  stale: string[];
  /** Columns filled in from the previous prediction this tick. */
  filled: string[];
  /** Measured joint positions (joint units, card order) from the latest fresh joint state. */
  measured: Float64Array | null;
}

interface Latest<K extends InputKind> {
  msg: InputMessage[K];
  receivedNs: bigint;
}

export class Composer {
  private readonly card: ModelCard;
  private readonly boundNs: Record<InputKind, bigint>;
  private readonly maxFill: number;
  private readonly watchdogNs: bigint;
  private readonly latest: { [K in InputKind]?: Latest<K> } = {};
  private readonly fills = new Map<string, number>();
  private lastInputNs: bigint | null = null;
  private scratch: Omnitoken;

  constructor(options: ComposerOptions) {
    this.card = options.card;
    const period = 1 / options.card.control_rate_hz;
    const ns = (s: number) => BigInt(Math.round(s * 1e9));
    const bound = (k: InputKind) => ns(options.staleness?.[k] ?? 1.5 * period);
    this.boundNs = { image: bound("image"), detections: bound("detections"), joints: bound("joints") };
    this.maxFill = options.maxFillTicks ?? 3;
    this.watchdogNs = ns(options.watchdog ?? 5 * period);
    this.scratch = absentToken(options.card, 0, { sec: 0, nanosec: 0 });
  }

  /** Keep `msg` as the latest sample of `kind`, received at monotonic time `receivedNs`. */
  offer<K extends InputKind>(kind: K, msg: InputMessage[K], receivedNs: bigint): void {
    (this.latest as Record<InputKind, Latest<InputKind>>)[kind] = { msg, receivedNs };
    this.lastInputNs = receivedNs;
  }

  /** A new episode of `command`: fill-in budgets start afresh. Samples are kept: sensors stream on between
   * episodes, and their age alone decides whether they are used. */
  reset(command = ""): void {
    this.fills.clear();
    this.command = command;
  }

  /** The running episode's task command (the objects layout "named_first" reads it). */
  private command = "";

  compose(step: number, nowNs: bigint, stamp: Stamp, previous: Omnitoken | null): Composition {
    const fresh: ObservationInputs = { command: this.command };
    const stale: string[] = [];
    const reasons: HoldReason[] = [];
    for (const kind of ["image", "detections", "joints"] as const) {
      const column = this.columnFor(kind);
      if (!column) continue; // the card does not read this input
      const s = this.latest[kind];
      if (s && nowNs - s.receivedNs <= this.boundNs[kind]) (fresh as Record<InputKind, unknown>)[kind] = s.msg;
      else stale.push(column);
    }
    // Encoders throw on a message that does not fit the card: the caller counts and drops it.
    const token = cloneToken(encodeObservation(this.card, fresh, step, stamp, this.scratch));
    const filled: string[] = [];
    for (const column of stale) {
      const used = this.fills.get(column) ?? 0;
      const guess = previous?.columns[column];
      if (guess && guess.origin !== "absent" && used < this.maxFill) {
        token.columns[column] = { origin: "predicted", data: guess.data.slice() };
        this.fills.set(column, used + 1);
        filled.push(column);
      } else if (!reasons.includes("stale_input")) {
        reasons.push("stale_input");
      }
    }
    for (const spec of this.card.columns) if (!stale.includes(spec.name)) this.fills.delete(spec.name);
    if (this.lastInputNs === null || nowNs - this.lastInputNs > this.watchdogNs) reasons.push("watchdog");
    return { token, reasons, stale, filled, measured: this.measured(fresh.joints) };
  }

  private columnFor(kind: InputKind): string | undefined {
    return columnOf(this.card, COLUMN_OF_INPUT[kind])?.name;
  }

  private measured(joints: JointState | undefined): Float64Array | null {
    const spec = columnOf(this.card, "action");
    if (!joints || !spec) return null;
    const token = this.scratch.columns[spec.name];
    return token ? denormaliseAction(token.data as Float32Array, spec) : null;
  }
}
