// The loop's clock across episodes: a fixed-rate clock that starts afresh with each episode, so the
// time spent waiting for a task is not counted as missed deadlines at the next episode's first tick.
import { FixedRateClock, type ClockStats, type Tick } from "../../loop/clock.ts";
import type { TickSource } from "../../loop/lockstep-clock.ts";
import type { TimeSource } from "../../loop/time-source.ts";

export class EpisodeClock implements TickSource {
  readonly periodNs: bigint;
  private clock: FixedRateClock;
  private readonly rateHz: number;
  private readonly time: TimeSource;
  private done: ClockStats = { ticks: 0, missed: 0 };

  constructor(options: { rateHz: number; time: TimeSource }) {
    this.rateHz = options.rateHz;
    this.time = options.time;
    this.clock = new FixedRateClock(options);
    this.periodNs = this.clock.periodNs;
  }

  /** A new episode: the next tick comes at once, deadlines count from it. */
  restart(): void {
    const s = this.clock.stats();
    this.done = { ticks: this.done.ticks + s.ticks, missed: this.done.missed + s.missed };
    this.clock = new FixedRateClock({ rateHz: this.rateHz, time: this.time });
  }

  next(): Promise<Tick> {
    return this.clock.next();
  }

  stats(): ClockStats {
    const s = this.clock.stats();
    return { ticks: this.done.ticks + s.ticks, missed: this.done.missed + s.missed };
  }
}
