// `omniloop dataset LOG… --card CARD.json --out DIR`: logs → a training dataset in the layout of
// docs/CONVENTIONS.md, which Python reads with numpy alone: per shard one .npy per column plus
// present/command/episode/step, and index.json. Each episode becomes [command prefix][one token
// per tick][done suffix when it succeeded]. Episodes stream through one at a time and shards are
// written as they fill, so a dataset larger than memory works; an episode never straddles shards.
// The train/val split is a hash of each episode's source and index: the same logs always split
// the same way.
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { ModelCard } from "../omnitoken/card-types.ts";
import { columnOf } from "../omnitoken/card.ts";
import { ByteTokenizer } from "../omnitoken/tokenizer.ts";
import type { Omnitoken } from "../omnitoken/types.ts";
import { LogError } from "./errors.ts";
import { META_TOPIC_MAP } from "./layout.ts";
import { NpyWriter } from "./npy.ts";
import { openLog } from "./reader.ts";
import { SampleStats, sampleEpisodes, type EpisodeInfo, type Undecodable } from "./sampler.ts";
import { defaultTopicMap, validateTopicMap, type TopicMap } from "./topic-map.ts";

export interface DatasetOptions {
  card: ModelCard;
  out: string;
  /** The topic map for every log (default: the one an import stored in the log, else CONVENTIONS). */
  map?: TopicMap;
  /** Fraction of episodes to `val` (default 0.1). */
  valFraction?: number;
  /** Most tokens in one shard (default: what fits ~256 MB). */
  shardTokens?: number;
  onEpisode?: (e: DatasetEpisode) => void;
}

export interface DatasetEpisode {
  id: number;
  source: string;
  task?: string;
  seed?: number;
  command: string;
  outcome: string;
  split: "train" | "val";
  shard: number;
  start: number;
  length: number;
  ticks: number;
}

export interface DatasetIndex {
  format: "omniloop-dataset";
  version: 1;
  card: ModelCard;
  columns: string[];
  shards: { dir: string; tokens: number; episodes: [number, number] }[];
  episodes: DatasetEpisode[];
}

export interface DatasetResult {
  index: DatasetIndex;
  tokens: number;
  /** Per log, per topic: messages that could not be decoded or used. */
  problems: { source: string; undecodable: Undecodable[] }[];
}

export class DatasetError extends LogError {}

interface Row {
  token: Omnitoken;
  command: Float32Array | null;
}

/** Where a row of `u` falls in [0, 1): the split decision, stable across runs and machines. */
export function splitOf(source: string, index: number, valFraction: number): "train" | "val" {
  const h = createHash("sha256").update(`${source}:${index}`).digest();
  return h.readUInt32BE(0) / 2 ** 32 < valFraction ? "val" : "train";
}

export async function exportDataset(logs: readonly string[], opts: DatasetOptions): Promise<DatasetResult> {
  const card = opts.card;
  const textSpec = columnOf(card, "text");
  const actionSpec = columnOf(card, "action");
  const tok = new ByteTokenizer(card.tokenizer);
  const continuous = card.columns.filter((c) => c.kind !== "text");
  const bytesPerToken = 8 + 4 + 4 + 4 * (card.columns.length + continuous.reduce((a, c) => a + c.width, 0) + (actionSpec?.width ?? 0));
  const shardLimit = opts.shardTokens ?? Math.max(1, Math.floor((256 << 20) / bytesPerToken));
  const valFraction = opts.valFraction ?? 0.1;
  mkdirSync(opts.out, { recursive: true });

  const index: DatasetIndex = { format: "omniloop-dataset", version: 1, card, columns: card.columns.map((c) => c.name), shards: [], episodes: [] };
  const problems: DatasetResult["problems"] = [];
  let shard: ShardWriter | undefined;
  let tokens = 0;

  const writeEpisode = (source: string, e: EpisodeInfo, rows: Row[]) => {
    const prefix = textRows(tok.command(e.command), e);
    const suffix = e.outcome === "success" ? textRows([...tok.encode("done"), tok.EOS], e) : [];
    const all = [...prefix, ...rows, ...suffix];
    if (shard && shard.tokens > 0 && shard.tokens + all.length > shardLimit) {
      index.shards.push(shard.close());
      shard = undefined;
    }
    shard ??= new ShardWriter(opts.out, index.shards.length, card);
    const id = index.episodes.length;
    const ep: DatasetEpisode = {
      id,
      source,
      ...(e.task !== undefined ? { task: e.task } : {}),
      ...(e.seed !== undefined ? { seed: e.seed } : {}),
      command: e.command,
      outcome: e.outcome,
      split: splitOf(source, e.index, valFraction),
      shard: index.shards.length,
      start: shard.tokens,
      length: all.length,
      ticks: rows.length,
    };
    all.forEach((r, step) => shard!.append(r, id, step));
    index.episodes.push(ep);
    tokens += all.length;
    opts.onEpisode?.(ep);
  };

  const textRows = (ids: number[], e: EpisodeInfo): Row[] =>
    ids.map((id) => {
      const columns: Omnitoken["columns"] = {};
      for (const c of card.columns) {
        columns[c.name] = c.kind === "text" ? { origin: "observed", data: Int32Array.of(id) } : { origin: "absent", data: new Float32Array(c.width) };
      }
      const sec = Number(e.start / 1_000_000_000n);
      return { token: { step: 0, stamp: { sec, nanosec: Number(e.start % 1_000_000_000n) }, columns }, command: null };
    });

  if (!textSpec) throw new DatasetError(`card ${card.name} has no text column: the episode sequence starts with a text command prefix`);
  for (const path of logs) {
    const log = await openLog(path);
    const map = opts.map ?? (await storedMap(path, log.metadata(), card)) ?? defaultTopicMap(card);
    const stats = new SampleStats();
    let rows: Row[] = [];
    for await (const ev of sampleEpisodes(log, card, map, stats)) {
      if (ev.type === "start") rows = [];
      else if (ev.type === "tick") rows.push({ token: ev.tick.observation, command: ev.tick.command });
      else if (ev.type === "end") writeEpisode(basename(path), ev.episode, rows);
    }
    if (stats.undecodable.size) problems.push({ source: path, undecodable: [...stats.undecodable.values()] });
  }
  if (shard) index.shards.push(shard.close());
  writeFileSync(join(opts.out, "index.json"), JSON.stringify(index, null, 1) + "\n");
  return { index, tokens, problems };
}

async function storedMap(path: string, metadata: Promise<Record<string, Record<string, string>>>, card: ModelCard): Promise<TopicMap | undefined> {
  const json = (await metadata)[META_TOPIC_MAP]?.json;
  return json === undefined ? undefined : validateTopicMap(JSON.parse(json), card, `${path} (its stored topic map)`);
}

/** One shard folder's .npy files, appended token by token. */
class ShardWriter {
  readonly dir: string;
  readonly #card: ModelCard;
  readonly #files: Map<string, NpyWriter>;
  readonly #present: Float32Array;
  readonly #command: Float32Array | undefined;
  #tokens = 0;
  #first = -1;
  #last = -1;

  constructor(root: string, n: number, card: ModelCard) {
    this.dir = `shard-${String(n).padStart(5, "0")}`;
    const d = join(root, this.dir);
    mkdirSync(d, { recursive: true });
    this.#card = card;
    this.#files = new Map();
    for (const c of card.columns) {
      this.#files.set(c.name, c.kind === "text" ? new NpyWriter(join(d, "text_ids.npy"), "int64") : new NpyWriter(join(d, `${c.name}.npy`), "float32", [c.width]));
    }
    const action = columnOf(card, "action");
    if (action) {
      this.#files.set("#command", new NpyWriter(join(d, "command.npy"), "float32", [action.width]));
      this.#command = new Float32Array(action.width);
    }
    this.#files.set("#present", new NpyWriter(join(d, "present.npy"), "float32", [card.columns.length]));
    this.#files.set("#episode", new NpyWriter(join(d, "episode.npy"), "int32"));
    this.#files.set("#step", new NpyWriter(join(d, "step.npy"), "int32"));
    this.#present = new Float32Array(card.columns.length);
  }

  get tokens(): number {
    return this.#tokens;
  }

  append(row: Row, episode: number, step: number): void {
    const f = this.#files;
    this.#card.columns.forEach((c, i) => {
      const cell = row.token.columns[c.name]!;
      this.#present[i] = cell.origin === "absent" ? 0 : 1;
      if (c.kind === "text") f.get(c.name)!.append(BigInt64Array.of(BigInt(cell.data[0]!)));
      else f.get(c.name)!.append(cell.data as Float32Array, 1);
    });
    if (this.#command) {
      if (row.command) this.#command.set(row.command);
      else this.#command.fill(NaN);
      f.get("#command")!.append(this.#command, 1);
    }
    f.get("#present")!.append(this.#present, 1);
    f.get("#episode")!.append(Int32Array.of(episode));
    f.get("#step")!.append(Int32Array.of(step));
    if (this.#first < 0) this.#first = episode;
    this.#last = episode;
    this.#tokens++;
  }

  close(): { dir: string; tokens: number; episodes: [number, number] } {
    for (const w of this.#files.values()) w.close();
    return { dir: this.dir, tokens: this.#tokens, episodes: [this.#first, this.#last] };
  }
}
