// The loop in real time (issue "The closed loop"): the simulator runs as its own process on the
// ZeroMQ bus, as a robot would, and the loop ticks at 50 Hz on the monotonic clock with the model
// (the shipped one where it exists). `realtime` is the 60 s run — tick jitter p99 and deadline
// misses; `soak` is the 10-minute run — resident memory growth after warm-up and in all.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { atMost, info, type Bench, type BenchResult } from "../../src/cli/bench-types.ts";
import { quantile } from "../../src/cli/stats.ts";
import { ZmqBus } from "../../src/bus/zmq.ts";
import { ClosedLoop } from "../../src/loop/closed-loop.ts";
import { FixedRateClock } from "../../src/loop/clock.ts";
import { raiseLoopPriority, requestRealtimeScheduling } from "../../src/loop/priority.ts";
import { monotonicTime } from "../../src/loop/time-source.ts";
import { DEFAULT_LOOP_TOPICS as T } from "../../src/loop/topics.ts";
import { OnnxPolicy } from "../../src/policy/onnx-policy.ts";
import { freePortPair } from "../bus/fixtures/ports.ts";
import { describeGcKinds, watchGc, type GcSummary } from "./gc-watch.ts";

const RATE_HZ = 50;

async function startRealtimeSim(url: string): Promise<{ stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ["bin/omniloop.js", "sim", "--realtime", "--hub", "--bus", url, "--task", "all"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  await new Promise<void>((resolve, reject) => {
    let err = "";
    const timer = setTimeout(() => reject(new Error(`the real-time simulator did not start in 30 s: ${err}`)), 30_000);
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      if (err.includes("real time on")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`the real-time simulator exited (${code}): ${err}`)));
  });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

interface RunFigures {
  lateMs: number[];
  missed: number;
  ticks: number;
  episodes: number;
  rssWarmMb: number;
  rssEndMb: number;
  rssMaxMb: number;
  stepMs: number[];
  model: string;
  /** Episodes that started from the policy's prefix cache (the same command again). */
  prefixHits: number;
  tickMs: number[];
  /** Ticks whose work took over half a period: where the time went (listenMs > 0: the model
   * spoke), and whether the tick ended its episode. */
  slow: { ms: number; episodeEnd: boolean; composeMs: number; stepMs: number; listenMs: number }[];
  /** Garbage collection in this process (loop, model, bus) over the timed run. */
  gc: GcSummary;
  /** Utterances the loop cut at its listen budget. */
  cut: number;
}

let priority = "";

async function runAt50Hz(seconds: number): Promise<RunFigures> {
  const port = await freePortPair();
  const url = `zmq://127.0.0.1:${port}`;
  const sim = await startRealtimeSim(url);
  // As `omniloop run` does: the loop asks for a higher priority than the simulator beside it.
  priority = raiseLoopPriority().message;
  if (process.env.OMNILOOP_SCHED_FIFO === "1") priority += `; ${requestRealtimeScheduling().message}`;
  const shipped = existsSync("models/reference/card.json");
  const policy = await OnnxPolicy.load(
    shipped ? { card: "models/reference/card.json", provider: "cpu" } : { card: "test/fixtures/models/tiny/card.json", model: "test/fixtures/models/tiny/model.onnx", provider: "cpu" },
  );
  const bus = await ZmqBus.open(url);
  try {
    const clock = new FixedRateClock({ rateHz: RATE_HZ, time: monotonicTime });
    const loop = new ClosedLoop({ policy, bus, clock, time: monotonicTime });
    for (const t of [T.image, T.detections, T.joints]) await bus.ready(t);
    await bus.ready();
    const warmTicks = RATE_HZ * 5;
    let rssWarm = 0;
    let rssMax = 0;
    const sampler = setInterval(() => {
      const rss = process.memoryUsage().rss;
      rssMax = Math.max(rssMax, rss);
      if (!rssWarm && clock.stats().ticks >= warmTicks) rssWarm = rss;
    }, 250);
    // Episodes back to back until the time is up, as on a robot: the model may say "done" early,
    // and the next episode starts on the same clock (its start is part of what is measured; the
    // same command again starts from the policy's prefix cache, and the row says how often).
    const total = seconds * RATE_HZ;
    const lateMs: number[] = [];
    const stepMs: number[] = [];
    const tickMs: number[] = [];
    const slow: RunFigures["slow"] = [];
    let cut = 0;
    let ticks = 0;
    let episodes = 0;
    const gc = watchGc();
    while (ticks + clock.stats().missed < total) {
      const result = await loop.runEpisode("push the red block into the blue zone", { maxTicks: total - ticks - clock.stats().missed });
      lateMs.push(...result.lateMs);
      stepMs.push(...result.stepMs);
      tickMs.push(...result.tickMs);
      cut += result.cutUtterances;
      for (const t of result.slowTicks) {
        slow.push({ ...t, episodeEnd: t.tick === result.tickMs.length - 1 && result.end === "model_done" });
      }
      ticks += result.ticks;
      episodes += 1;
    }
    const gcSummary = gc.stop();
    clearInterval(sampler);
    await loop.close();
    return {
      lateMs,
      missed: clock.stats().missed,
      ticks,
      episodes,
      rssWarmMb: rssWarm / 2 ** 20,
      rssEndMb: process.memoryUsage().rss / 2 ** 20,
      rssMaxMb: rssMax / 2 ** 20,
      stepMs,
      model: shipped ? "shipped model" : "tiny test model (models/reference missing)",
      prefixHits: policy.prefixHits,
      tickMs,
      slow,
      gc: gcSummary,
      cut,
    };
  } finally {
    await bus.close();
    await policy.close();
    await sim.stop();
  }
}

/** The ticks over half a period: what the misses come from. */
function slowNote(f: RunFigures): string {
  if (f.slow.length === 0) return `no tick's work took over half a period (max ${Math.max(...f.tickMs).toFixed(1)} ms; ${f.cut} utterances cut at the listen budget)`;
  const spoke = f.slow.filter((t) => t.listenMs > 0).length;
  const ends = f.slow.filter((t) => t.episodeEnd).length;
  const worst = [...f.slow].sort((a, b) => b.ms - a.ms).slice(0, 5);
  const list = worst
    .map((t) => `${t.ms.toFixed(1)} ms (compose ${t.composeMs.toFixed(1)}, step ${t.stepMs.toFixed(1)}${t.listenMs ? `, words ${t.listenMs.toFixed(1)}` : ""})${t.episodeEnd ? " ended the episode" : ""}`)
    .join("; ");
  const longest = f.gc.long.slice(0, 5);
  const gc = longest.length ? `; ${f.gc.long.length} GC pauses over 5 ms, the longest ${longest.map((p) => `${p.ms.toFixed(1)} (${p.kind})`).join(", ")} ms` : "; no GC pause over 5 ms";
  return `${f.slow.length} ticks took over half a period: ${spoke} of them the model spoke in (${f.cut} utterances cut at the listen budget), ${ends} ended an episode; slowest ${list}${gc}`;
}

/** The load-independent side of GC pauses: what the loop's process allocates per tick, and the
 * collections that came of it. */
function gcRows(prefix: string, f: RunFigures): BenchResult[] {
  const ticks = f.ticks + f.missed;
  const pauses = Object.values(f.gc.kinds);
  const totalMs = pauses.reduce((sum, k) => sum + k.totalMs, 0);
  const count = pauses.reduce((sum, k) => sum + k.count, 0);
  return [
    info(`${prefix}.gc.heap_alloc_per_tick`, f.gc.allocatedBytes / ticks / 1024, "KB", `JS heap allocated by this process over ${ticks} ticks: ${(f.gc.allocatedBytes / 2 ** 20).toFixed(0)} MB`),
    info(`${prefix}.gc.pause_total`, totalMs, "ms", `${count} collections: ${describeGcKinds(f.gc)}`),
  ];
}

async function realtimeRows(quick: boolean): Promise<BenchResult[]> {
  const s = quick ? 10 : 60;
  const f = await runAt50Hz(s);
  const note = `${s} s at ${RATE_HZ} Hz against the real-time simulator over ZeroMQ, ${f.model}; ${priority}`;
  return [
    atMost("realtime.jitter.p99", quantile(f.lateMs, 0.99), "ms", 1, note),
    info("realtime.jitter.p50", quantile(f.lateMs, 0.5), "ms"),
    atMost("realtime.deadline_misses", f.missed, "ticks", 0, `of ${f.ticks + f.missed}, over ${f.episodes} episodes (${f.prefixHits} started from the prefix cache)`),
    info("realtime.step.p50", quantile(f.stepMs, 0.5), "ms"),
    info("realtime.tick.p99", quantile(f.tickMs, 0.99), "ms", `a tick's own work, compose to command; ${slowNote(f)}`),
    ...gcRows("realtime", f),
  ];
}

async function soakRows(quick: boolean): Promise<BenchResult[]> {
  const s = quick ? 30 : 600;
  const f = await runAt50Hz(s);
  const note = `${s} s at ${RATE_HZ} Hz, ${f.model}; resident memory sampled every 250 ms`;
  return [
    atMost("soak.rss_growth", f.rssEndMb - f.rssWarmMb, "MB", 10, `${note}; after 5 s warm-up ${f.rssWarmMb.toFixed(0)} MB, at the end ${f.rssEndMb.toFixed(0)} MB`),
    atMost("soak.rss_max", f.rssMaxMb, "MB", 300, "the whole runtime (this process: loop, model, bus; the simulator is its own process)"),
    atMost("soak.deadline_misses", f.missed, "ticks", 0, `of ${f.ticks + f.missed}, over ${f.episodes} episodes (${f.prefixHits} started from the prefix cache); ${slowNote(f)}`),
    ...gcRows("soak", f),
  ];
}

export const benches: Bench[] = [
  { name: "realtime", description: "60 s closed loop at 50 Hz against the real-time simulator: tick jitter and deadline misses", run: ({ quick }) => realtimeRows(quick) },
  { name: "soak", description: "10-minute 50 Hz run: memory growth after warm-up, total memory, deadline misses", run: ({ quick }) => soakRows(quick) },
];
