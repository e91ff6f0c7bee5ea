// Remote policy figures (issue "On the robot"): what a step costs when the model runs in another
// process behind ZeroMQ, over the same step run locally. A real `omniloop serve-policy` child on
// loopback serves the test model on cpu; this process runs the same model locally, over the same
// observations, in alternating blocks so both see the same machine load; the overhead is the
// difference of the medians. The floor row is a server whose policy does no compute (echoes the
// token): the protocol alone — codec, checks, two socket hops, session bookkeeping.
//
// The target row is the first `n` steps of each arm, the server and this client fresh. A fresh
// server serving a model is slower for its first few thousand steps (measured: an echo server is
// warm within a few hundred, so it is the model's path on the server — JavaScript still being
// compiled — not the protocol's), so the `warm` row repeats the comparison after WARM_STEPS more
// steps each: the steady state a robot's loop runs in.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer, type AddressInfo } from "node:net";
import { availableParallelism, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { atMost, info, type Bench, type BenchResult } from "../../src/cli/bench-types.ts";
import { median, quantile } from "../../src/cli/stats.ts";
import { loadCard } from "../../src/omnitoken/card.ts";
import type { ModelCard } from "../../src/omnitoken/card-types.ts";
import { ByteTokenizer } from "../../src/omnitoken/tokenizer.ts";
import { absentToken, cloneToken, textToken } from "../../src/omnitoken/token.ts";
import type { Omnitoken } from "../../src/omnitoken/types.ts";
import { OnnxPolicy } from "../../src/policy/onnx-policy.ts";
import { RemotePolicy } from "../../src/policy/remote/client.ts";
import { PolicyServer } from "../../src/policy/remote/server.ts";
import type { Policy } from "../../src/policy/types.ts";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../..");
const TARGET_MS = 0.3;
/** Steps per arm after the target row's window, before the warm row's. */
const WARM_STEPS = 2000;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function observation(card: ModelCard, step: number): Omnitoken {
  const t = absentToken(card, step, { sec: step, nanosec: 0 });
  for (const [name, cell] of Object.entries(t.columns)) {
    if (name === "text") continue;
    cell.origin = "observed";
    cell.data.forEach((_, i) => ((cell.data as Float32Array)[i] = ((step * 31 + i * 7) % 17) / 17));
  }
  return t;
}

const prefixOf = (card: ModelCard) =>
  new ByteTokenizer(card.tokenizer).command("touch the red block").map((id, i) => textToken(card, id, i, { sec: 0, nanosec: 0 }));

/** A policy that computes nothing: the prediction is the observation, one step on. */
function echoPolicy(card: ModelCard): Policy {
  const next = (t: Omnitoken) => ({ ...cloneToken(t), step: t.step + 1 });
  return {
    card,
    provider: "echo",
    start: async (prefix) => next(prefix[prefix.length - 1]!),
    step: async (t) => next(t),
    rollout: async (t, h) => Array.from({ length: h }, (_, i) => ({ ...next(t), step: t.step + 1 + i })),
    close: async () => {},
  };
}

/** Per-step ms of `policy` over a fixed sequence of observations (restarting the episode before the
 * window would slide, so no figure includes a slide). */
async function steps(policy: Policy, card: ModelCard, n: number): Promise<number[]> {
  const ctx = card.context_length - 30;
  const out: number[] = [];
  for (let i = 0; i < n + 20; i++) {
    if (i % ctx === 0) await policy.start(prefixOf(card));
    const t = observation(card, 30 + (i % ctx));
    const t0 = performance.now();
    await policy.step(t);
    if (i >= 20) out.push(performance.now() - t0);
  }
  return out;
}

/** Local and remote in alternating blocks (so neither's idle threads stand in the other's way, and
 * both see the same drift in machine load); per-step ms of each. */
async function compare(local: Policy, remote: Policy, card: ModelCard, n: number): Promise<{ local: number[]; remote: number[] }> {
  const out = { local: [] as number[], remote: [] as number[] };
  const blocks = 5;
  for (let b = 0; b < blocks; b++) {
    out.local.push(...(await steps(local, card, Math.ceil(n / blocks))));
    out.remote.push(...(await steps(remote, card, Math.ceil(n / blocks))));
  }
  return out;
}

async function serveChild(model: string, url: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", join(root, "src/cli/main.ts"), "serve-policy", "--model", model, "--bind", url, "--provider", "cpu", "--quiet"], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  return child;
}

async function modelRows(name: string, dir: string, n: number, log: (l: string) => void): Promise<BenchResult[]> {
  const url = `zmq://127.0.0.1:${await freePort()}`;
  const child = await serveChild(join(root, dir), url);
  try {
    const local = await OnnxPolicy.load({ card: join(root, dir, "card.json"), provider: "cpu" });
    const remote = await RemotePolicy.connect({ url, deadlineMs: 5000, connectTimeoutMs: 60_000 });
    const t = await compare(local, remote, local.card, n);
    await compare(local, remote, local.card, warmSteps(n));
    const warm = await compare(local, remote, local.card, n);
    await Promise.all([local.close(), remote.close()]);
    const [l50, r50] = [median(t.local), median(t.remote)];
    const [wl50, wr50] = [median(warm.local), median(warm.remote)];
    // Two processes wake each other twice per step: on a loaded machine the scheduler, not the
    // protocol, sets the figure (the in-process floor row shows the protocol's own cost).
    const load = `load ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`;
    log(`${name}: local p50 ${l50.toFixed(3)} ms, remote p50 ${r50.toFixed(3)} ms, remote p99 ${quantile(t.remote, 0.99).toFixed(3)} ms (${n} steps); warm: local ${wl50.toFixed(3)}, remote ${wr50.toFixed(3)} ms`);
    return [
      atMost(`remote.${name}.overhead_p50`, r50 - l50, "ms", TARGET_MS, `remote p50 ${r50.toFixed(3)} − local p50 ${l50.toFixed(3)} ms; serve-policy child on loopback, cpu, ${n} steps each in alternating blocks; ${load}`),
      info(`remote.${name}.p99`, quantile(t.remote, 0.99), "ms", `local p99 ${quantile(t.local, 0.99).toFixed(3)} ms`),
      info(`remote.${name}.warm_overhead_p50`, wr50 - wl50, "ms", `the same after ${n + warmSteps(n)} more steps each (remote p50 ${wr50.toFixed(3)} − local p50 ${wl50.toFixed(3)} ms)`),
    ];
  } finally {
    const exited = once(child, "exit");
    child.kill("SIGINT");
    await exited;
  }
}

/** The steps between the target row's window and the warm row's (fewer in --quick runs). */
const warmSteps = (n: number): number => Math.min(WARM_STEPS, 2 * n);

async function floorRow(n: number): Promise<BenchResult> {
  const card = loadCard(join(root, "test/fixtures/models/tiny/card.json"));
  const server = await PolicyServer.start({ bind: "zmq://127.0.0.1:0", card, provider: "echo", createPolicy: async () => echoPolicy(card) });
  const remote = await RemotePolicy.connect({ url: server.endpoint, deadlineMs: 5000 });
  const t = await compare(echoPolicy(card), remote, card, n);
  await remote.close();
  await server.close();
  return info("remote.protocol_floor_p50", median(t.remote), "ms", `echo policy, server in this process, ${card.name} token (${card.columns.map((c) => c.width).reduce((a, b) => a + b, 0)} values)`);
}

export const benches: Bench[] = [
  {
    name: "remote",
    description: "remote policy step over ZeroMQ on loopback vs the same step local (overhead target <= 0.3 ms p50)",
    async run({ quick, log }) {
      const n = quick ? 100 : 1000;
      return [
        ...(await modelRows("micro", "test/fixtures/models/micro", n, log)),
        ...(await modelRows("tiny", "test/fixtures/models/tiny", n, log)),
        await floorRow(n),
      ];
    },
  },
];
