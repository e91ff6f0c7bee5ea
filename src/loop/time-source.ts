// Where the loop's time comes from. Logic never reads the wall clock directly: a TimeSource is
// passed in, so tests drive the same code on virtual time.

export interface TimeSource {
  /** Monotonic time in nanoseconds. */
  now(): bigint;
  /** Resolve at (or just after) monotonic time `ns`. */
  sleepUntil(ns: bigint): Promise<void>;
}

/** How close to a deadline we stop sleeping on timers: Node's timers wake up to ~1 ms late, which
 * alone would blow a 1 ms jitter budget at 50 Hz. */
const FINE_WINDOW_NS = 2_000_000n;
/** Inside that window the thread blocks in slices this long (Atomics.wait, sub-ms precise) and
 * yields to the event loop between them, so sockets are still serviced near the deadline. */
const SLICE_NS = 250_000n;
/** The last stretch is a yield-spin: a blocking wait wakes ~70 µs late (Linux timer slack). */
const SPIN_NS = 150_000n;

/** Never notified: waiting on it is a plain sleep with a sub-millisecond timeout. */
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Resolves once monotonic time reaches `ns`. One promise and one closure per call; each pass
 * allocates only its setImmediate and a BigInt. A loop of `await new Promise(setImmediate)`
 * passes — hundreds per tick — was 80% of the loop's garbage and so of its scavenges. */
function fineWait(ns: bigint): Promise<void> {
  return new Promise<void>((resolve) => {
    const pass = (): void => {
      const left = ns - process.hrtime.bigint();
      if (left <= 0n) return resolve();
      if (left > SPIN_NS) {
        const block = left - SPIN_NS < SLICE_NS ? left - SPIN_NS : SLICE_NS;
        Atomics.wait(sleepCell, 0, 0, Number(block) / 1e6);
      }
      setImmediate(pass);
    };
    pass();
  });
}

/** The process's monotonic clock (hrtime): never jumps with NTP or a changed system time. */
export const monotonicTime: TimeSource = {
  now: () => process.hrtime.bigint(),
  async sleepUntil(ns: bigint): Promise<void> {
    const coarse = ns - FINE_WINDOW_NS - process.hrtime.bigint();
    if (coarse > 0n) await new Promise<void>((resolve) => setTimeout(resolve, Number(coarse / 1_000_000n)));
    await fineWait(ns);
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
