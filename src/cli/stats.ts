// Order statistics for benchmark and latency figures.

/** The q-quantile (0..1) of `values` by linear interpolation; NaN for an empty list. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const n = values.length;
  if (n === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const pos = (n - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export const median = (values: ArrayLike<number>): number => quantile(values, 0.5);

/** Times `fn` `iterations` times after `warmup` calls; returns each call's duration in µs. */
export function timeCalls(fn: () => void, iterations: number, warmup = Math.min(100, iterations)): Float64Array {
  for (let i = 0; i < warmup; i++) fn();
  const out = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    out[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  return out;
}
