// Asynchronous mode (DESIGN §4): for a model slower than the control rate. At a tick with no
// rollout in flight, the chunker starts one from o_k (H predictions, the model's own outputs fed
// back); meanwhile each tick executes the matching prediction of the newest finished chunk. The
// robot never waits for the model, and runs out of plan only if a rollout takes longer than H ticks
// (then it holds as policy_unavailable).
import type { Omnitoken } from "../omnitoken/types.ts";
import type { Policy } from "../policy/types.ts";

export interface ChunkStats {
  /** Rollouts started / finished / failed. */
  started: number;
  finished: number;
  failed: number;
  /** Ticks acted from a chunk, and ticks with no chunk covering them. */
  served: number;
  uncovered: number;
  /** Ticks between a rollout's observation and its arrival (its age when first used). */
  lastLatencyTicks: number;
}

interface Chunk {
  /** The tick of the observation the chunk was rolled out from. */
  baseTick: number;
  /** predictions[i] is p for tick baseTick + i (what to do after observing that tick). */
  predictions: Omnitoken[];
}

export class Chunker {
  private readonly policy: Policy;
  private readonly horizon: number;
  private current: Chunk | null = null;
  private inFlight: Promise<void> | null = null;
  private readonly s: ChunkStats = { started: 0, finished: 0, failed: 0, served: 0, uncovered: 0, lastLatencyTicks: 0 };
  lastError: string | null = null;

  constructor(policy: Policy, horizon: number) {
    if (!Number.isInteger(horizon) || horizon < 1) throw new RangeError(`chunk horizon: expected a positive integer, got ${horizon}`);
    this.policy = policy;
    this.horizon = horizon;
  }

  /** This tick's prediction (p_{k+1}) from the newest chunk that covers tick k, or null. Starts a
   * rollout from `observation` if none is running. */
  act(tick: number, observation: Omnitoken): Omnitoken | null {
    if (!this.inFlight) {
      this.s.started += 1;
      const base = tick;
      this.inFlight = this.policy
        .rollout(observation, this.horizon)
        .then((predictions) => {
          this.s.finished += 1;
          if (!this.current || base > this.current.baseTick) this.current = { baseTick: base, predictions };
        })
        .catch((err: unknown) => {
          this.s.failed += 1;
          this.lastError = err instanceof Error ? err.message : String(err);
        })
        .finally(() => (this.inFlight = null));
    }
    const c = this.current;
    const i = c ? tick - c.baseTick : -1;
    if (!c || i < 0 || i >= c.predictions.length) {
      this.s.uncovered += 1;
      return null;
    }
    if (i === 0 || this.s.lastLatencyTicks === 0) this.s.lastLatencyTicks = i;
    this.s.served += 1;
    return c.predictions[i]!;
  }

  /** Wait for a rollout in flight (end of an episode, tests). */
  async settle(): Promise<void> {
    await this.inFlight;
  }

  reset(): void {
    this.current = null;
  }

  stats(): ChunkStats {
    return { ...this.s };
  }
}
