// Whole episodes for recorders, tests, benchmarks and the CLI: run the scripted expert in lockstep
// over a seed and task, hand each tick's messages (and the commands sent) to a callback, and
// return the outcome. The recorder logs episodes through this without knowing any physics.
import { float64MultiArray } from "../src/messages/make.ts";
import type { EpisodeSpec, TaskName } from "./episode.ts";
import { ScriptedExpert } from "./expert.ts";
import { JOINT_STEP } from "./motion.ts";
import { Rng } from "./prng.ts";
import { Sim, type SimMessage, type SimTick } from "./lockstep.ts";
import type { Outcome } from "./tasks.ts";

export interface EpisodeResult {
  seed: number;
  task: TaskName;
  command: string;
  outcome: Outcome;
  reason: string;
  /** Episode time at the end (s) and control ticks run. */
  duration_s: number;
  ticks: number;
  /** Times the expert lost the block and went round again. */
  retries: number;
}

export interface RunEpisodeOptions {
  /** Called with tick 0 (reset) and every tick after; `commands` are the messages the expert sent
   * at the start of that tick (empty for tick 0), on the sim's command topic; with noise, `clean`
   * is the command the expert chose before the noise was added. */
  onTick?: (tick: SimTick, commands: SimMessage[], clean?: Float64Array) => void;
  /** Ticks to keep simulating after the outcome, e.g. to log the arm retracting (default 0). */
  afterTicks?: number;
  /** DART-style noise injection (0 = none): each command sent is the expert's plus Gaussian noise of
   * this many per-tick step caps (JOINT_STEP) per joint, clamped to the joint limits, drawn from
   * the seed's own "expert-noise" stream. The expert then corrects from states it would never
   * visit on its own: the recoveries a cloned policy needs. The command logged is the one sent. */
  noise?: number;
}

export class ExpertNoiseError extends RangeError {}

/** Runs one expert episode on `sim` (reset to `seed`, `task`). */
export function runExpertEpisode(sim: Sim, seed: number, task: TaskName, options: RunEpisodeOptions = {}): EpisodeResult {
  const noise = options.noise ?? 0;
  if (!(noise >= 0 && noise <= 2)) throw new ExpertNoiseError(`expert noise: expected 0..2 step caps, found ${noise}`);
  const expert = new ScriptedExpert(sim.arm);
  const rng = new Rng(seed, "expert-noise");
  let tick = sim.reset(seed, task);
  options.onTick?.(tick, []);
  let after = options.afterTicks ?? 0;
  while (tick.status.outcome === null || after-- > 0) {
    const q = expert.act(sim.truth());
    const clean = noise > 0 ? Float64Array.from(q) : q;
    if (noise > 0) {
      sim.arm.joints.forEach((j, i) => {
        q[i] = Math.min(j.upper, Math.max(j.lower, q[i]! + noise * JOINT_STEP[i]! * rng.normal()));
      });
    }
    const command: SimMessage = { topic: sim.config.topics.forward, message: float64MultiArray(q), stamp: sim.stamp() };
    tick = sim.step([{ type: "std_msgs/msg/Float64MultiArray", message: command.message }]);
    options.onTick?.(tick, [command], clean);
  }
  const s = tick.status;
  return {
    seed,
    task,
    command: s.command,
    outcome: s.outcome!,
    reason: s.reason!,
    duration_s: s.time,
    ticks: s.tick,
    retries: expert.retries,
  };
}

export interface Summary {
  episodes: number;
  successes: number;
  success_rate: number;
  by_task: Partial<Record<TaskName, { episodes: number; successes: number; success_rate: number; mean_episode_s: number }>>;
  mean_episode_s: number;
}

export function summarize(results: readonly EpisodeResult[]): Summary {
  const rate = (rs: readonly EpisodeResult[]) => {
    const successes = rs.filter((r) => r.outcome === "success").length;
    const mean = rs.length ? rs.reduce((a, r) => a + r.duration_s, 0) / rs.length : 0;
    return { episodes: rs.length, successes, success_rate: rs.length ? successes / rs.length : 0, mean_episode_s: mean };
  };
  const by_task: Summary["by_task"] = {};
  for (const task of new Set(results.map((r) => r.task))) by_task[task] = rate(results.filter((r) => r.task === task));
  const all = rate(results);
  return { episodes: all.episodes, successes: all.successes, success_rate: all.success_rate, by_task, mean_episode_s: all.mean_episode_s };
}

/** The task of the i-th episode: the given one, or alternating reach/push for "all". */
export function taskOf(task: TaskName | "all", i: number): TaskName {
  return task === "all" ? (i % 2 === 0 ? "reach" : "push") : task;
}

export type { EpisodeSpec };
