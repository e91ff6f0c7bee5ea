// The GPU path (issue "The GPU path"): the one-token step with KV cache and the 64-token command
// prefill, for the shipped model and a ~100 M-parameter configuration of the same architecture,
// through onnxruntime-node on webgpu, cuda (where its libraries are installed) and cpu, beside
// PyTorch on the same GPU (eager, and replayed from a CUDA graph), same weights, same inputs.
// docs/PERFORMANCE.md has the table, the machine and the commands. Without an NVIDIA GPU (CI) the
// bench says so and skips.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { atMost, info, type Bench, type BenchResult } from "../../src/cli/bench-types.ts";
import type { ProviderName } from "../../src/policy/providers.ts";
import { dispatchRow, formatRows, onnxRows, runtimeName, torchRows, withRatios, type GpuRow, type RowConfig, type TorchFile } from "./gpu-onnx.ts";

/** WebGPU provider settings measured side by side (onnxruntime's session config entries). */
export const WEBGPU_VARIANTS: RowConfig[] = [
  {
    label: "no validation, no robustness",
    entries: { "ep.webgpuexecutionprovider.validationMode": "disabled", "ep.webgpuexecutionprovider.enableRobustness": "0" },
  },
  // The same settings again, and the defaults again: how far apart two runs of one setting land.
  { label: "defaults, second run", entries: {} },
  {
    label: "no validation, no robustness, second run",
    entries: { "ep.webgpuexecutionprovider.validationMode": "disabled", "ep.webgpuexecutionprovider.enableRobustness": "0" },
  },
  { label: "no validation", entries: { "ep.webgpuexecutionprovider.validationMode": "disabled" } },
];

export interface GpuBenchOptions {
  /** The folder `bench_gpu.py layout` wrote; made in a temporary folder when absent. */
  models?: string;
  /** The folder `bench_gpu.py prepare` wrote; made when absent. */
  prepared?: string;
  providers?: ProviderName[];
  python?: string;
  /** Where to write the Markdown table and the rows as JSON (`.md`, `.json` beside each other). */
  out?: string;
  /** Where to write onnxruntime's profiles (one per model and provider); none when absent. */
  profileDir?: string;
  /** Also measure WEBGPU_VARIANTS. */
  variants?: boolean;
  /** Also measure webgpu reading back only the action output, twice, beside all outputs again. */
  readback?: boolean;
  log: (line: string) => void;
}

/** Why there is no GPU to measure on, or undefined when `nvidia-smi` lists one. */
export function noGpuReason(): string | undefined {
  const r = spawnSync("nvidia-smi", ["-L"], { encoding: "utf8" });
  if (r.error) return `nvidia-smi not found (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}): no NVIDIA driver on this machine`;
  if (r.status !== 0 || !/GPU \d+:/.test(r.stdout)) return `nvidia-smi lists no GPU (${(r.stderr || r.stdout).trim().split("\n")[0]})`;
  return undefined;
}

function python(py: string, args: string[], log: (l: string) => void): void {
  log(`${py} ${args.join(" ")}`);
  const r = spawnSync(py, args, { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, PYTHONUNBUFFERED: "1" } });
  if (r.error) throw new Error(`${py}: ${r.error.message} (set OMNILOOP_PYTHON to a Python with torch and onnx)`);
  if (r.status !== 0) throw new Error(`${py} ${args[0]} ${args[1]} failed with exit status ${r.status}`);
}

export async function runGpuBench(o: GpuBenchOptions): Promise<{ rows: GpuRow[]; torch: TorchFile }> {
  const py = o.python ?? process.env.OMNILOOP_PYTHON ?? "python3";
  const script = resolve("models/bench_gpu.py");
  const models = o.models ?? join(mkdtempSync(join(tmpdir(), "omniloop-gpu-")), "models");
  if (!existsSync(join(models, "shipped.map.json"))) python(py, [script, "layout", "--out", models], o.log);
  const prepared = o.prepared ?? join(mkdtempSync(join(tmpdir(), "omniloop-gpu-")), "prepared");
  if (!existsSync(join(prepared, "torch.json"))) python(py, [script, "prepare", "--models", models, "--out", prepared], o.log);
  const torch = JSON.parse(readFileSync(join(prepared, "torch.json"), "utf8")) as TorchFile;
  const rows: GpuRow[] = torchRows(torch);
  const providers = o.providers ?? (["webgpu", "cuda", "cpu"] as ProviderName[]);
  // Every model through onnxruntime with these settings; a provider that cannot start is a row
  // saying why, not an end to the bench.
  const measure = async (provider: ProviderName, extra: Pick<Parameters<typeof onnxRows>[0], "config" | "hostOutputs" | "profileDir">) => {
    for (const [model, m] of Object.entries(torch.models)) {
      const runtime = runtimeName(provider, extra.config, extra.hostOutputs);
      try {
        rows.push(...(await onnxRows({ prepared, model, onnx: m.onnx, provider, prefillRepeats: 50, log: o.log, ...extra })));
      } catch (err) {
        const why = (err instanceof Error ? err.message : String(err)).split("\n")[0]!;
        o.log(`${model} on ${runtime}: not measured: ${why}`);
        rows.push({ model, what: "step", runtime, p50_ms: NaN, p99_ms: NaN, n: 0, note: `not measured: ${why}` });
      }
    }
  };
  for (const provider of providers) await measure(provider, o.profileDir ? { profileDir: o.profileDir } : {});
  if (providers.includes("webgpu")) {
    if (o.variants) for (const config of WEBGPU_VARIANTS) await measure("webgpu", { config });
    if (o.readback) {
      // Only the action output read back, then all of them again, then the action alone again.
      for (const extra of [{ hostOutputs: ["action_out"] }, { config: { label: "again", entries: {} } }, { hostOutputs: ["action_out"] }]) {
        await measure("webgpu", extra);
      }
    }
  }
  // What one kernel costs each provider, with no work in it (chain.onnx from `layout`).
  if (existsSync(join(models, "chain.onnx"))) {
    const configs = [undefined, ...(o.variants ? WEBGPU_VARIANTS : [])];
    for (const provider of providers) {
      for (const config of provider === "webgpu" ? configs : [undefined]) {
        try {
          rows.push(await dispatchRow(join(models, "chain.onnx"), provider, o.log, config));
        } catch (err) {
          o.log(`chain on ${provider}: not measured: ${(err instanceof Error ? err.message : String(err)).split("\n")[0]}`);
        }
      }
    }
  }
  const done = withRatios(rows);
  if (o.out) {
    const head = `${torch.device}; PyTorch ${torch.torch}; ${new Date().toISOString().slice(0, 10)}\n\n`;
    const notes = done.filter((r) => r.note).map((r) => `- ${r.model} ${r.what}, ${r.runtime}: ${r.note}`).join("\n");
    const ceil = torch.ceilings ? `\nCeilings: ${Object.entries(torch.ceilings).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(", ")}\n` : "";
    writeFileSync(`${o.out}.md`, head + formatRows(done) + "\n" + (notes ? `\n${notes}\n` : "") + ceil);
    writeFileSync(`${o.out}.json`, JSON.stringify({ device: torch.device, torch: torch.torch, rows: done }, null, 1) + "\n");
  }
  return { rows: done, torch };
}

/** The issue's two targets, from the rows. */
export function targetRows(rows: GpuRow[]): BenchResult[] {
  const out: BenchResult[] = [];
  const large = rows.find((r) => r.model === "large" && r.what === "step" && r.runtime === "onnxruntime-node webgpu");
  if (large && Number.isFinite(large.p50_ms) && large.vs_eager !== undefined) {
    out.push(atMost("gpu.large.step.webgpu_over_eager", large.vs_eager, "x", 1.5, `p50 ${large.p50_ms.toFixed(3)} ms; rel err ${large.rel_err?.toExponential(1)}`));
  }
  const shipped = rows
    .filter((r) => r.model === "shipped" && r.what === "step" && r.runtime.startsWith("onnxruntime-node") && !r.runtime.endsWith("cpu") && Number.isFinite(r.p99_ms))
    .sort((a, b) => a.p99_ms - b.p99_ms)[0];
  if (shipped) out.push(atMost("gpu.shipped.step.p99", shipped.p99_ms, "ms", 2, `${shipped.runtime}, p50 ${shipped.p50_ms.toFixed(3)} ms`));
  return out;
}

export const benches: Bench[] = [
  {
    name: "gpu",
    description: "one-token step and 64-token prefill on an NVIDIA GPU: onnxruntime-node webgpu/cuda/cpu vs PyTorch, same weights",
    async run({ log }) {
      const why = noGpuReason();
      if (why) return [info("gpu", NaN, "ms", `skipped: ${why}; docs/PERFORMANCE.md has the figures measured on an H200`)];
      const { rows } = await runGpuBench({ log, out: "gpu-bench" });
      log(`\n${formatRows(rows)}`);
      const res: BenchResult[] = rows
        .filter((r) => Number.isFinite(r.p50_ms))
        .map((r) => info(`gpu.${r.model}.${r.what}.${r.runtime.replace(/^onnxruntime-node /, "ort-").replace(/^PyTorch /, "torch-").replace(/ /g, "_")}.p50`, r.p50_ms, "ms",
          `p99 ${r.p99_ms.toFixed(3)} ms${r.vs_eager !== undefined ? `, ${r.vs_eager.toFixed(2)}x eager` : ""}${r.rel_err !== undefined ? `, rel err ${r.rel_err.toExponential(1)}` : ""}`));
      return [...res, ...targetRows(rows)];
    },
  },
];
