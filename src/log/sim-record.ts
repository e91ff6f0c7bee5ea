// `omniloop record --sim --expert --episodes N --out DIR`: the simulator's scripted expert, one MCAP
// per episode — every sensor message, the task command, the episode events (with the outcome)
// and the expert's commands, logged at sim time. Lockstep and seeded, so the same seeds give the
// same message streams.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { ModelCard } from "../omnitoken/card-types.ts";
import { Sim } from "../../sim/lockstep.ts";
import { runExpertEpisode, taskOf } from "../../sim/episodes.ts";
import { isTask, type TaskName } from "../../sim/episode.ts";
import { LogError } from "./errors.ts";
import { stampToNs } from "./layout.ts";
import { Recorder } from "./recorder.ts";

export interface SimRecordOptions {
  episodes: number;
  /** The first episode's seed; episode i uses seed + i. */
  seed: number;
  task?: TaskName | "all";
  outDir: string;
  card?: ModelCard;
  /** DART noise injection in per-tick step caps (sim/episodes.ts); 0 or absent: the clean expert. */
  noise?: number;
  /** Called after each episode's log is closed (progress). */
  onEpisode?: (r: SimRecorded) => void;
}

export interface SimRecorded {
  file: string;
  seed: number;
  task: TaskName;
  outcome: string;
  messages: number;
}

export class SimRecordError extends LogError {}

export async function recordExpertEpisodes(opts: SimRecordOptions): Promise<SimRecorded[]> {
  const task = opts.task ?? "all";
  if (task !== "all" && !isTask(task)) throw new SimRecordError(`--task: expected reach, push or all, found "${String(task)}"`);
  mkdirSync(opts.outDir, { recursive: true });
  const sim = await Sim.create();
  const out: SimRecorded[] = [];
  for (let i = 0; i < opts.episodes; i++) {
    const seed = opts.seed + i;
    const t = taskOf(task, i);
    const file = join(opts.outDir, `episode_${String(seed).padStart(5, "0")}_${t}.mcap`);
    const recorder = await Recorder.open({ out: file, card: opts.card, timer: false, config: { command: "record --sim --expert", seed, task: t, expert_noise: opts.noise ?? 0 } });
    const result = runExpertEpisode(sim, seed, t, {
      noise: opts.noise ?? 0,
      onTick(tick, commands) {
        // Commands go first: they were sent at the start of the tick the sensors close.
        for (const c of commands) recorder.write(c.topic, c.message, stampToNs(c.stamp));
        for (const m of tick.messages) recorder.write(m.topic, m.message, stampToNs(m.stamp));
      },
    });
    recorder.metadata("omniloop.episode", {
      seed: String(seed),
      task: t,
      command: result.command,
      outcome: result.outcome,
      reason: result.reason,
      duration_s: String(result.duration_s),
      ticks: String(result.ticks),
      expert_noise: String(opts.noise ?? 0),
    });
    const r = recorder.close();
    out.push({ file, seed, task: t, outcome: result.outcome, messages: r.messages });
    opts.onEpisode?.(out[out.length - 1]!);
  }
  return out;
}
