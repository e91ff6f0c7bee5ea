// `omniloop replay FILE.mcap`: re-publishes a log (ours, a rosbag2 MCAP, a .db3 bag) on a bus at
// its recorded timing, at a rate factor, or as fast as possible.
import type { Command } from "commander";
import { createBus } from "../../bus/create.ts";
import { isInputError } from "../../log/errors.ts";
import { openLog } from "../../log/reader.ts";
import { replay, type ReplayResult } from "../../log/replay.ts";
import { nonNegative, positive } from "../../log/units.ts";
import { progress } from "../progress.ts";
import { CliError } from "../errors.ts";

interface ReplayCliOptions {
  bus: string;
  rate: string;
  max?: boolean;
  topics?: string;
  start?: string;
  end?: string;
  quiet?: boolean;
  json?: boolean;
  model?: string;
  openLoop?: boolean;
  provider: string;
  map?: string;
  foxglove?: string | true;
}

export function register(program: Command): void {
  program
    .command("replay")
    .description("re-publish a log on a bus at its recorded timing (or --rate R, or --max)")
    .argument("<log>", "FILE.mcap, BAG.db3 or a rosbag2 bag folder")
    .argument("[more...]", "with --open-loop: more logs to score")
    .option("--foxglove [addr]", "serve the replayed log to Foxglove/Lichtblick at [HOST:]PORT (default 127.0.0.1:8765)")
    .option("--open-loop", "score --model against the log instead of publishing it: per-joint action error per episode")
    .option("--model <card.json>", "with --open-loop: the model to score (its card; the .onnx beside it)")
    .option("--provider <name>", "with --open-loop: execution provider", "cpu")
    .option("--map <map.yaml>", "with --open-loop: which topics feed which columns (default: CONVENTIONS)")
    .option("--bus <url>", "where to publish: zmq://HOST:PORT or memory://", "memory://")
    .option("--rate <factor>", "speed over recorded time", "1")
    .option("--max", "as fast as possible, ignoring recorded timing")
    .option("--topics <list>", "comma-separated topics to replay (default: all)")
    .option("--start <s>", "seconds from the log's first message to start at")
    .option("--end <s>", "seconds from the log's first message to stop at")
    .option("--quiet", "no progress lines")
    .option("--json", "print the result as JSON")
    .action(async (file: string, more: string[], opts: ReplayCliOptions) => {
      try {
        if (opts.openLoop) return await openLoop([file, ...more], opts);
        if (more.length) throw new CliError(`replay: one log at a time (got ${1 + more.length}); several are for --open-loop`);
        await run(file, opts);
      } catch (err) {
        if (isInputError(err)) throw new CliError(`replay: ${err.message}`);
        throw err;
      }
    });
}

async function run(file: string, opts: ReplayCliOptions): Promise<void> {
  // Options first: a bad flag is reported before any file is read.
  const rate = positive(opts.rate, "--rate");
  const start = opts.start !== undefined ? nonNegative(opts.start, "--start") : undefined;
  const end = opts.end !== undefined ? nonNegative(opts.end, "--end") : undefined;
  const log = await openLog(file);
  const bus = await createBus(opts.bus);
  const view = opts.foxglove === undefined ? null : await startView(opts.foxglove, bus, file, await log.metadata());
  // A networked bus drops what is published before its link is up: wait for it.
  await (bus as Partial<{ ready(): Promise<void> }>).ready?.();
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const selected = opts.topics?.split(",").map((s) => s.trim()).filter(Boolean);
  const summary = await log.summary();
  const total = summary.topics.filter((t) => !selected || selected.includes(t.topic)).reduce((a, t) => a + t.count, 0);
  const bar = progress({ label: "replay", total, unit: "messages", quiet: Boolean(opts.quiet) });
  const result = await replay(log, bus, {
    rate,
    max: Boolean(opts.max),
    topics: selected,
    ...(start !== undefined ? { start } : {}),
    ...(end !== undefined ? { end } : {}),
    signal: abort.signal,
    onMessage: () => bar.tick(),
  });
  bar.stop();
  process.off("SIGINT", stop);
  process.off("SIGTERM", stop);
  await view?.close();
  await bus.close();
  process.stdout.write(opts.json ? JSON.stringify(result, null, 2) + "\n" : formatResult(file, result) + "\n");
}

/** The live view on the replay's bus, with the card and camera model the log carries. */
async function startView(flag: string | true, bus: import("../../bus/types.ts").Bus, file: string, meta: Record<string, Record<string, string>>) {
  const { startFoxgloveServer } = await import("../../view/foxglove-server.ts");
  const { cameraFromMetadata } = await import("../../view/camera-model.ts");
  const { validateCard } = await import("../../omnitoken/card.ts");
  const { viewAddressFlag } = await import("../view-flag.ts");
  const addr = viewAddressFlag(flag, "replay");
  const cardJson = meta["omniloop.card"]?.json;
  const card = cardJson === undefined ? undefined : validateCard(JSON.parse(cardJson), `${file} (its stored card)`);
  const camera = cameraFromMetadata(meta, file);
  const server = await startFoxgloveServer(bus, { ...addr, ...(card ? { card } : {}), ...(camera ? { camera } : {}) });
  process.stderr.write(`replay: Foxglove live view on ${server.url}\n`);
  return server;
}

async function openLoop(files: string[], opts: ReplayCliOptions): Promise<void> {
  if (!opts.model) throw new CliError("replay --open-loop: give the model to score with --model CARD.json");
  const { OnnxPolicy } = await import("../../policy/onnx-policy.ts");
  const { parseProvider } = await import("../../policy/providers.ts");
  const { scoreOpenLoop } = await import("../open-loop.ts");
  const { loadTopicMap } = await import("../../log/topic-map.ts");
  const log = (line: string) => process.stderr.write(`replay: ${line}\n`);
  const policy = await OnnxPolicy.load({ card: opts.model, provider: parseProvider(opts.provider), log });
  try {
    const bar = progress({ label: "open-loop", total: files.length, unit: "logs", quiet: Boolean(opts.quiet) || files.length < 5 });
    let source = "";
    const result = await scoreOpenLoop(files, policy, {
      ...(opts.map ? { map: loadTopicMap(opts.map, policy.card) } : {}),
      onEpisode: (e) => {
        if (source && e.source !== source) bar.tick();
        source = e.source;
      },
    });
    bar.tick();
    bar.stop();
    if (opts.json) {
      process.stdout.write(JSON.stringify(result, null, 2) + "\n");
      return;
    }
    const names = result.joints.map((j) => j.name);
    const head = ["log", "episode", "task", "ticks", ...names.map((n, i) => `${n} (${result.joints[i]!.unit})`)];
    const rows = result.episodes.map((e) => [e.source.split("/").pop()!, String(e.index), e.task ?? "", `${e.scored}/${e.ticks}`, ...names.map((n) => e.rmse[n]!.toFixed(4))]);
    rows.push(["all", "", "", String(result.episodes.reduce((a, e) => a + e.scored, 0)), ...names.map((n) => result.overall[n]!.toFixed(4))]);
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i]!)).join("  ").trimEnd();
    process.stdout.write(`open-loop action error (RMS per joint) of ${opts.model}\n${[line(head), ...rows.map(line)].join("\n")}\n`);
  } finally {
    await policy.close();
  }
}

export function formatResult(file: string, r: ReplayResult): string {
  const factor = r.wallSeconds > 0 ? r.logSeconds / r.wallSeconds : 0;
  const lines = [
    `replay: ${r.published} messages from ${file}${r.aborted ? " (stopped)" : ""}: ${r.logSeconds.toFixed(3)} s of log in ` +
      `${r.wallSeconds.toFixed(3)} s (${factor.toFixed(1)}× real time); late by median ${r.lateMs.median.toFixed(2)} ms, max ${r.lateMs.max.toFixed(2)} ms`,
  ];
  for (const [topic, count] of Object.entries(r.byTopic)) lines.push(`  ${topic}: ${count}`);
  for (const [topic, n] of Object.entries(r.busDropped)) lines.push(`  the bus dropped ${n} messages of ${topic} (its own count: not connected, or its queue was full)`);
  for (const s of r.skipped) lines.push(`  not published: ${s.topic} (${s.type || "no type"}): ${s.count} messages: ${s.reason}`);
  if (r.read && !r.read.closedCleanly) lines.push(`  the log was not closed cleanly; read what it holds`);
  if (r.read?.lostTailBytes) lines.push(`  lost: an unfinished record of ${r.read.lostTailBytes} bytes at the end`);
  for (const d of r.read?.damaged ?? []) lines.push(`  damaged: ${d.length} bytes at offset ${d.offset} skipped: ${d.reason}`);
  return lines.join("\n");
}
