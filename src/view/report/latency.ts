// The policy step's latency as the report shows it: p50 / p99 and a histogram with bins a person
// can read (a round bin width, about 30 bins over the observed range).
import { quantile } from "../../cli/stats.ts";

export interface LatencySummary {
  n: number;
  p50: number;
  p99: number;
  max: number;
  /** Bin i covers [edges[i], edges[i+1]) ms; the last bin includes its right edge. */
  edges: number[];
  counts: number[];
}

/** A "nice" width (1, 2 or 5 × 10^k) near span / bins. */
function niceWidth(span: number, bins: number): number {
  const raw = span / bins;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((w) => w >= raw) ?? 10 * p;
}

export function latencySummary(ms: readonly number[], bins = 30): LatencySummary | null {
  const xs = ms.filter((x) => Number.isFinite(x) && x >= 0);
  if (xs.length === 0) return null;
  const min = Math.min(...xs);
  const max = Math.max(...xs);
  const width = max > min ? niceWidth(max - min, bins) : Math.max(0.01, max * 0.05 || 0.01);
  const start = Math.floor(min / width) * width;
  const n = Math.max(1, Math.floor((max - start) / width) + 1);
  const counts = new Array<number>(n).fill(0);
  for (const x of xs) counts[Math.min(n - 1, Math.floor((x - start) / width))]! += 1;
  const edges = Array.from({ length: n + 1 }, (_, i) => +(start + i * width).toPrecision(12));
  return { n: xs.length, p50: quantile(xs, 0.5), p99: quantile(xs, 0.99), max, edges, counts };
}
