// The control loop asks the OS for a higher scheduling priority, as robot control loops do: on a
// machine also running the simulator or the drivers, a loop at the default priority wakes late
// whenever they hold the cores. Raising it needs privilege (root or CAP_SYS_NICE); without it the
// loop runs as before and says so.
import { getPriority, setPriority } from "node:os";

export interface PriorityResult {
  /** The process's nice value after the attempt (lower runs first; -20..19). */
  nice: number;
  raised: boolean;
  message: string;
}

/** Sets this process's nice value to `nice` (default -10) when it is higher than that. */
export function raiseLoopPriority(nice = -10): PriorityResult {
  if (!Number.isInteger(nice) || nice < -20 || nice > 19) throw new RangeError(`loop priority: expected a nice value -20..19, got ${nice}`);
  const before = getPriority();
  if (before <= nice) return { nice: before, raised: false, message: `loop priority: nice ${before} already` };
  try {
    setPriority(nice);
    return { nice, raised: true, message: `loop priority: nice ${before} → ${nice}` };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { nice: before, raised: false, message: `loop priority: stays at nice ${before}; raising it to ${nice} needs root or CAP_SYS_NICE (${why}), so ticks may wake late under load` };
  }
}
