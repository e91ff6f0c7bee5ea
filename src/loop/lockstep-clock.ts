// The lockstep clock: the same tick contract as the fixed-rate clock, on virtual time, for an
// in-process simulator. Between two ticks it advances virtual time by one period and lets the
// simulator run that period (which publishes the sensor messages that fell due), so the loop code
// is the same against the simulator as against a robot.
import { FixedRateClock, type ClockStats, type Tick } from "./clock.ts";
import type { VirtualTime } from "./time-source.ts";

export interface TickSource {
  next(): Promise<Tick>;
  stats(): ClockStats;
  readonly periodNs: bigint;
}

export class LockstepClock implements TickSource {
  readonly periodNs: bigint;
  private readonly inner: FixedRateClock;
  private readonly time: VirtualTime;
  private readonly advance: () => Promise<void> | void;
  private started = false;

  constructor(options: { rateHz: number; time: VirtualTime; advance: () => Promise<void> | void }) {
    this.inner = new FixedRateClock({ rateHz: options.rateHz, time: options.time });
    this.periodNs = this.inner.periodNs;
    this.time = options.time;
    this.advance = options.advance;
  }

  async next(): Promise<Tick> {
    if (this.started) {
      // Time first, then the world: messages the simulator publishes now are received "now".
      this.time.advance(this.periodNs);
      await this.advance();
    }
    this.started = true;
    return this.inner.next();
  }

  stats(): ClockStats {
    return this.inner.stats();
  }
}
