// `omniloop import BAG --map MAP.yaml --out LOG.mcap --card CARD.json`: a rosbag2 recording (MCAP,
// .db3 or its bag folder) → an omniloop log with observation omnitokens for the card.
import type { Command } from "commander";
import { loadCard } from "../../omnitoken/card.ts";
import { COMPRESSIONS, type Compression } from "../../log/compression.ts";
import { isInputError } from "../../log/errors.ts";
import { defaultCardPath } from "../../log/layout.ts";
import { importLog, type ImportResult } from "../../log/import.ts";
import { openLog } from "../../log/reader.ts";
import { defaultTopicMap, loadTopicMap } from "../../log/topic-map.ts";
import { progress } from "../progress.ts";
import { CliError } from "../errors.ts";

interface ImportCliOptions {
  map?: string;
  out: string;
  card?: string;
  compression: string;
  json?: boolean;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command("import")
    .description("turn a rosbag2 recording (MCAP, .db3 or bag folder) into an omniloop log with observation omnitokens")
    .argument("<bag>", "BAG.mcap, BAG.db3 or a rosbag2 bag folder")
    .requiredOption("--out <log.mcap>", "the omniloop log to write")
    .option("--card <card.json>", "the model card whose columns the observations fill (default: models/reference/card.json, else sim/card.json)")
    .option("--map <map.yaml>", "which topics feed which columns (default: docs/CONVENTIONS.md topics)")
    .option("--compression <kind>", `chunk compression: ${COMPRESSIONS.join(", ")} (auto: zstd, lz4 for entropy-bound chunks such as noisy camera frames)`, "auto")
    .option("--json", "print the result as JSON")
    .option("--quiet", "no progress lines")
    .action(async (bag: string, opts: ImportCliOptions) => {
      try {
        await run(bag, opts);
      } catch (err) {
        if (isInputError(err)) throw new CliError(`import: ${err.message}`);
        throw err;
      }
    });
}

async function run(bag: string, opts: ImportCliOptions): Promise<void> {
  if (!(COMPRESSIONS as readonly string[]).includes(opts.compression)) {
    throw new CliError(`import: --compression must be one of ${COMPRESSIONS.join(", ")}, found "${opts.compression}"`);
  }
  const cardPath = opts.card ?? defaultCardPath();
  if (!opts.card && !opts.quiet) process.stderr.write(`import: using the card ${cardPath}\n`);
  const card = loadCard(cardPath);
  const map = opts.map ? loadTopicMap(opts.map, card) : defaultTopicMap(card);
  const log = await openLog(bag);
  const bar = progress({ label: "import", total: (await log.summary()).messageCount, unit: "messages", quiet: Boolean(opts.quiet) });
  const result = await importLog(log, bag, {
    out: opts.out,
    card,
    map,
    compression: opts.compression as Compression,
    onMessage: () => bar.tick(),
  });
  bar.stop();
  process.stdout.write(opts.json ? JSON.stringify(result, null, 2) + "\n" : formatImport(bag, result) + "\n");
}

export function formatImport(bag: string, r: ImportResult): string {
  const lines = [`import: ${bag} → ${r.out}: ${r.messages} messages copied, ${r.observations} observations in ${r.episodes} episode(s)`];
  for (const [topic, n] of Object.entries(r.byTopic)) lines.push(`  ${topic}: ${n}`);
  if (r.replacedObservations) lines.push(`  ${r.replacedObservations} observations already in the bag were replaced by ones for this card`);
  for (const u of r.undecodable) lines.push(`  undecodable: ${u.topic} (${u.type || "no type"}): ${u.count} messages (copied as they are): ${u.reason}`);
  for (const u of r.unusable) lines.push(`  not usable for the observation: ${u.topic} (${u.type}): ${u.count} messages: ${u.reason}`);
  if (r.read && !r.read.closedCleanly) lines.push(`  the bag was not closed cleanly; imported what it holds`);
  for (const d of r.read?.damaged ?? []) lines.push(`  damaged: ${d.length} bytes at offset ${d.offset} skipped: ${d.reason}`);
  return lines.join("\n");
}
