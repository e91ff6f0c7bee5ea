import assert from "node:assert/strict";
import { test } from "node:test";
import { latencySummary } from "../../src/view/report/latency.ts";
import { successRates, wilson } from "../../src/view/report/rates.ts";
import type { EpisodeReport } from "../../src/view/report/types.ts";

const close = (a: number, b: number, tol = 5e-4) => assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`);

test("Wilson 95% interval: known values", () => {
  // Reference values: Wilson score interval, z = 1.96 (e.g. statsmodels proportion_confint method="wilson").
  let w = wilson(5, 5);
  close(w.low, 0.5655); close(w.high, 1);
  w = wilson(0, 10);
  close(w.low, 0); close(w.high, 0.2775);
  w = wilson(7, 10);
  close(w.low, 0.3968); close(w.high, 0.8922);
  assert.deepEqual(wilson(0, 0), { low: 0, high: 1 });
});

test("success rates by model and task, with an 'all' row for a model that ran several tasks", () => {
  const ep = (model: string, task: string, outcome: string) => ({ model, task, outcome }) as EpisodeReport;
  const rows = successRates([ep("m", "reach", "success"), ep("m", "reach", "timeout"), ep("m", "push", "success"), ep("n", "reach", "success")]);
  const row = (model: string, task: string) => rows.find((r) => r.model === model && r.task === task)!;
  assert.equal(row("m", "reach").rate, 0.5);
  assert.equal(row("m", "all").episodes, 3);
  assert.equal(row("m", "all").successes, 2);
  assert.equal(row("n", "reach").episodes, 1);
  assert.equal(rows.find((r) => r.model === "n" && r.task === "all"), undefined);
});

test("latency summary: p50/p99 and a histogram whose bins hold every sample", () => {
  const ms = Array.from({ length: 1000 }, (_, i) => 10 + (i % 100) / 10); // 10.0 … 19.9 ms
  const s = latencySummary(ms)!;
  close(s.p50, 14.95, 0.06);
  close(s.p99, 19.8, 0.02); // 990 of 1000 samples are ≤ 19.8
  assert.equal(s.counts.reduce((a, b) => a + b, 0), 1000);
  assert.equal(s.edges.length, s.counts.length + 1);
  assert.ok(s.edges[0]! <= 10 && s.edges.at(-1)! >= 19.9);
  assert.equal(latencySummary([]), null);
  assert.equal(latencySummary([3, 3, 3])!.counts.reduce((a, b) => a + b, 0), 3);
});
