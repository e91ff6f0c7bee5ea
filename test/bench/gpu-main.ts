// The GPU benchmark as a standalone program, for a GPU machine that has Node and onnxruntime-node but
// not this repository's dev tools (docs/PERFORMANCE.md bundles it with esbuild and runs it there):
//   node gpu-bench.mjs --models DIR --prepared DIR [--providers webgpu,cuda,cpu] [--out FILE]
// The same figures come from `omniloop bench --only gpu` on a machine with the whole checkout.
import { parseArgs } from "node:util";
import { parseProvider, type ProviderName } from "../../src/policy/providers.ts";
import { OnnxPolicy } from "../../src/policy/onnx-policy.ts";
import { formatRows } from "./gpu-onnx.ts";
import { runGpuBench, targetRows } from "./gpu.bench.ts";

const { values } = parseArgs({
  options: {
    models: { type: "string" },
    prepared: { type: "string" },
    providers: { type: "string", default: "webgpu,cuda,cpu" },
    out: { type: "string" },
    python: { type: "string" },
    profile: { type: "string" },
    variants: { type: "boolean", default: false },
    readback: { type: "boolean", default: false },
    auto: { type: "string", multiple: true },
  },
});
const providers = values.providers!.split(",").map((p) => {
  const v = parseProvider(p.trim());
  if (v === "auto") throw new RangeError("--providers: name the providers, not auto");
  return v as ProviderName;
});
const log = (line: string) => process.stderr.write(`[gpu] ${line}\n`);
const { rows, torch } = await runGpuBench({
  ...(values.models ? { models: values.models } : {}),
  ...(values.prepared ? { prepared: values.prepared } : {}),
  ...(values.out ? { out: values.out } : {}),
  ...(values.python ? { python: values.python } : {}),
  ...(values.profile ? { profileDir: values.profile } : {}),
  variants: values.variants!,
  readback: values.readback!,
  providers,
  log,
});
process.stdout.write(`${torch.device}, PyTorch ${torch.torch}\n${formatRows(rows)}\n`);
if (torch.ceilings) process.stdout.write(`ceilings: ${JSON.stringify(torch.ceilings)}\n`);
for (const n of rows.filter((r) => r.note)) process.stdout.write(`- ${n.model} ${n.what} ${n.runtime}: ${n.note}\n`);
for (const t of targetRows(rows)) process.stdout.write(`target ${t.name}: ${t.value.toFixed(3)} ${t.unit} (${t.target}) ${t.met ? "met" : "MISSED"} — ${t.note ?? ""}\n`);

// What `--provider auto` picks on this machine, for each card named (it times every provider that
// starts, src/policy/onnx-policy.ts).
for (const card of values.auto ?? []) {
  const policy = await OnnxPolicy.load({ card, provider: "auto", log: (l) => process.stdout.write(`auto ${card}: ${l}\n`) });
  process.stdout.write(`auto ${card}: chose ${policy.provider}\n`);
  await policy.close();
}
