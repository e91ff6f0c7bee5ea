// `omniloop record --sim --expert --episodes N --out DIR`: the simulator's scripted expert, one MCAP
// per episode — every sensor message, the task command, the episode events (with the outcome)
// and the expert's commands, logged at sim time. Lockstep and seeded, so the same seeds give the
// same message streams.
// `omniloop record --sim --model CARD`: the model drives through the closed loop (DAgger): the log
// holds what the model sent, and beside it the expert's command for every state the model visited
// (EXPERT_LABEL_TOPIC), which the log's stored topic map names as the action the dataset learns.
// DART logs (--expert-noise) carry the same labels: the clean command, not the noisy one sent.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { ModelCard } from "../omnitoken/card-types.ts";
import { Sim } from "../../sim/lockstep.ts";
import { runExpertEpisode, taskOf } from "../../sim/episodes.ts";
import { isTask, type TaskName } from "../../sim/episode.ts";
import { ScriptedExpert } from "../../sim/expert.ts";
import type { SimCommand } from "../../sim/commands.ts";
import { topic } from "../bus/types.ts";
import { float64MultiArray } from "../messages/make.ts";
import type { Policy } from "../policy/types.ts";
import { runSimEpisode } from "../cli/sim-loop.ts";
import { LogError } from "./errors.ts";
import { META_TOPIC_MAP, stampToNs } from "./layout.ts";
import { Recorder } from "./recorder.ts";

/** The scripted expert's command for the state at each tick, in logs where something else drove
 * (the model, or the expert plus noise): the label a policy learns from. */
export const EXPERT_LABEL_TOPIC = topic("/omniloop/expert/commands", "std_msgs/msg/Float64MultiArray");
/** Stored in labelled logs: the dataset takes the action from the labels (other keys: defaults). */
const LABEL_MAP = JSON.stringify({ commands: [EXPERT_LABEL_TOPIC.name] });

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
    const labelled = (opts.noise ?? 0) > 0;
    if (labelled) recorder.metadata(META_TOPIC_MAP, { json: LABEL_MAP });
    const result = runExpertEpisode(sim, seed, t, {
      noise: opts.noise ?? 0,
      onTick(tick, commands, clean) {
        // Commands go first: they were sent at the start of the tick the sensors close.
        for (const c of commands) recorder.write(c.topic, c.message, stampToNs(c.stamp));
        if (labelled && clean && commands[0]) recorder.write(EXPERT_LABEL_TOPIC, float64MultiArray(clean), stampToNs(commands[0].stamp));
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

export interface PolicyRecordOptions extends Omit<SimRecordOptions, "noise"> {
  /** The model that drives (loaded by the caller, with its card's control rate). */
  policy: Policy;
}

/** DAgger data: the model drives each episode through the real closed loop in lockstep; every
 * sensor message and every command it sent is logged at sim time, and so is the scripted expert's
 * command for each state the model reached (EXPERT_LABEL_TOPIC). Failed episodes are kept: the
 * states a policy fails from are the point. */
export async function recordPolicyEpisodes(opts: PolicyRecordOptions): Promise<SimRecorded[]> {
  const task = opts.task ?? "all";
  if (task !== "all" && !isTask(task)) throw new SimRecordError(`--task: expected reach, push or all, found "${String(task)}"`);
  mkdirSync(opts.outDir, { recursive: true });
  const sim = await Sim.create({ controlRateHz: opts.policy.card.control_rate_hz });
  const expert = new ScriptedExpert(sim.arm);
  const topics = sim.config.topics;
  const out: SimRecorded[] = [];
  try {
    for (let i = 0; i < opts.episodes; i++) {
      const seed = opts.seed + i;
      const t = taskOf(task, i);
      const file = join(opts.outDir, `episode_${String(seed).padStart(5, "0")}_${t}.mcap`);
      const recorder = await Recorder.open({ out: file, card: opts.card, timer: false, config: { command: "record --sim --model", seed, task: t, model: opts.policy.card.name } });
      recorder.metadata(META_TOPIC_MAP, { json: LABEL_MAP });
      expert.reset();
      const writeCommand = (c: SimCommand, at: bigint): void => {
        if (c.type === "std_msgs/msg/Float64MultiArray") recorder.write(topics.forward, c.message, at);
        else if (c.type === "trajectory_msgs/msg/JointTrajectory") recorder.write(topics.trajectory, c.message, at);
        else recorder.write(topics.estop, c.message, at);
      };
      const result = await runSimEpisode(sim, seed, t, {
        policy: opts.policy,
        // Its "done" would end the episode before the states it fails in are reached and labelled.
        listen: false,
        onSimMessages(s, messages, commands) {
          if (messages.length === 0) {
            // Before a simulated tick: the commands the loop sent for this state, and the expert's.
            const at = stampToNs(s.stamp());
            for (const c of commands) writeCommand(c, at);
            recorder.write(EXPERT_LABEL_TOPIC, float64MultiArray(expert.act(s.truth())), at);
          }
          for (const m of messages) recorder.write(m.topic, m.message, stampToNs(m.stamp));
        },
      });
      recorder.metadata("omniloop.episode", {
        seed: String(seed),
        task: t,
        command: result.command,
        outcome: result.outcome,
        reason: result.reason ?? "",
        duration_s: String(result.duration_s),
        ticks: String(result.loop.ticks),
        model: opts.policy.card.name,
      });
      const r = recorder.close();
      out.push({ file, seed, task: t, outcome: result.outcome, messages: r.messages });
      opts.onEpisode?.(out[out.length - 1]!);
    }
  } finally {
    sim.close();
  }
  return out;
}
