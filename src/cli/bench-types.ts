// The benchmark contract: every issue's figures are one `BenchResult` row of `omniloop bench`.
// A bench file is test/bench/NAME.bench.ts exporting `benches: Bench[]`.

export interface BenchResult {
  name: string; // e.g. "pack.median"
  value: number;
  unit: string; // "us", "ms", "MB/s", "x realtime", "%", ...
  /** The target, as a human reads it: "<= 300", ">= 20". Absent for informative rows. */
  target?: string;
  met?: boolean;
  /** What limits the figure, or how it was measured, when that matters to read it. */
  note?: string;
}

export interface Bench {
  /** The name `--only` selects, e.g. "pack". */
  name: string;
  description: string;
  run(options: { quick: boolean; log: (line: string) => void }): Promise<BenchResult[]>;
}

/** A row with its target checked: `atMost(…)` for times, `atLeast(…)` for rates. */
export function atMost(name: string, value: number, unit: string, target: number, note?: string): BenchResult {
  return { name, value, unit, target: `<= ${target}`, met: value <= target, ...(note ? { note } : {}) };
}

export function atLeast(name: string, value: number, unit: string, target: number, note?: string): BenchResult {
  return { name, value, unit, target: `>= ${target}`, met: value >= target, ...(note ? { note } : {}) };
}

export function info(name: string, value: number, unit: string, note?: string): BenchResult {
  return { name, value, unit, ...(note ? { note } : {}) };
}
