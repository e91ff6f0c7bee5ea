// The loop's clock: ticks at a fixed rate on absolute deadlines (t0 + k·period), so it never
// drifts; a tick that overran its period skips the deadlines it missed instead of bunching up
// catch-up ticks (a control loop never queues stale work), and counts them.
import type { TimeSource } from "./time-source.ts";

export interface Tick {
  /** Tick number, counting skipped periods too: index·period is the tick's nominal time. */
  index: number;
  /** The absolute deadline this tick was scheduled for (ns, the time source's epoch). */
  deadlineNs: bigint;
  /** When the tick actually started: startNs − deadlineNs is the wake-up jitter. */
  startNs: bigint;
  /** Periods skipped just before this tick because the previous one overran. */
  skipped: number;
}

export interface ClockStats {
  ticks: number;
  /** Deadlines missed: periods skipped because a tick overran. */
  missed: number;
}

export class FixedRateClock {
  readonly periodNs: bigint;
  private readonly time: TimeSource;
  private t0: bigint | undefined;
  private nextIndex = 0;
  private ticks = 0;
  private missed = 0;

  constructor(options: { rateHz: number; time: TimeSource }) {
    if (!(options.rateHz > 0) || !Number.isFinite(options.rateHz)) {
      throw new RangeError(`clock rate: expected a positive number of Hz, got ${options.rateHz}`);
    }
    this.periodNs = BigInt(Math.round(1e9 / options.rateHz));
    this.time = options.time;
  }

  /** Wait for the next deadline and return the tick. The first call ticks at once. */
  async next(): Promise<Tick> {
    const now = this.time.now();
    if (this.t0 === undefined) this.t0 = now;
    let deadline = this.t0 + BigInt(this.nextIndex) * this.periodNs;
    let skipped = 0;
    // Overran past the following deadline(s): skip them rather than run them late in a burst.
    if (now >= deadline + this.periodNs) {
      skipped = Number((now - deadline) / this.periodNs);
      this.nextIndex += skipped;
      this.missed += skipped;
      deadline = this.t0 + BigInt(this.nextIndex) * this.periodNs;
    }
    if (deadline > now) await this.time.sleepUntil(deadline);
    const tick: Tick = { index: this.nextIndex, deadlineNs: deadline, startNs: this.time.now(), skipped };
    this.nextIndex += 1;
    this.ticks += 1;
    return tick;
  }

  stats(): ClockStats {
    return { ticks: this.ticks, missed: this.missed };
  }
}
