// The GPU benchmark (test/bench/gpu.bench.ts, docs/PERFORMANCE.md): without an NVIDIA GPU it skips
// and says why; its two halves — PyTorch's (models/bench_gpu.py) and onnxruntime-node's — run the
// same weights on the same inputs, checked here on the CPU with the shipped model.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benches, noGpuReason } from "../bench/gpu.bench.ts";
import { dispatchRow, onnxRows, torchRows, withRatios, type TorchFile } from "../bench/gpu-onnx.ts";

const PYTHON = "/usr/bin/python3";
const pythonMissing = (() => {
  const probe = spawnSync(PYTHON, ["-c", "import torch, onnx, numpy"], { encoding: "utf8" });
  return probe.status === 0 ? false : `${PYTHON} lacks torch/onnx/numpy`;
})();

test("the gpu bench skips without an NVIDIA GPU, saying why", { skip: noGpuReason() === undefined ? "this machine has an NVIDIA GPU" : false }, async () => {
  const bench = benches.find((b) => b.name === "gpu")!;
  const rows = await bench.run({ quick: true, log: () => {} });
  assert.equal(rows.length, 1);
  assert.ok(Number.isNaN(rows[0]!.value));
  assert.match(rows[0]!.note ?? "", /^skipped: .*nvidia-smi/);
});

test("gpu bench halves agree: PyTorch's outputs and onnxruntime-node's, same weights and inputs (cpu)", { skip: pythonMissing, timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "omniloop-gpu-test-"));
  try {
    const models = join(dir, "models");
    const prepared = join(dir, "prepared");
    const run = (args: string[]) => {
      const r = spawnSync(PYTHON, ["models/bench_gpu.py", ...args], { encoding: "utf8", env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } });
      assert.equal(r.status, 0, `bench_gpu.py ${args[0]} failed:\n${r.stdout}${r.stderr}`);
    };
    run(["layout", "--out", models, "--only", "shipped"]);
    run(["prepare", "--models", models, "--out", prepared, "--device", "cpu", "--only", "shipped", "--steps", "6", "--repeats", "3", "--threads", "1"]);
    const torch = JSON.parse(readFileSync(join(prepared, "torch.json"), "utf8")) as TorchFile;
    assert.deepEqual(Object.keys(torch.models), ["shipped"]);
    assert.ok(!torch.models.shipped!.rows["step.cuda_graph"], "no CUDA graph row on the cpu");
    const rows = await onnxRows({ prepared, model: "shipped", onnx: torch.models.shipped!.onnx, provider: "cpu", prefillRepeats: 3, log: () => {} });
    assert.deepEqual(rows.map((r) => [r.what, r.n]), [["prefill", 3], ["step", 6]]);
    for (const r of rows) {
      assert.ok(Number.isFinite(r.p50_ms) && r.p50_ms > 0, `${r.what}: p50 ${r.p50_ms}`);
      // fp32 on both sides: far under 1e-3 (a wrong weight or input would be ~1).
      assert.ok(r.rel_err! < 1e-4, `${r.what}: relative error against PyTorch ${r.rel_err}`);
    }
    const all = withRatios([...torchRows(torch), ...rows]);
    assert.ok(all.every((r) => r.vs_eager !== undefined && Number.isFinite(r.vs_eager)));
    assert.ok(existsSync(join(models, "chain.onnx")));
    const chain = await dispatchRow(join(models, "chain.onnx"), "cpu", () => {});
    assert.ok(chain.p50_ms > 0 && chain.p50_ms < 1, `one cpu kernel of 16 floats: ${chain.p50_ms} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
