// The control loop asks the OS for a higher scheduling priority, as robot control loops do: on a
// machine also running the simulator or the drivers, a loop at the default priority wakes late
// whenever they hold the cores. Raising it needs privilege (root or CAP_SYS_NICE); without it the
// loop runs as before and says so.
import { spawnSync } from "node:child_process";
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

export interface RealtimeResult {
  /** Whether the loop's thread now runs under SCHED_FIFO. */
  realtime: boolean;
  message: string;
}

/** Puts the loop's thread (the JavaScript thread: its id is the process id) under the real-time
 * scheduler SCHED_FIFO at `priority` (1..99), as ROS 2 real-time guides do for control threads: a
 * FIFO thread preempts every ordinary one the moment its timer fires. Done with util-linux `chrt`
 * (Node has no sched_setscheduler); needs root, CAP_SYS_NICE or an rtprio limit. The kernel's RT
 * throttling (sched_rt_runtime_us) still leaves ordinary threads their share. Without the
 * privilege or `chrt`, the loop keeps its nice value and says why. */
export function requestRealtimeScheduling(priority = 20, chrt = "chrt"): RealtimeResult {
  if (!Number.isInteger(priority) || priority < 1 || priority > 99) throw new RangeError(`loop real-time priority: expected 1..99, got ${priority}`);
  if (process.platform !== "linux") return { realtime: false, message: `loop scheduling: SCHED_FIFO is Linux-only; stays at the default policy on ${process.platform}` };
  const r = spawnSync(chrt, ["-f", "-p", String(priority), String(process.pid)], { encoding: "utf8" });
  if (r.error) return { realtime: false, message: `loop scheduling: stays at the default policy; ${chrt} could not run (${r.error.message})` };
  if (r.status !== 0) {
    const why = (r.stderr || r.stdout || `exit ${r.status}`).trim();
    return { realtime: false, message: `loop scheduling: stays at the default policy; SCHED_FIFO needs root, CAP_SYS_NICE or an rtprio limit (${why})` };
  }
  return { realtime: true, message: `loop scheduling: SCHED_FIFO priority ${priority} on the loop thread` };
}
