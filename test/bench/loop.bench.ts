// The closed loop's figures (issue "The closed loop"): the model's one-token step with cache on the
// CPU, and the loop's own overhead per tick with the model taken out.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { atLeast, atMost, info, type Bench, type BenchResult } from "../../src/cli/bench-types.ts";
import { quantile } from "../../src/cli/stats.ts";
import { MemoryBus } from "../../src/bus/memory.ts";
import { ClosedLoop } from "../../src/loop/closed-loop.ts";
import { LockstepClock } from "../../src/loop/lockstep-clock.ts";
import { VirtualTime } from "../../src/loop/time-source.ts";
import { DEFAULT_LOOP_TOPICS as T } from "../../src/loop/topics.ts";
import { OnnxPolicy } from "../../src/policy/onnx-policy.ts";
import type { Policy } from "../../src/policy/types.ts";
import { absentToken, cloneToken, textToken } from "../../src/omnitoken/token.ts";
import { ByteTokenizer } from "../../src/omnitoken/tokenizer.ts";
import { detection3D, detection3DArray, image, jointState } from "../../src/messages/make.ts";
import { columnOf } from "../../src/omnitoken/card.ts";

const SHIPPED = "models/reference/card.json";
const TINY = "test/fixtures/models/tiny/card.json";

/** The shipped model if it is there, else the tiny test model (and the row says so). */
function benchModel(): { card: string; note: string; shipped: boolean } {
  if (existsSync(SHIPPED)) return { card: SHIPPED, note: "shipped model", shipped: true };
  return { card: TINY, note: "models/reference missing: tiny test model instead", shipped: false };
}

async function stepRows(quick: boolean, log: (l: string) => void): Promise<BenchResult[]> {
  const m = benchModel();
  const policy = await OnnxPolicy.load({ card: m.card, ...(m.shipped ? {} : { model: "test/fixtures/models/tiny/model.onnx" }), provider: "cpu" });
  const card = policy.card;
  const tok = new ByteTokenizer(card.tokenizer);
  const prefix = tok.command("push the blue block into the green zone").map((id, i) => textToken(card, id, i, { sec: 0, nanosec: 0 }));
  await policy.start(prefix);
  // The same sequence of shapes PyTorch runs below: a prefill, then one-token steps on a growing
  // cache (inside the context, so no slide is timed).
  const n = Math.min(quick ? 50 : 150, card.context_length - prefix.length);
  log(`step: ${n} one-token steps on cpu (${m.note}) after a ${prefix.length}-token prefill`);
  const ms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = absentToken(card, prefix.length + i, { sec: 0, nanosec: 0 });
    for (const c of Object.values(t.columns)) if (c.data instanceof Float32Array) c.origin = "observed";
    const t0 = performance.now();
    await policy.step(t);
    ms[i] = performance.now() - t0;
  }
  await policy.close();
  const note = `${m.note}; onnxruntime-node cpu, ${n} steps with the KV cache after a ${prefix.length}-token prefill`;
  const p50 = quantile(ms, 0.5);
  const rows = [
    m.shipped ? atMost("step.cpu.p50", p50, "ms", 3, note) : info("step.cpu.p50", p50, "ms", note),
    info("step.cpu.p99", quantile(ms, 0.99), "ms"),
  ];
  const torch = torchStep(m.card, prefix.length, n);
  if ("why" in torch) rows.push(info("step.torch.p50", NaN, "ms", `not measured: ${torch.why}`));
  else {
    rows.push(info("step.torch.p50", torch.p50_ms, "ms", `PyTorch ${torch.torch} eager, ${torch.threads} threads, same architecture and sizes, same sequence of shapes`));
    rows.push(atLeast("step.torch_over_ours", torch.p50_ms / p50, "x", 1, "PyTorch p50 / onnxruntime-node p50 (> 1: ours is faster)"));
  }
  return rows;
}

/** The same step in PyTorch eager (models/bench_step.py), or why it could not be measured. */
function torchStep(card: string, prefix: number, steps: number): { p50_ms: number; threads: number; torch: string } | { why: string } {
  const py = "/usr/bin/python3";
  if (!existsSync(py)) return { why: `${py} not found` };
  const r = spawnSync(py, ["models/bench_step.py", "--card", card, "--prefix", String(prefix), "--steps", String(steps)], { encoding: "utf8" });
  if (r.status !== 0) return { why: (r.stderr || r.stdout || `exit ${r.status}`).trim().split("\n").pop()! };
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as { p50_ms: number; threads: number; torch: string };
}

/** The loop with an instant policy: what is left per tick is the loop's own work (compose, encode,
 * safety, publish, surprise). */
async function overheadRows(quick: boolean): Promise<BenchResult[]> {
  const real = await OnnxPolicy.load({ card: TINY, model: "test/fixtures/models/tiny/model.onnx", provider: "cpu", warmup: 0 });
  const card = real.card;
  const canned = absentToken(card, 0, { sec: 0, nanosec: 0 });
  for (const c of Object.values(canned.columns)) c.origin = "predicted";
  canned.columns.text!.data[0] = card.tokenizer.special.PAD;
  const instant: Policy = {
    card,
    provider: "instant",
    start: async () => cloneToken(canned),
    step: async () => canned,
    rollout: async () => [canned],
    close: async () => {},
  };
  const bus = new MemoryBus();
  const time = new VirtualTime();
  const joints = columnOf(card, "action")!.action.joints.map((j) => j.name);
  // A robot's tick of sensors: a 128×96 camera frame, 4 detections, the joints.
  const frame = image({ width: 128, height: 96, data: new Uint8Array(128 * 96 * 3).fill(90) });
  const dets = detection3DArray(
    [0, 1, 2, 3].map((i) => detection3D({ class_id: "red_block", position: { x: 0.1 * i - 0.15, y: 0.1, z: 0.02 } })),
    { frame_id: "table" },
  );
  const js = jointState({ name: joints, position: joints.map(() => 0.1) });
  const wall: number[] = [];
  let last = 0;
  const clock = new LockstepClock({
    rateHz: 50,
    time,
    advance: () => {
      const now = performance.now();
      if (last) wall.push(now - last);
      bus.publish(T.image, frame);
      bus.publish(T.detections, dets);
      bus.publish(T.joints, js);
      last = performance.now(); // sensor publishing is the robot's cost, not the loop's
    },
  });
  const loop = new ClosedLoop({ policy: instant, bus, clock, time, publishTokens: true });
  bus.publish(T.image, frame);
  bus.publish(T.detections, dets);
  bus.publish(T.joints, js);
  await loop.runEpisode("touch the red block", { maxTicks: quick ? 300 : 5000 });
  await loop.close();
  await real.close();
  const note = "per tick: compose (128×96 rgb8 → 32×32, 4 detections, joints), safety, command, surprise, tokens published";
  return [info("loop.overhead.p50", quantile(wall, 0.5), "ms", note), atMost("loop.overhead.p99", quantile(wall, 0.99), "ms", 0.5)];
}

export const benches: Bench[] = [
  { name: "step", description: "the model's one-token step with KV cache on the CPU (p50/p99)", run: ({ quick, log }) => stepRows(quick, log) },
  { name: "loop", description: "the loop's own overhead per tick, model excluded (p99)", run: ({ quick }) => overheadRows(quick) },
];
