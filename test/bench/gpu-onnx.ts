// The ONNX Runtime side of the GPU benchmark (docs/PERFORMANCE.md): reads what
// `models/bench_gpu.py prepare` wrote (inputs, PyTorch's fp32 outputs and timings), runs the same
// prefill and one-token steps through onnxruntime-node on each execution provider, and returns
// p50/p99 per row, the ratio to PyTorch eager, and how far the outputs are from PyTorch's.
// The session is opened as the runtime opens it (src/policy/providers.ts): the KV cache outputs stay
// on the GPU between steps where the provider allows, and the column outputs come to the host each
// step, because the loop needs them there.
import ort from "onnxruntime-node";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { quantile } from "../../src/cli/stats.ts";
import { openSession, type ProviderName } from "../../src/policy/providers.ts";

interface TensorEntry {
  file: string;
  dtype: "float32" | "int64";
  shape: number[];
}

interface IoFile {
  model: string;
  prefill: number;
  steps: number;
  inputs: string[];
  outputs: string[];
  columns: number;
  params: number;
  kv: [number, number]; // heads, head_dim

  tensors: Record<string, TensorEntry>;
}

export interface TorchFile {
  torch: string;
  device: string;
  /** Copy bandwidth, eager launch cost, time to read each model's weights once (bench_gpu.py). */
  ceilings?: Record<string, number>;
  models: Record<string, { onnx: string; params: number; rows: Record<string, { p50_ms: number; p99_ms: number; n: number; max_abs_vs_eager?: number }> }>;
}

export interface GpuRow {
  model: string;
  what: "prefill" | "step";
  runtime: string; // "onnxruntime-node webgpu", "PyTorch eager", …
  p50_ms: number;
  p99_ms: number;
  n: number;
  /** p50 of this row / p50 of PyTorch eager for the same model and phase. */
  vs_eager?: number;
  /** Largest relative L2 error ‖out − ref‖ / ‖ref‖ over the column outputs, against PyTorch fp32. */
  rel_err?: number;
  note?: string;
}

type HostTensor = { dtype: "float32" | "int64"; shape: number[]; data: Float32Array | BigInt64Array };

function readTensor(folder: string, e: TensorEntry): HostTensor {
  const buf = readFileSync(join(folder, e.file));
  const count = e.shape.reduce((a, b) => a * b, 1);
  const bytes = e.dtype === "float32" ? 4 : 8;
  if (buf.byteLength !== count * bytes) throw new Error(`${join(folder, e.file)}: ${buf.byteLength} bytes, shape ${e.shape} wants ${count * bytes}`);
  const copy = new ArrayBuffer(buf.byteLength); // aligned, and ours
  new Uint8Array(copy).set(buf);
  return { dtype: e.dtype, shape: e.shape, data: e.dtype === "float32" ? new Float32Array(copy) : new BigInt64Array(copy) };
}

/** Row `i` of a tensor stacked along axis 0. */
function row(t: HostTensor, i: number): HostTensor {
  const shape = t.shape.slice(1);
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: t.dtype, shape, data: t.data.subarray(i * n, (i + 1) * n) as Float32Array | BigInt64Array };
}

const toOrt = (t: HostTensor) => new ort.Tensor(t.dtype, t.data, t.shape);

/** Session config entries for a row (e.g. the WebGPU provider's own settings), and its label. */
export type RowConfig = { label: string; entries: Record<string, string> };

/** A row's runtime as the table names it: the provider, then what is special about the row. */
export function runtimeName(provider: ProviderName, config?: RowConfig, hostOutputs?: readonly string[]): string {
  const label = [config?.label, hostOutputs ? `only ${hostOutputs.join(", ")} to the host` : undefined].filter(Boolean).join("; ");
  return `onnxruntime-node ${provider}${label ? ` (${label})` : ""}`;
}

/** The contract's names as `prepare` listed them: column inputs (with present and position), the
 * cache inputs, the column outputs, the cache outputs. */
function ioNames(io: IoFile) {
  return {
    colIns: io.inputs.slice(0, io.columns + 2),
    pastIns: io.inputs.slice(io.columns + 2),
    colOuts: io.outputs.slice(0, io.columns),
    presentOuts: io.outputs.slice(io.columns),
  };
}

/** The prefill's feeds, from an empty cache. */
function prefillFeeds(io: IoFile, T: Record<string, HostTensor>): Record<string, ort.Tensor> {
  const { colIns, pastIns } = ioNames(io);
  return {
    ...Object.fromEntries(colIns.map((n) => [n, toOrt(T[`prefill.${n}`]!)])),
    ...Object.fromEntries(pastIns.map((n) => [n, new ort.Tensor("float32", new Float32Array(0), [1, io.kv[0], 0, io.kv[1]])])),
  };
}

/** Step `i`'s feeds, with the cache the run before it left. */
function stepFeeds(io: IoFile, T: Record<string, HostTensor>, i: number, outs: ort.InferenceSession.OnnxValueMapType): Record<string, ort.Tensor> {
  const { colIns, pastIns, presentOuts } = ioNames(io);
  return {
    ...Object.fromEntries(colIns.map((n) => [n, toOrt(row(T[`step.${n}`]!, i))])),
    ...Object.fromEntries(pastIns.map((n, j) => [n, outs[presentOuts[j]!] as ort.Tensor])),
  };
}

/** Free device tensors at once (the garbage collector does not see their size). */
function release(outs: ort.InferenceSession.OnnxValueMapType, names: readonly string[]): void {
  for (const n of names) {
    const t = outs[n] as ort.Tensor | undefined;
    if (t && t.location !== "cpu") t.dispose();
  }
}

function relErr(got: Float32Array, want: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    const d = got[i]! - want[i]!;
    num += d * d;
    den += want[i]! * want[i]!;
  }
  if (!Number.isFinite(num)) return Infinity; // a NaN never passes
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-12);
}

export interface OnnxRunOptions {
  prepared: string; // the folder `prepare` wrote
  model: string; // "shipped" | "large"
  onnx: string;
  provider: ProviderName;
  prefillRepeats: number;
  log: (line: string) => void;
  profileDir?: string;
  config?: RowConfig;
  /** Bring only these column outputs to the host (the rest stay on the GPU and are dropped): what
   * reading every output back each step costs. Default: all of them, as the loop does. */
  hostOutputs?: string[];
}

/** Prefill and step rows for one model on one provider; throws when the provider cannot start. */
export async function onnxRows(o: OnnxRunOptions): Promise<GpuRow[]> {
  const folder = join(o.prepared, o.model);
  const io = JSON.parse(readFileSync(join(folder, "io.json"), "utf8")) as IoFile;
  const T = Object.fromEntries(Object.entries(io.tensors).map(([k, e]) => [k, readTensor(folder, e)]));
  const names = ioNames(io);
  const colOuts = names.colOuts.filter((n) => !o.hostOutputs || o.hostOutputs.includes(n));
  // What stays on the device after a run, and is freed there: the cache and the outputs not read.
  const onDevice = [...names.presentOuts, ...names.colOuts.filter((n) => !colOuts.includes(n))];
  const t0 = performance.now();
  const { session, provider } = await openSession(o.onnx, o.provider, {
    fallbacks: [],
    log: o.log,
    gpuOutputs: onDevice,
    ...(o.config ? { sessionOptions: { extra: o.config.entries } } : {}),
  });
  o.log(`${o.model} on ${provider}: session open in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const toHost = async (outs: ort.InferenceSession.OnnxValueMapType) => {
    const host: Record<string, Float32Array> = {};
    for (const n of colOuts) host[n] = (await (outs[n] as ort.Tensor).getData()) as Float32Array;
    return host;
  };

  // Prefill: from an empty cache each time.
  let firstPrefill: Record<string, Float32Array> | undefined;
  for (let i = 0; i < 3; i++) {
    const outs = await session.run(prefillFeeds(io, T));
    firstPrefill ??= await toHost(outs);
    release(outs, onDevice);
  }
  const preMs: number[] = [];
  for (let i = 0; i < o.prefillRepeats; i++) {
    const feeds = prefillFeeds(io, T);
    const s = performance.now();
    const outs = await session.run(feeds);
    await toHost(outs);
    preMs.push(performance.now() - s);
    release(outs, onDevice);
  }
  // The prefill's last token against PyTorch's.
  let preErr = 0;
  for (const n of colOuts) {
    const all = firstPrefill![n]!;
    const ref = T[`out.${n}`]!.data as Float32Array;
    preErr = Math.max(preErr, relErr(all.subarray(all.length - ref.length), ref));
  }

  // Steps: the cache grows a token a step and stays where the provider put it. Two passes; the
  // second is timed, the first is checked against PyTorch.
  let stepMs: number[] = [];
  let stepErr = 0;
  for (let pass = 0; pass < 2; pass++) {
    let outs = await session.run(prefillFeeds(io, T));
    const ms: number[] = [];
    for (let i = 0; i < io.steps; i++) {
      const feeds = stepFeeds(io, T, i, outs);
      const s = performance.now();
      const next = await session.run(feeds);
      const host = await toHost(next);
      ms.push(performance.now() - s);
      if (pass === 0) {
        for (const n of colOuts) stepErr = Math.max(stepErr, relErr(host[n]!, row(T[`ref.${n}`]!, i).data as Float32Array));
      }
      release(outs, onDevice); // the cache this step read, and the run's unread outputs
      outs = next;
    }
    release(outs, onDevice);
    stepMs = ms;
  }
  await session.release();
  if (o.profileDir && !o.hostOutputs) await profile(o, io, T, provider);
  const name = runtimeName(provider, o.config, o.hostOutputs ? colOuts : undefined);
  return [
    { model: o.model, what: "prefill", runtime: name, p50_ms: quantile(preMs, 0.5), p99_ms: quantile(preMs, 0.99), n: preMs.length, rel_err: preErr },
    { model: o.model, what: "step", runtime: name, p50_ms: quantile(stepMs, 0.5), p99_ms: quantile(stepMs, 0.99), n: stepMs.length, rel_err: stepErr },
  ];
}

/** PyTorch's rows from torch.json, in the same shape. */
export function torchRows(t: TorchFile): GpuRow[] {
  const out: GpuRow[] = [];
  for (const [model, m] of Object.entries(t.models)) {
    for (const [key, r] of Object.entries(m.rows)) {
      const [what, how] = key.split(".") as ["prefill" | "step", string];
      const runtime = how === "eager" ? "PyTorch eager" : "PyTorch CUDA graph";
      const note = how === "cuda_graph" ? `one step captured at the prefill's past length, replayed; max |Δ| vs eager ${r.max_abs_vs_eager?.toExponential(1)}` : undefined;
      out.push({ model, what, runtime, p50_ms: r.p50_ms, p99_ms: r.p99_ms, n: r.n, ...(note ? { note } : {}) });
    }
  }
  return out;
}

/** Fills in each row's ratio to PyTorch eager (same model, same phase). */
export function withRatios(rows: GpuRow[]): GpuRow[] {
  return rows.map((r) => {
    const eager = rows.find((e) => e.model === r.model && e.what === r.what && e.runtime === "PyTorch eager");
    return eager ? { ...r, vs_eager: r.p50_ms / eager.p50_ms } : r;
  });
}

export function formatRows(rows: GpuRow[]): string {
  const head = ["model", "phase", "runtime", "p50 ms", "p99 ms", "n", "× eager", "rel err"];
  const cells = rows.map((r) => [
    r.model,
    r.what,
    r.runtime,
    r.p50_ms.toFixed(3),
    r.p99_ms.toFixed(3),
    String(r.n),
    r.vs_eager === undefined ? "" : r.vs_eager.toFixed(2),
    r.rel_err === undefined ? "" : r.rel_err.toExponential(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => "| " + c.map((x, i) => x.padEnd(widths[i]!)).join(" | ") + " |";
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

/** onnxruntime's own profile of a prefill and 30 steps: time by operator type per step, written as
 * `<profileDir>/<model>-<provider>-ops.json` (and onnxruntime's trace beside it). For a GPU provider
 * a kernel's time is what onnxruntime saw on the host (the dispatch), so the kernel count per step
 * and the host time per kernel are the figures to read. */
async function profile(o: OnnxRunOptions, io: IoFile, T: Record<string, HostTensor>, provider: ProviderName): Promise<void> {
  const prefix = join(o.profileDir!, `${o.model}-${provider}-trace`);
  const { colOuts, presentOuts } = ioNames(io);
  const { session } = await openSession(o.onnx, provider, {
    fallbacks: [],
    gpuOutputs: presentOuts,
    sessionOptions: { enableProfiling: true, profileFilePrefix: prefix, ...(o.config ? { extra: o.config.entries } : {}) },
  });
  const steps = Math.min(30, io.steps);
  let outs = await session.run(prefillFeeds(io, T));
  for (let i = 0; i < steps; i++) {
    const next = await session.run(stepFeeds(io, T, i, outs));
    for (const n of colOuts) await (next[n] as ort.Tensor).getData();
    release(outs, presentOuts);
    outs = next;
  }
  release(outs, presentOuts);
  session.endProfiling();
  await session.release();
  const file = readdirSync(o.profileDir!).filter((f) => f.startsWith(`${o.model}-${provider}-trace`)).sort().pop();
  if (!file) return o.log(`profile: onnxruntime wrote no trace under ${o.profileDir}`);
  const events = JSON.parse(readFileSync(join(o.profileDir!, file), "utf8")) as { cat?: string; name?: string; dur?: number; args?: { op_name?: string; provider?: string } }[];
  const byOp = new Map<string, { us: number; count: number; provider: string }>();
  for (const e of events) {
    if (e.cat !== "Node" || !e.name?.endsWith("_kernel_time") || !e.args?.op_name) continue;
    const k = byOp.get(e.args.op_name) ?? { us: 0, count: 0, provider: e.args.provider ?? "" };
    k.us += e.dur ?? 0;
    k.count += 1;
    byOp.set(e.args.op_name, k);
  }
  const runs = steps + 1;
  const ops = [...byOp.entries()]
    .map(([op, v]) => ({ op, provider: v.provider, per_run: v.count / runs, us_per_run: v.us / runs }))
    .sort((a, b) => b.us_per_run - a.us_per_run);
  const total = ops.reduce((a, b) => a + b.us_per_run, 0);
  const kernels = ops.reduce((a, b) => a + b.per_run, 0);
  writeFileSync(join(o.profileDir!, `${o.model}-${provider}-ops.json`), JSON.stringify({ runs, kernels_per_run: kernels, us_per_run: total, ops }, null, 1));
  o.log(`profile ${o.model} ${provider}: ${kernels.toFixed(0)} kernels a run, ${(total / 1000).toFixed(3)} ms of host time in them; top: ` +
    ops.slice(0, 6).map((x) => `${x.op}[${x.provider}] ${(x.us_per_run / 1000).toFixed(3)} ms ×${x.per_run.toFixed(0)}`).join(", "));
}

/** Per-kernel cost of a provider: `chain.onnx` (bench_gpu.py layout) runs 500 Adds on 16 floats, so
 * its run time over 500 is the dispatch overhead, with no work to hide it. */
export async function dispatchRow(
  onnx: string,
  provider: ProviderName,
  log: (l: string) => void,
  config?: RowConfig,
): Promise<GpuRow> {
  const { session } = await openSession(onnx, provider, { fallbacks: [], log, ...(config ? { sessionOptions: { extra: config.entries } } : {}) });
  const x = new ort.Tensor("float32", new Float32Array(16), [1, 16]);
  for (let i = 0; i < 5; i++) await (((await session.run({ x })).y as ort.Tensor).getData());
  const us: number[] = [];
  for (let i = 0; i < 50; i++) {
    const s = performance.now();
    await (((await session.run({ x })).y as ort.Tensor).getData());
    us.push(((performance.now() - s) * 1000) / 500);
  }
  await session.release();
  return { model: "chain of 500 Adds", what: "step", runtime: runtimeName(provider, config), p50_ms: quantile(us, 0.5) / 1000, p99_ms: quantile(us, 0.99) / 1000, n: us.length, note: `per kernel: p50 ${quantile(us, 0.5).toFixed(1)} µs` };
}
