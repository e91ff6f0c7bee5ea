// `omniloop record --bus URL --topics … --out FILE.mcap`: records a running bus into MCAP until
// Ctrl-C (or --duration), then closes the file cleanly. `--sim --expert --episodes N --out DIR`
// records simulated expert episodes, one MCAP each; `--sim --model CARD` model-driven episodes
// labelled by the expert (DAgger).
import { existsSync } from "node:fs";
import type { Command } from "commander";
import { createBus } from "../../bus/create.ts";
import { loadCard } from "../../omnitoken/card.ts";
import type { ModelCard } from "../../omnitoken/card-types.ts";
import { recordBus } from "../../log/bus-recorder.ts";
import { COMPRESSIONS, type Compression } from "../../log/compression.ts";
import { Recorder } from "../../log/recorder.ts";
import { isInputError } from "../../log/errors.ts";
import { parseTopics } from "../../log/topics.ts";
import { parseSize, positive } from "../../log/units.ts";
import { progress } from "../progress.ts";
import { CliError } from "../errors.ts";

interface RecordOptions {
  json?: boolean;
  bus?: string;
  topics?: string;
  out: string;
  card?: string;
  compression: string;
  zstdLevel: string;
  adaptiveCompression: boolean;
  chunkSize: string;
  flushMs: string;
  rotateSize?: string;
  rotateDuration?: string;
  duration?: string;
  sim?: boolean;
  expert?: boolean;
  model?: string;
  episodes?: string;
  expertNoise?: string;
  seed?: string;
  task?: string;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command("record")
    .description("record a running bus (or simulated expert episodes) into MCAP logs")
    .requiredOption("--out <path>", "FILE.mcap (with --sim: a folder, one MCAP per episode)")
    .option("--bus <url>", "the bus to record: zmq://HOST:PORT or memory://")
    .option("--topics <list>", "comma-separated topics (default: every topic in docs/CONVENTIONS.md); other topics as NAME:TYPE")
    .option("--card <card.json>", "model card: the schema of omnitoken topics, stored in the log")
    .option("--compression <kind>", `chunk compression: ${COMPRESSIONS.join(", ")} (auto: zstd, lz4 for entropy-bound chunks such as noisy camera frames)`, "auto")
    .option("--zstd-level <n>", "zstd level: up to 19 for smaller files, negative for speed (-1: about twice as fast on noisy camera images)", "1")
    .option("--no-adaptive-compression", "compress every chunk, even one that compression does not shrink by a tenth (by default such a chunk is stored uncompressed)")
    .option("--chunk-size <bytes>", "close a chunk past this size (K/M/G suffixes)", "4M")
    .option("--flush-ms <ms>", "close a chunk once its oldest message waited this long (the most a crash loses)", "500")
    .option("--rotate-size <bytes>", "start a new file past this size (files FILE_0.mcap, FILE_1.mcap, …)")
    .option("--rotate-duration <s>", "start a new file after this many seconds")
    .option("--duration <s>", "stop after this many seconds (default: until Ctrl-C)")
    .option("--json", "print what was recorded as JSON")
    .option("--sim", "record the built-in simulator instead of a bus")
    .option("--expert", "with --sim: the scripted expert drives")
    .option("--model <card.json>", "with --sim: the model drives through the closed loop, and the expert's command for every state it visits is logged beside (DAgger labels)")
    .option("--episodes <n>", "with --sim: how many episodes", "1")
    .option("--expert-noise <caps>", "with --sim --expert: DART noise, Gaussian, in per-tick step caps per joint (e.g. 0.5)", "0")
    .option("--seed <n>", "with --sim: the first episode's seed", "0")
    .option("--task <name>", "with --sim: reach, push, or all (alternating)", "all")
    .option("--quiet", "no progress lines")
    .action(async (opts: RecordOptions) => {
      try {
        if (opts.sim) return await recordSim(opts);
        if (!opts.bus) throw new CliError("record: give --bus URL (or --sim --expert for simulated episodes)");
        await recordFromBus(opts);
      } catch (err) {
        if (isInputError(err)) throw new CliError(`record: ${err.message}`);
        throw err;
      }
    });
}

function zstdLevel(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < -22 || n > 22 || n === 0) throw new CliError(`record: --zstd-level: expected an integer in -22..-1 or 1..22, found "${text}"`);
  return n;
}

function cardOption(path: string | undefined): ModelCard | undefined {
  return path ? loadCard(path) : undefined;
}

async function recordFromBus(opts: RecordOptions): Promise<void> {
  if (!(COMPRESSIONS as readonly string[]).includes(opts.compression)) {
    throw new CliError(`record: --compression must be one of ${COMPRESSIONS.join(", ")}, found "${opts.compression}"`);
  }
  const topics = parseTopics(opts.topics);
  const card = cardOption(opts.card);
  const bus = await createBus(opts.bus!);
  const recorder = await Recorder.open({
    out: opts.out,
    compression: opts.compression as Compression,
    zstdLevel: zstdLevel(opts.zstdLevel),
    adaptiveCompression: opts.adaptiveCompression,
    chunkBytes: parseSize(opts.chunkSize, "--chunk-size"),
    flushIntervalMs: positive(opts.flushMs, "--flush-ms"),
    ...(opts.rotateSize ? { rotateBytes: parseSize(opts.rotateSize, "--rotate-size") } : {}),
    ...(opts.rotateDuration ? { rotateSeconds: positive(opts.rotateDuration, "--rotate-duration") } : {}),
    card,
    config: { command: "record", bus: opts.bus, topics: topics.map((t) => `${t.name}:${t.type}`) },
  });
  const rec = recordBus(bus, topics, recorder);
  // On a networked bus a subscription goes live a moment after it is made: wait for each.
  const ready = (bus as Partial<{ ready(topic: (typeof topics)[number]): Promise<void> }>).ready;
  if (ready) for (const t of topics) await ready.call(bus, t);
  if (!opts.quiet) process.stderr.write(`record: ${topics.length} topics from ${opts.bus} into ${opts.out} (Ctrl-C to stop)\n`);
  const started = Date.now();
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    process.once("SIGINT", done);
    process.once("SIGTERM", done);
    if (opts.duration) setTimeout(done, positive(opts.duration, "--duration") * 1000);
    if (!opts.quiet) {
      const every = setInterval(() => {
        const counts = rec.counts();
        const n = Object.values(counts).reduce((a, b) => a + b, 0);
        process.stderr.write(`record: ${n} messages in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
      }, 5000);
      every.unref();
    }
  });
  const result = await rec.stop();
  await bus.close();
  const lines = [`record: ${result.recording.messages} messages into ${result.recording.files.join(", ")} (${(result.recording.bytes / 1e6).toFixed(1)} MB)`];
  for (const [topic, n] of Object.entries(result.counts)) lines.push(`  ${topic}: ${n}`);
  for (const [topic, s] of Object.entries(result.bus)) {
    if (s.dropped || s.malformed) lines.push(`  ${topic}: the bus dropped ${s.dropped} and refused ${s.malformed} malformed messages`);
  }
  for (const e of result.errors) lines.push(`  not recorded: ${e}`);
  if (opts.json) {
    process.stdout.write(JSON.stringify({ ...result.recording, counts: result.counts, bus: result.bus, errors: result.errors }, null, 2) + "\n");
    return;
  }
  process.stdout.write(lines.join("\n") + "\n");
}

function expertNoise(text: string): number {
  const v = Number(text);
  if (text.trim() === "" || !(v >= 0 && v <= 2)) throw new CliError(`--expert-noise ${text}: expected a number of step caps in 0..2`);
  return v;
}

async function recordSim(opts: RecordOptions): Promise<void> {
  if (opts.expert && opts.model) throw new CliError("record --sim: give --expert (the scripted expert drives) or --model CARD (the model drives, DAgger), not both");
  if (!opts.expert && !opts.model) throw new CliError("record --sim: say who drives: --expert, or --model CARD (the model drives and the expert labels each state)");
  const episodes = positive(opts.episodes ?? "1", "--episodes");
  if (opts.model) return recordModelDriven(opts, episodes);
  const { recordExpertEpisodes } = await import("../../log/sim-record.ts");
  const bar = progress({ label: "record", total: episodes, unit: "episodes", quiet: Boolean(opts.quiet) });
  const result = await recordExpertEpisodes({
    episodes,
    seed: Number(opts.seed ?? 0),
    task: (opts.task ?? "all") as "all",
    outDir: opts.out,
    card: cardOption(opts.card),
    noise: expertNoise(opts.expertNoise ?? "0"),
    onEpisode: (e) => bar.tick(1, e.outcome),
  });
  bar.stop();
  if (opts.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + "\n");
    return;
  }
  for (const e of result) process.stdout.write(`${e.file}: seed ${e.seed}, ${e.messages} messages, outcome ${e.outcome}\n`);
}

/** DAgger: the model drives, the expert's command for each visited state is logged beside. */
async function recordModelDriven(opts: RecordOptions, episodes: number): Promise<void> {
  if (Number(opts.expertNoise ?? 0) !== 0) throw new CliError("record --sim --model: --expert-noise applies to --expert episodes only");
  const model = opts.model!;
  if (!existsSync(model)) throw new CliError(`record --sim --model ${model}: no such card`);
  const { recordPolicyEpisodes } = await import("../../log/sim-record.ts");
  const { OnnxPolicy } = await import("../../policy/onnx-policy.ts");
  const policy = await OnnxPolicy.load({ card: model, provider: "cpu", log: (line) => process.stderr.write(`record: ${line}\n`) });
  const bar = progress({ label: "record", total: episodes, unit: "episodes", quiet: Boolean(opts.quiet) });
  try {
    const result = await recordPolicyEpisodes({
      policy,
      episodes,
      seed: Number(opts.seed ?? 0),
      task: (opts.task ?? "all") as "all",
      outDir: opts.out,
      card: cardOption(opts.card) ?? policy.card,
      onEpisode: (e) => bar.tick(1, e.outcome),
    });
    bar.stop();
    if (opts.json) process.stdout.write(JSON.stringify(result, null, 2) + "\n");
    else for (const e of result) process.stdout.write(`${e.file}: seed ${e.seed}, ${e.messages} messages, outcome ${e.outcome}\n`);
  } finally {
    await policy.close();
  }
}
