// `omniloop dataset LOG… --card CARD.json --out DIR`: logs (ours or imported) → a training dataset
// (docs/CONVENTIONS.md layout: .npy per column, presence, episodes, index.json).
import type { Command } from "commander";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadCard } from "../../omnitoken/card.ts";
import { exportDataset } from "../../log/dataset.ts";
import { isInputError } from "../../log/errors.ts";
import { defaultCardPath } from "../../log/layout.ts";
import { loadTopicMap } from "../../log/topic-map.ts";
import { nonNegative, positive } from "../../log/units.ts";
import { CliError } from "../errors.ts";
import { progress } from "../progress.ts";

interface DatasetCliOptions {
  card?: string;
  out: string;
  map?: string;
  val: string;
  shardTokens?: string;
  json?: boolean;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command("dataset")
    .description("export logs as a training dataset (.npy arrays + index.json) that numpy reads")
    .argument("<logs...>", "FILE.mcap, BAG.db3, bag folders, or folders of .mcap files")
    .option("--card <card.json>", "the model card: the columns to fill (default: models/reference/card.json, else sim/card.json)")
    .requiredOption("--out <dir>", "the dataset folder")
    .option("--map <map.yaml>", "which topics feed which columns (default: the log's stored map, else CONVENTIONS)")
    .option("--val <fraction>", "fraction of episodes for validation (hash-split, deterministic)", "0.1")
    .option("--shard-tokens <n>", "most tokens per shard (default: ~256 MB of arrays)")
    .option("--json", "print the index summary as JSON")
    .option("--quiet", "no progress lines")
    .action(async (logs: string[], opts: DatasetCliOptions) => {
      try {
        await run(logs, opts);
      } catch (err) {
        if (isInputError(err)) throw new CliError(`dataset: ${err.message}`);
        throw err;
      }
    });
}

/** A folder without metadata.yaml is a folder of logs: its .mcap files, sorted. */
function expand(paths: string[]): string[] {
  return paths.flatMap((p) => {
    if (!existsSync(p)) throw new CliError(`dataset: ${p}: no such file or folder`);
    if (!statSync(p).isDirectory() || existsSync(join(p, "metadata.yaml"))) return [p];
    const files = readdirSync(p).filter((f) => f.endsWith(".mcap")).sort().map((f) => join(p, f));
    if (files.length === 0) throw new CliError(`dataset: ${p}: a folder with no .mcap files and no metadata.yaml`);
    return files;
  });
}

async function run(logs: string[], opts: DatasetCliOptions): Promise<void> {
  const cardPath = opts.card ?? defaultCardPath();
  if (!opts.card && !opts.quiet) process.stderr.write(`dataset: using the card ${cardPath}\n`);
  const card = loadCard(cardPath);
  const val = nonNegative(opts.val, "--val");
  if (val > 1) throw new CliError(`dataset: --val: expected a fraction in [0, 1], found ${opts.val}`);
  const files = expand(logs);
  const t0 = Date.now();
  const bar = progress({ label: "dataset", total: files.length, unit: "logs", quiet: Boolean(opts.quiet) });
  let source: string | null = null;
  const result = await exportDataset(files, {
    card,
    out: opts.out,
    ...(opts.map ? { map: loadTopicMap(opts.map, card) } : {}),
    valFraction: val,
    ...(opts.shardTokens ? { shardTokens: Math.floor(positive(opts.shardTokens, "--shard-tokens")) } : {}),
    onEpisode: (e) => {
      if (source !== null && e.source !== source) bar.tick(1, `${e.id} episodes`);
      source = e.source;
    },
  });
  bar.tick(1);
  bar.stop();
  const { index } = result;
  if (opts.json) {
    process.stdout.write(JSON.stringify({ tokens: result.tokens, shards: index.shards, episodes: index.episodes.length, problems: result.problems }, null, 2) + "\n");
    return;
  }
  const val_n = index.episodes.filter((e) => e.split === "val").length;
  const lines = [
    `dataset: ${opts.out}: ${index.episodes.length} episodes (${index.episodes.length - val_n} train, ${val_n} val), ` +
      `${result.tokens} tokens in ${index.shards.length} shard(s), from ${files.length} log(s) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  ];
  for (const p of result.problems) for (const u of p.undecodable) lines.push(`  ${p.source}: ${u.topic}: ${u.count} messages not usable: ${u.reason}`);
  process.stdout.write(lines.join("\n") + "\n");
}
