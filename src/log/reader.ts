// Opening a log: an MCAP file (ours or rosbag2's), a rosbag2 .db3, or a rosbag2 bag folder. Every
// kind reads through one interface, so inspect, replay, import and dataset export never ask which.
// MCAP messages always come from a front-to-back scan (one code path for clean and crashed files,
// memory bounded by one chunk); a clean file's summary only makes `summary()` instant and lets the
// scan skip chunks outside a time range.
import { McapIndexedReader, MCAP_MAGIC } from "@mcap/core";
import type { IReadable, TypedMcapRecords } from "@mcap/core";
import { existsSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import type { ChannelInfo } from "./decode.ts";
import { decompressHandlers, loadCodecs } from "./compression.ts";
import { LogError } from "./errors.ts";
import { McapScanner, type Damage, type ScanReport } from "./mcap-scan.ts";
import { topicSpans, type Span } from "./topic-spans.ts";

export interface LogChannel extends ChannelInfo {
  id: number;
}

export interface LogMessage {
  channel: LogChannel;
  logTime: bigint;
  publishTime: bigint;
  sequence: number;
  data: Uint8Array;
}

export interface ReadOptions {
  topics?: readonly string[];
  /** Inclusive log-time range, ns since the epoch. */
  start?: bigint;
  end?: bigint;
}

export interface TopicSummary {
  topic: string;
  type: string;
  messageEncoding: string;
  count: number;
  first?: bigint;
  last?: bigint;
}

/** What a file a crash left behind still gave. */
export interface Recovery {
  reason: string;
  messages: number;
  fileBytes: number;
  bytesRead: number;
  /** Bytes of an unfinished record at the end (what the crash cut off mid-write). */
  lostTailBytes: number;
  damaged: Damage[];
}

export interface LogSummary {
  path: string;
  format: "mcap" | "rosbag2-db3";
  profile?: string;
  library?: string;
  bytes: number;
  closedCleanly: boolean;
  messageCount: number;
  start?: bigint;
  end?: bigint;
  topics: TopicSummary[];
  metadata: Record<string, Record<string, string>>;
  /** Chunk compressions in file order of first use ("none": stored uncompressed), and how many
   * chunks each: a log recorded with adaptive compression mixes them (compression.ts). */
  chunks?: { count: number; compression: string[]; byCompression: Record<string, number> };
  /** For a file not closed cleanly, or one with damaged records: what was read. */
  recovery?: Recovery;
}

export interface LogReader {
  readonly path: string;
  readonly format: LogSummary["format"];
  /** Cheap for a cleanly closed MCAP (its summary); a full scan otherwise. */
  summary(opts?: { scan?: boolean }): Promise<LogSummary>;
  /** Messages in file order (the order they were recorded). Deterministic. */
  messages(opts?: ReadOptions): AsyncGenerator<LogMessage>;
  /** Metadata records by name. */
  metadata(): Promise<Record<string, Record<string, string>>>;
  /** After a `messages()` pass: whether the file was closed cleanly and what could not be read. */
  readReport(): ReadReport | undefined;
}

export interface ReadReport {
  closedCleanly: boolean;
  damaged: Damage[];
  lostTailBytes: number;
}

export class LogOpenError extends LogError {}

/** Opens FILE.mcap, BAG.db3, or a rosbag2 bag folder (with metadata.yaml). */
export async function openLog(path: string): Promise<LogReader> {
  if (!existsSync(path)) throw new LogOpenError(`${path}: no such file or folder`);
  if (statSync(path).isDirectory() || path.endsWith(".db3") || path.endsWith(".yaml")) {
    const { openRosbag2 } = await import("./rosbag2-db3.ts");
    return openRosbag2(path);
  }
  return McapLog.open(path);
}

interface Index {
  header: TypedMcapRecords["Header"];
  schemas: TypedMcapRecords["Schema"][];
  channels: TypedMcapRecords["Channel"][];
  statistics?: TypedMcapRecords["Statistics"];
  chunkIndexes: readonly TypedMcapRecords["ChunkIndex"][];
  metadata: Record<string, Record<string, string>>;
  spans: Map<number, Span>;
}

class McapLog implements LogReader {
  readonly format = "mcap" as const;
  readonly path: string;
  /** The file's summary, when it was closed cleanly; otherwise why it is not usable. */
  readonly #index: Index | undefined;
  readonly #whyNoIndex: string;
  #channels = new Map<number, LogChannel>();
  #lastScan: ScanReport | undefined;

  private constructor(path: string, index: Index | undefined, whyNoIndex: string) {
    this.path = path;
    this.#index = index;
    this.#whyNoIndex = whyNoIndex;
    if (index) for (const c of index.channels) this.#channels.set(c.id, toChannel(c, index.schemas));
  }

  static async open(path: string): Promise<McapLog> {
    await loadCodecs();
    const fh = await open(path, "r");
    try {
      const size = BigInt((await fh.stat()).size);
      const readable: IReadable = {
        size: async () => size,
        read: async (offset, length) => {
          const buf = new Uint8Array(Number(length));
          await fh.read(buf, 0, buf.length, Number(offset));
          return buf;
        },
      };
      try {
        const r = await McapIndexedReader.Initialize({ readable, decompressHandlers });
        const metadata: Record<string, Record<string, string>> = {};
        for await (const m of r.readMetadata()) metadata[m.name] = Object.fromEntries(m.metadata);
        const index: Index = {
          header: r.header,
          schemas: [...r.schemasById.values()].map((s) => ({ ...s, type: "Schema" as const })),
          channels: [...r.channelsById.values()].map((c) => ({ ...c, type: "Channel" as const })),
          statistics: r.statistics,
          chunkIndexes: r.chunkIndexes,
          metadata,
          spans: await topicSpans(readable.read, r.chunkIndexes),
        };
        return new McapLog(path, index, "");
      } catch (err) {
        const tail = await readable.read(size >= 8n ? size - 8n : 0n, size >= 8n ? 8n : size);
        const closed = tail.length === 8 && MCAP_MAGIC.every((b, i) => tail[i] === b);
        const why = closed
          ? `its summary does not read: ${(err as Error).message.replace(/ \[library=.*\]$/, "")}`
          : "no footer: the file ends without MCAP's closing magic (the recorder was killed, or is still writing)";
        return new McapLog(path, undefined, why);
      }
    } finally {
      await fh.close();
    }
  }

  async *messages(opts: ReadOptions = {}): AsyncGenerator<LogMessage> {
    const wanted = opts.topics ? new Set(opts.topics) : undefined;
    const scanner = new McapScanner(this.path, {
      start: opts.start,
      end: opts.end,
      known: this.#index ? { schemas: this.#index.schemas, channels: this.#index.channels } : undefined,
    });
    const schemas = new Map<number, TypedMcapRecords["Schema"]>(this.#index?.schemas.map((s) => [s.id, s]));
    try {
      for await (const r of scanner.records()) {
        if (r.type === "Schema") schemas.set(r.id, r);
        else if (r.type === "Channel") {
          if (!this.#channels.has(r.id)) this.#channels.set(r.id, toChannel(r, [...schemas.values()]));
        } else if (r.type === "Message") {
          const channel = this.#channels.get(r.channelId)!;
          if (wanted && !wanted.has(channel.topic)) continue;
          if ((opts.start !== undefined && r.logTime < opts.start) || (opts.end !== undefined && r.logTime > opts.end)) continue;
          yield { channel, logTime: r.logTime, publishTime: r.publishTime, sequence: r.sequence, data: r.data };
        }
      }
    } finally {
      this.#lastScan = scanner.report;
    }
  }

  readReport(): ReadReport | undefined {
    const s = this.#lastScan;
    if (!s) return undefined;
    return { closedCleanly: this.#index !== undefined, damaged: s.damaged, lostTailBytes: s.truncatedTail?.bytes ?? 0 };
  }

  async metadata(): Promise<Record<string, Record<string, string>>> {
    if (this.#index) return this.#index.metadata;
    const out: Record<string, Record<string, string>> = {};
    for await (const r of new McapScanner(this.path).records()) {
      if (r.type === "Metadata") out[r.name] = Object.fromEntries(r.metadata);
    }
    return out;
  }

  async summary(opts: { scan?: boolean } = {}): Promise<LogSummary> {
    const ix = this.#index;
    if (ix && !opts.scan) return this.#summaryFromIndex(ix);
    return this.#summaryFromScan();
  }

  #summaryFromIndex(ix: Index): LogSummary {
    const stats = ix.statistics;
    const topics: TopicSummary[] = [...this.#channels.values()].map((c) => ({
      topic: c.topic,
      type: c.type,
      messageEncoding: c.messageEncoding,
      count: Number(stats?.channelMessageCounts.get(c.id) ?? 0n),
      ...ix.spans.get(c.id),
    }));
    const byCompression: Record<string, number> = {};
    for (const c of ix.chunkIndexes) byCompression[c.compression || "none"] = (byCompression[c.compression || "none"] ?? 0) + 1;
    const compression = Object.keys(byCompression);
    const count = Number(stats?.messageCount ?? 0n);
    return {
      path: this.path,
      format: "mcap",
      profile: ix.header.profile,
      library: ix.header.library,
      bytes: statSync(this.path).size,
      closedCleanly: true,
      messageCount: count,
      ...(count > 0 && stats ? { start: stats.messageStartTime, end: stats.messageEndTime } : {}),
      topics,
      metadata: ix.metadata,
      chunks: { count: ix.chunkIndexes.length, compression, byCompression },
    };
  }

  async #summaryFromScan(): Promise<LogSummary> {
    const scanner = new McapScanner(this.path);
    const schemas: TypedMcapRecords["Schema"][] = [];
    const channels = new Map<number, LogChannel>();
    const topics = new Map<number, TopicSummary>();
    const metadata: Record<string, Record<string, string>> = {};
    let header: TypedMcapRecords["Header"] | undefined;
    let count = 0;
    let start: bigint | undefined;
    let end: bigint | undefined;
    for await (const r of scanner.records()) {
      switch (r.type) {
        case "Header":
          header = r;
          break;
        case "Schema":
          schemas.push(r);
          break;
        case "Channel":
          channels.set(r.id, toChannel(r, schemas));
          break;
        case "Metadata":
          metadata[r.name] = Object.fromEntries(r.metadata);
          break;
        case "Message": {
          count++;
          const ch = channels.get(r.channelId)!;
          let t = topics.get(r.channelId);
          if (!t) topics.set(r.channelId, (t = { topic: ch.topic, type: ch.type, messageEncoding: ch.messageEncoding, count: 0 }));
          t.count++;
          if (t.first === undefined || r.logTime < t.first) t.first = r.logTime;
          if (t.last === undefined || r.logTime > t.last) t.last = r.logTime;
          if (start === undefined || r.logTime < start) start = r.logTime;
          if (end === undefined || r.logTime > end) end = r.logTime;
          break;
        }
        default:
          break;
      }
    }
    const rep = scanner.report;
    const summary: LogSummary = {
      path: this.path,
      format: "mcap",
      ...(header ? { profile: header.profile, library: header.library } : {}),
      bytes: rep.fileBytes,
      closedCleanly: this.#index !== undefined,
      messageCount: count,
      ...(start !== undefined ? { start, end } : {}),
      topics: [...channels.values()].map(
        (c) => topics.get(c.id) ?? { topic: c.topic, type: c.type, messageEncoding: c.messageEncoding, count: 0 },
      ),
      metadata,
    };
    if (!this.#index || rep.damaged.length > 0) {
      summary.recovery = {
        reason: this.#index ? `${rep.damaged.length} damaged record(s)` : this.#whyNoIndex || "no summary",
        messages: count,
        fileBytes: rep.fileBytes,
        bytesRead: rep.bytesRead,
        lostTailBytes: rep.truncatedTail?.bytes ?? 0,
        damaged: rep.damaged,
      };
    }
    return summary;
  }
}

function toChannel(c: TypedMcapRecords["Channel"], schemas: readonly TypedMcapRecords["Schema"][]): LogChannel {
  const s = schemas.find((x) => x.id === c.schemaId);
  return {
    id: c.id,
    topic: c.topic,
    type: s?.name ?? "",
    messageEncoding: c.messageEncoding,
    schemaEncoding: s?.encoding ?? "",
    schemaData: s?.data ?? new Uint8Array(0),
  };
}
