// `omniloop bench`: runs every benchmark under test/bench (or `--only` some), prints a table of
// figures against their targets, or with --json an array of {name, value, unit, target, met}.
import type { Command } from "commander";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Bench, BenchResult } from "../bench-types.ts";
import { CliError } from "../errors.ts";
import { progress } from "../progress.ts";

const benchDir = join(dirname(fileURLToPath(import.meta.url)), "../../../test/bench");

export async function loadBenches(): Promise<Bench[]> {
  const files = readdirSync(benchDir).filter((f) => f.endsWith(".bench.ts")).sort();
  const all: Bench[] = [];
  for (const f of files) {
    const mod = (await import(join(benchDir, f))) as { benches?: Bench[] };
    if (!Array.isArray(mod.benches)) throw new Error(`test/bench/${f}: exports no benches array`);
    all.push(...mod.benches);
  }
  return all;
}

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

export function formatTable(rows: BenchResult[]): string {
  const cells = rows.map((r) => [
    r.name,
    `${formatValue(r.value)} ${r.unit}`,
    r.target ? `${r.target} ${r.unit}` : "",
    r.met === undefined ? "" : r.met ? "met" : "MISSED",
    r.note ?? "",
  ]);
  const head = ["bench", "value", "target", "", "note"];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

export function register(program: Command): void {
  program
    .command("bench")
    .description("run the benchmarks and print their figures against the issues' targets")
    .option("--only <names>", "comma-separated bench names to run (see --list)")
    .option("--list", "list the benches and exit")
    .option("--quick", "fewer iterations (a smoke run, not figures to quote)")
    .option("--json", "print an array of {name, value, unit, target, met} instead of a table")
    .option("--quiet", "no progress lines")
    .action(async (opts: { only?: string; list?: boolean; quick?: boolean; json?: boolean; quiet?: boolean }) => {
      const benches = await loadBenches();
      if (opts.list) {
        for (const b of benches) process.stdout.write(`${b.name.padEnd(16)} ${b.description}\n`);
        return;
      }
      let chosen = benches;
      if (opts.only) {
        const names = opts.only.split(",").map((s) => s.trim()).filter(Boolean);
        const unknown = names.filter((n) => !benches.some((b) => b.name === n));
        if (unknown.length) {
          throw new CliError(`--only: no bench named ${unknown.join(", ")}; known: ${benches.map((b) => b.name).join(", ")}`);
        }
        chosen = benches.filter((b) => names.includes(b.name));
      }
      // On a terminal a bar over the benches; otherwise (CI, logs) each bench's own lines.
      const tty = Boolean(process.stderr.isTTY);
      const log = (line: string) => {
        if (!opts.quiet && !tty) process.stderr.write(`[bench] ${line}\n`);
      };
      const bar = progress({ label: "bench", total: chosen.length, unit: "benches", quiet: Boolean(opts.quiet) || !tty });
      const rows: BenchResult[] = [];
      for (const b of chosen) {
        log(`${b.name}: ${b.description}`);
        rows.push(...(await b.run({ quick: Boolean(opts.quick), log })));
        bar.tick(1, b.name);
      }
      bar.stop();
      process.stdout.write(opts.json ? JSON.stringify(rows, null, 2) + "\n" : formatTable(rows) + "\n");
    });
}
