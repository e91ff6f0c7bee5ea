// Side-by-side variants of the log figures (issue "Logs"), for choosing how chunks are compressed:
// the same end-to-end paths as log.bench.ts (memory bus → recordBus → Recorder → MCAP file;
// openLog → replay --max → memory bus), run in interleaved rounds so that every variant sees the
// same machine load, each figure the median of its rounds. Variants: which zstd compresses
// (native binding or WebAssembly), how many chunk worker threads (0: everything inline on the main
// thread, the way the recorder and reader worked before the pool), zstd level, lz4 for every chunk
// and "auto" (the recorder's default: lz4 for chunks a zstd sample shows to be entropy-bound,
// zstd for the rest), and
// adaptive compression on and off (`no-adaptive`: every chunk compressed, however little it gives)
// on noisy frames, which still compress (what the sample costs there), and on random frames, which
// do not (what storing them raw saves). Informative rows only: the targets are checked by
// log-record and log-replay.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { info, type Bench, type BenchResult } from "../../src/cli/bench-types.ts";
import { MemoryBus } from "../../src/bus/memory.ts";
import type { Image } from "../../src/messages/types.ts";
import { recordBus } from "../../src/log/bus-recorder.ts";
import { codecInfo, configureCodecs, type Compression } from "../../src/log/compression.ts";
import { openLog } from "../../src/log/reader.ts";
import { Recorder } from "../../src/log/recorder.ts";
import { replay } from "../../src/log/replay.ts";
import { IMAGE, JOINTS, joint, publishStream, randomFrames, simFrames, withNoise } from "./camera-stream.ts";



/** CPU seconds of this process (all threads) and of its main thread alone (Linux schedstat; NaN
 * elsewhere). With other load on the machine, wall time says little; CPU time still says how much
 * work a variant does, and the main thread's share how well it spreads over cores: on an idle
 * machine with `cores` cores a run takes at least max(main, total / cores). */
interface Cpu {
  total: number;
  main: number;
}
const schedstat = `/proc/self/task/${process.pid}/schedstat`;
const mainCpuNs = () => (existsSync(schedstat) ? Number(readFileSync(schedstat, "utf8").split(" ")[0]) : NaN);
function cpuFrom(): () => Cpu {
  const u0 = process.cpuUsage();
  const m0 = mainCpuNs();
  return () => {
    const u = process.cpuUsage(u0);
    return { total: (u.user + u.system) / 1e6, main: (mainCpuNs() - m0) / 1e9 };
  };
}

interface Run {
  factor: number;
  cpu: Cpu;
  seconds: number;
}

function summarize(name: string, runs: Run[], note: string, log: (line: string) => void): BenchResult[] {
  const f = median(runs.map((r) => r.factor));
  const total = median(runs.map((r) => r.seconds / r.cpu.total));
  const main = median(runs.map((r) => r.seconds / r.cpu.main));
  const bound = median(runs.map((r) => r.seconds / Math.max(r.cpu.main, r.cpu.total / 2)));
  log(`${name}: ${f.toFixed(1)}× wall (${runs.map((r) => r.factor.toFixed(1)).join(" ")}); ${total.toFixed(1)}× per CPU s, main thread ${main.toFixed(1)}×, 2-core bound ${bound.toFixed(1)}×${note ? `; ${note}` : ""}`);
  return [
    info(`variants.${name}`, f, "x realtime", `wall, median of ${runs.length}${note ? `; ${note}` : ""}`),
    info(`variants.${name}.per_cpu_s`, total, "x realtime", "stream seconds per CPU second, all threads"),
    info(`variants.${name}.two_core_bound`, bound, "x realtime", "stream seconds / max(main-thread CPU, all CPU / 2): the idle 2-core figure at best"),
  ];
}

interface Variant {
  label: string;
  zstd: "native" | "wasm";
  workers: number;
  compression?: Compression;
  level?: number;
  /** Adaptive chunk compression (default on). */
  adaptive?: boolean;
}

async function recordOnce(frames: Image[], seconds: number, out: string, v: Variant): Promise<Run & { bytes: number }> {
  const cpu = cpuFrom();
  const bus = new MemoryBus();
  const recorder = await Recorder.open({ out, compression: v.compression ?? "zstd", zstdLevel: v.level ?? 1, adaptiveCompression: v.adaptive ?? true });
  const rec = recordBus(bus, [IMAGE, JOINTS], recorder);
  const t0 = process.hrtime.bigint();
  const published = publishStream(bus, frames, seconds);
  const result = await rec.stop();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const recorded = Object.values(result.counts).reduce((a, b) => a + b, 0);
  if (recorded !== published) throw new Error(`${v.label}: recorded ${recorded} of ${published}`);
  return { factor: seconds / wall, cpu: cpu(), seconds, bytes: result.recording.bytes };
}

async function writeTimedLog(frames: Image[], seconds: number, out: string, compression: Compression, adaptive = true): Promise<void> {
  const rec = await Recorder.open({ out, compression, timer: false, adaptiveCompression: adaptive });
  const T0 = 1_700_000_000_000_000_000n;
  for (let k = 0; k < seconds * 300; k++) {
    const t = T0 + BigInt(k) * 3_333_333n;
    if (k % 10 === 0) rec.write(IMAGE, frames[(k / 10) % frames.length]!, t);
    if (k % 3 === 0) rec.write(JOINTS, joint(k), t);
  }
  rec.close();
}

async function replayOnce(path: string, images: number): Promise<Run> {
  const cpu = cpuFrom();
  const bus = new MemoryBus();
  let n = 0;
  bus.subscribe(IMAGE).subscribe(() => n++);
  const r = await replay(await openLog(path), bus, { max: true });
  if (n !== images) throw new Error(`replay delivered ${n} images, expected ${images}`);
  return { factor: r.logSeconds / r.wallSeconds, cpu: cpu(), seconds: r.logSeconds };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Runs `run` for every variant, round after round, and returns each variant's values. Where a
 * variant's codecs differ from the last run's, they are reconfigured (a new worker pool) and warmed
 * by one run that is not counted (JIT, worker start, WebAssembly tier-up, page cache), so every
 * counted run finds a warm pool: variants that share codecs and differ in something else (level,
 * adaptive, the log read) compare like for like. */
async function interleaved<T>(variants: Variant[], rounds: number, run: (v: Variant) => Promise<T>): Promise<Map<string, T[]>> {
  const out = new Map<string, T[]>(variants.map((v) => [v.label, []]));
  let current = "";
  const configured = async (v: Variant) => {
    if (current === `${v.zstd}/${v.workers}`) return;
    current = `${v.zstd}/${v.workers}`;
    configureCodecs({ zstd: v.zstd, workers: v.workers });
    await run(v);
  };
  for (const v of variants) {
    await configured(v);
    await run(v); // warm-up: this variant's own first run (page cache, its level's encoder)
  }
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) {
      await configured(v);
      out.get(v.label)!.push(await run(v));
    }
  }
  configureCodecs({});
  return out;
}

export const benches: Bench[] = [
  {
    name: "log-variants",
    description: "record / replay --max variants side by side: native vs wasm zstd, worker threads, zstd level, lz4",
    async run({ quick, log }) {
      const dir = mkdtempSync(join(tmpdir(), "omniloop-bench-variants-"));
      const rows: BenchResult[] = [];
      const rounds = quick ? 1 : 5;
      try {
        configureCodecs({});
        const probe = codecInfo();
        log(`codecs: zstd ${probe.zstd}${probe.zstdReason ? ` (${probe.zstdReason})` : ""}, ${probe.workers} workers`);
        const sim = await simFrames();
        const noisy = withNoise(sim);
        const random = randomFrames(sim);
        // wasm.inline is the recorder as it was before the native zstd and the workers.
        const recordVariants: Variant[] = [
          { label: "wasm.inline", zstd: "wasm", workers: 0 },
          { label: "native.inline", zstd: "native", workers: 0 },
          { label: "native.w2", zstd: "native", workers: 2 },
          { label: "native.w2.level-3", zstd: "native", workers: 2, level: -3 },
          { label: "native.w2.no-adaptive", zstd: "native", workers: 2, adaptive: false },
          { label: "native.w2.lz4", zstd: "native", workers: 2, compression: "lz4" },
          { label: "native.w2.auto", zstd: "native", workers: 2, compression: "auto" },
        ];
        const adaptiveVariants: Variant[] = [
          { label: "native.w2", zstd: "native", workers: 2 },
          { label: "native.w2.no-adaptive", zstd: "native", workers: 2, adaptive: false },
        ];
        const seconds = quick ? 2 : 10;
        for (const [name, frames, variants] of [["noisy_camera", noisy, recordVariants], ["random_camera", random, adaptiveVariants]] as const) {
          const out = join(dir, `${name}.mcap`);
          const got = await interleaved(variants, rounds, (v) => recordOnce(frames, seconds, out, v));
          for (const v of variants) {
            const runs = got.get(v.label)!;
            rows.push(...summarize(`record.${name}.${v.label}`, runs, `${(runs[0]!.bytes / 1e6).toFixed(0)} MB on disk`, log));
          }
        }
        // Each log's compressions are replayed in the same rounds (every one sees the same load):
        // the log written in compression `c` is replayed as variant `c.inline` and `c.w2`.
        const logSeconds = quick ? 3 : 20;
        for (const [name, frames, compressions] of [["sim_camera", sim, ["zstd", "auto"]], ["noisy_camera", noisy, ["zstd", "lz4", "auto"]]] as const) {
          const pathOf = (c: Compression) => join(dir, `${name}-${c}.mcap`);
          configureCodecs({});
          for (const c of compressions) await writeTimedLog(frames, logSeconds, pathOf(c), c);
          const replayVariants: Variant[] = [0, 2].flatMap((workers) =>
            compressions.map((c): Variant => ({ label: `${c}.${workers === 0 ? "inline" : "w2"}`, zstd: "native", workers, compression: c })),
          );
          const got = await interleaved(replayVariants, rounds, (v) => replayOnce(pathOf(v.compression!), logSeconds * 30));
          for (const v of replayVariants) rows.push(...summarize(`replay.${name}.${v.label}`, got.get(v.label)!, "", log));
        }
        // Random frames recorded with and without adaptive compression: raw chunks or zstd ones.
        const randomLogs: Variant[] = [
          { label: "w2", zstd: "native", workers: 2 },
          { label: "w2.no-adaptive", zstd: "native", workers: 2, adaptive: false },
        ];
        const randomPath = (v: Variant) => join(dir, `random_camera-${v.label}.mcap`);
        configureCodecs({});
        for (const v of randomLogs) await writeTimedLog(random, logSeconds, randomPath(v), "zstd", v.adaptive ?? true);
        const got = await interleaved(randomLogs, rounds, (v) => replayOnce(randomPath(v), logSeconds * 30));
        for (const v of randomLogs) rows.push(...summarize(`replay.random_camera.zstd.${v.label}`, got.get(v.label)!, "", log));
      } finally {
        configureCodecs({});
        rmSync(dir, { recursive: true, force: true });
      }
      return rows;
    },
  },
];
