// Where the loop's time comes from. Logic never reads the wall clock directly: a TimeSource is
// passed in, so tests drive the same code on virtual time.

export interface TimeSource {
  /** Monotonic time in nanoseconds. */
  now(): bigint;
  /** Resolve at (or just after) monotonic time `ns`. */
  sleepUntil(ns: bigint): Promise<void>;
}

/** How close to a deadline we stop sleeping on timers and yield-spin instead: Node's timers wake
 * up to ~1 ms late, which alone would blow a 1 ms jitter budget at 50 Hz. */
const SPIN_WINDOW_NS = 2_000_000n;

const yieldOnce = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The process's monotonic clock (hrtime): never jumps with NTP or a changed system time. */
export const monotonicTime: TimeSource = {
  now: () => process.hrtime.bigint(),
  async sleepUntil(ns: bigint): Promise<void> {
    const coarse = ns - SPIN_WINDOW_NS - process.hrtime.bigint();
    if (coarse > 0n) await new Promise<void>((resolve) => setTimeout(resolve, Number(coarse / 1_000_000n)));
    // Yield between checks (not a blocking spin) so sockets keep being serviced near the deadline.
    while (process.hrtime.bigint() < ns) await yieldOnce();
  },
};

/** Virtual time for tests and lockstep simulation: sleeping just advances the clock. */
export class VirtualTime implements TimeSource {
  private t: bigint;
  constructor(startNs = 0n) {
    this.t = startNs;
  }
  now(): bigint {
    return this.t;
  }
  /** Move time forward, e.g. to model a step that took `ns`. */
  advance(ns: bigint): void {
    this.t += ns;
  }
  async sleepUntil(ns: bigint): Promise<void> {
    if (ns > this.t) this.t = ns;
  }
}
