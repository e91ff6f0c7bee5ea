// Success rate by model and task, with the Wilson score 95% interval: honest at the small episode
// counts an evaluation run has (the normal approximation gives [1, 1] for 5 of 5).
import type { EpisodeReport, RateRow } from "./types.ts";

const Z95 = 1.959963984540054;

/** Wilson score interval of `successes` out of `n` at `z` (default 95%). [0, 1] when n is 0. */
export function wilson(successes: number, n: number, z = Z95): { low: number; high: number } {
  if (n <= 0) return { low: 0, high: 1 };
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** One row per model × task, plus a model's "all" row when it ran several tasks. */
export function successRates(episodes: readonly EpisodeReport[]): RateRow[] {
  const groups = new Map<string, { model: string; task: string; s: number; n: number }>();
  const add = (model: string, task: string, ok: boolean) => {
    const key = `${model}\u0000${task}`;
    const g = groups.get(key) ?? { model, task, s: 0, n: 0 };
    g.n += 1;
    if (ok) g.s += 1;
    groups.set(key, g);
  };
  for (const e of episodes) add(e.model, e.task, e.outcome === "success");
  const models = new Set(episodes.map((e) => e.model));
  for (const m of models) {
    const tasks = new Set(episodes.filter((e) => e.model === m).map((e) => e.task));
    if (tasks.size > 1) for (const e of episodes.filter((x) => x.model === m)) add(m, "all", e.outcome === "success");
  }
  return [...groups.values()].map((g) => ({ model: g.model, task: g.task, successes: g.s, episodes: g.n, rate: g.n ? g.s / g.n : 0, ...wilson(g.s, g.n) }));
}
