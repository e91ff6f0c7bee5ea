// `omniloop sim` with a model driving (the default): the closed loop in the built-in simulator in
// lockstep, episode after episode, with a line per episode and a summary — success rates by task
// with their 95% confidence intervals, held ticks by reason, and the model's step latency.
import { existsSync } from "node:fs";
import { quantile } from "./stats.ts";
import { CliError } from "./errors.ts";
import { progress } from "./progress.ts";
import { runSimEpisode, type SimEpisodeOutcome } from "./sim-loop.ts";
import { ExpertTrace } from "./expert-trace.ts";
import { confirmDoneTicks } from "../loop/closed-loop.ts";
import { OnnxPolicy } from "../policy/onnx-policy.ts";
import { parseProvider } from "../policy/providers.ts";
import type { Bus } from "../bus/types.ts";

export const DEFAULT_MODEL = "models/reference/card.json";

export interface ModelRunOptions {
  model: string;
  provider: string;
  episodes: number;
  seed: number;
  task: "reach" | "push" | "all";
  dropFrames: number;
  chunk?: number;
  camera: { enabled: boolean; width?: number; height?: number };
  quiet: boolean;
  json: boolean;
  tap?: Bus;
  paceRealtime?: boolean;
  /** false: run each episode to the world's verdict or the timeout, whatever the model says. */
  listen?: boolean;
  /** Control ticks in a row the model must start speaking on before the loop listens. */
  confirmDone?: number;
  /** Seconds the loop runs on after a success, to see whether the model says it is done. */
  linger?: number;
  /** Write the last episode's camera frame and top-down trace to this PNG. */
  snapshot?: string;
  /** Write every tick's command beside the scripted expert's label for the same state (JSONL). */
  trace?: string;
}

export interface TaskSummary {
  episodes: number;
  successes: number;
  success_rate: number;
  /** Wilson score interval, 95%. */
  ci95: [number, number];
}

export interface ModelRunSummary {
  model: string;
  provider: string;
  episodes: number;
  successes: number;
  success_rate: number;
  by_task: Record<string, TaskSummary>;
  mean_episode_s: number;
  held_ticks: Record<string, number>;
  step_ms: { p50: number; p99: number };
  drop_frames: number;
  said_done: number;
  /** Of those, before the world's verdict: the episode ended unsolved on the model's word. */
  said_done_early: number;
  /** Ticks on which the model started to speak but had not yet on confirm_done ticks in a row. */
  unconfirmed_words: number;
  confirm_done_ticks: number;
  /** With --linger S: of the successes, how many the model called done within S s of the
   * world's verdict, and the median delay. */
  done_after_success?: { linger_s: number; said: number; of: number; median_s: number | null };
}

/** Wilson score interval: honest at small n and near 0 or 1, unlike the normal approximation. */
export function wilson(successes: number, n: number, z = 1.96): [number, number] {
  if (n === 0) return [0, 1];
  const p = successes / n;
  const d = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / d;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

export function summarise(results: SimEpisodeOutcome[], model: string, provider: string, dropFrames: number, confirmDone = 1, linger = 0): ModelRunSummary {
  const byTask: Record<string, TaskSummary> = {};
  for (const task of [...new Set(results.map((r) => r.task))].sort()) {
    const rs = results.filter((r) => r.task === task);
    const ok = rs.filter((r) => r.success).length;
    byTask[task] = { episodes: rs.length, successes: ok, success_rate: ok / rs.length, ci95: wilson(ok, rs.length) };
  }
  const held: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.loop.holds)) held[k] = (held[k] ?? 0) + v;
  const steps = results.flatMap((r) => r.loop.stepMs);
  const ok = results.filter((r) => r.success).length;
  return {
    model,
    provider,
    episodes: results.length,
    successes: ok,
    success_rate: results.length ? ok / results.length : 0,
    by_task: byTask,
    mean_episode_s: results.reduce((a, r) => a + r.duration_s, 0) / Math.max(1, results.length),
    held_ticks: held,
    step_ms: { p50: quantile(steps, 0.5), p99: quantile(steps, 0.99) },
    drop_frames: dropFrames,
    said_done: results.filter((r) => r.loop.end === "model_done").length,
    said_done_early: results.filter((r) => r.outcome === "said_done_early").length,
    unconfirmed_words: results.reduce((a, r) => a + r.loop.unconfirmedWords, 0),
    confirm_done_ticks: confirmDone,
    ...(linger > 0 ? { done_after_success: doneAfterSuccess(results, linger) } : {}),
  };
}

function doneAfterSuccess(results: SimEpisodeOutcome[], linger: number): NonNullable<ModelRunSummary["done_after_success"]> {
  const delays = results.filter((r) => r.success && r.doneAfterS !== null).map((r) => r.doneAfterS!);
  const of = results.filter((r) => r.success).length;
  return { linger_s: linger, said: delays.length, of, median_s: delays.length ? quantile(delays, 0.5) : null };
}

export async function runModelEpisodes(o: ModelRunOptions): Promise<ModelRunSummary> {
  if (!existsSync(o.model)) {
    throw new CliError(
      o.model === DEFAULT_MODEL
        ? `sim: no shipped model at ${DEFAULT_MODEL}; train one (models/README.md) or pass --model CARD.json, or run the scripted expert with --expert`
        : `sim: --model ${o.model}: no such card`,
    );
  }
  const log = (line: string) => process.stderr.write(`sim: ${line}\n`);
  const policy = await OnnxPolicy.load({ card: o.model, provider: parseProvider(o.provider), log });
  const confirmDone = confirmDoneTicks(policy.card, o.confirmDone);
  const { Sim } = await import("../../sim/lockstep.ts");
  const { taskOf } = await import("../../sim/episodes.ts");
  const sim = await Sim.create({ camera: o.camera, controlRateHz: policy.card.control_rate_hz });
  const out = (line: string) => (o.json ? process.stderr : process.stdout).write(line + "\n");
  const bar = progress({ label: "sim", total: o.episodes, unit: "episodes", quiet: o.quiet || o.episodes < 5 });
  const results: SimEpisodeOutcome[] = [];
  const { traceTick, writeSnapshot } = await import("../../sim/snapshot.ts");
  const expertTrace = o.trace ? new ExpertTrace(o.trace, () => policy.speakProbability()) : null;
  for (let i = 0; i < o.episodes; i++) {
    const trace = { tip: [], block: [] };
    const last = i === o.episodes - 1 && o.snapshot;
    const onTick = (s: typeof sim) => {
      if (last) traceTick(s, trace);
      expertTrace?.onTick(s);
    };
    const r = await runSimEpisode(sim, o.seed + i, taskOf(o.task, i), {
      ...(last || expertTrace ? { onTick } : {}),
      ...(expertTrace ? { onCommands: expertTrace.onCommands } : {}),
      policy,
      dropFrames: o.dropFrames,
      ...(o.chunk ? { chunkHorizon: o.chunk } : {}),
      ...(o.tap ? { tap: o.tap } : {}),
      paceRealtime: Boolean(o.paceRealtime),
      ...(o.listen === false ? { listen: false } : {}),
      confirmDone,
      ...(o.linger ? { linger: o.linger } : {}),
    });
    results.push(r);
    expertTrace?.endEpisode(r.outcome, r.duration_s);
    if (last) writeSnapshot(o.snapshot!, sim, trace);
    const holds = Object.entries(r.loop.holds).map(([k, v]) => `${k} ${v}`).join(", ");
    if (!o.quiet) {
      out(
        `episode ${i + 1}/${o.episodes}  seed ${r.seed}  ${r.task}  "${r.command}": ${r.outcome} in ${r.duration_s.toFixed(1)} s` +
          `${r.loop.said.length ? `, said ${quoteSaid(r.loop.said)}` : ""}${r.doneAfterS !== null ? ` ${r.doneAfterS.toFixed(1)} s after` : ""}${holds ? `; held: ${holds}` : ""}`,
      );
    }
    bar.tick(1, r.outcome);
  }
  bar.stop();
  expertTrace?.close();
  sim.close();
  await policy.close();
  return summarise(results, o.model, policy.provider, o.dropFrames, confirmDone, o.linger ?? 0);
}

/** What the model said, quoted and escaped, cut short: an untrained model can babble for pages. */
function quoteSaid(said: string[]): string {
  const all = JSON.stringify(said.join(" / "));
  return all.length > 64 ? `${all.slice(0, 60)}…" (${said.length} utterances)` : all;
}

export function formatSummary(s: ModelRunSummary): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const rows = Object.entries(s.by_task).map(
    ([t, v]) => `  ${t.padEnd(6)} ${String(v.successes).padStart(4)}/${String(v.episodes).padEnd(4)} ${pct(v.success_rate).padStart(6)}  95% CI [${pct(v.ci95[0])}, ${pct(v.ci95[1])}]`,
  );
  const held = Object.entries(s.held_ticks).map(([k, v]) => `${k} ${v}`).join(", ") || "none";
  return [
    `model ${s.model} on ${s.provider}${s.drop_frames ? `, ${pct(s.drop_frames)} of camera frames dropped` : ""}`,
    `  task   success        rate`,
    ...rows,
    `  all    ${String(s.successes).padStart(4)}/${String(s.episodes).padEnd(4)} ${pct(s.success_rate).padStart(6)}`,
    `mean episode ${s.mean_episode_s.toFixed(2)} s; model said done in ${s.said_done} (${s.said_done_early} before the world's verdict)${s.unconfirmed_words ? `; ${s.unconfirmed_words} starts not yet confirmed, confirm-done ${s.confirm_done_ticks}` : ""}; held ticks: ${held}`,
    ...(s.done_after_success
      ? [`model said done within ${s.done_after_success.linger_s} s of the world's success in ${s.done_after_success.said}/${s.done_after_success.of}` +
          (s.done_after_success.median_s !== null ? ` (median ${s.done_after_success.median_s.toFixed(2)} s after)` : "")]
      : []),
    `model step p50 ${s.step_ms.p50.toFixed(2)} ms, p99 ${s.step_ms.p99.toFixed(2)} ms`,
  ].join("\n");
}
