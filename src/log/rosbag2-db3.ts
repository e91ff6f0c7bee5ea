// rosbag2's SQLite storage (the default before ROS 2 Iron): a bag folder with metadata.yaml and
// one or more .db3 files, or a lone .db3. Read with sql.js (SQLite in wasm, no build scripts),
// which holds each .db3 in memory while it is read — files are taken one at a time.
// Tables: topics(id, name, type, serialization_format, offered_qos_profiles, …) and
// messages(id, topic_id, timestamp, data); Iron and later add message_definitions(topic_type,
// encoding, encoded_message_definition, …), used when present. Without it a .db3 carries no
// schemas, so CDR is read with omniloop's own definitions and other types are undecodable.
import initSqlJs, { type Database, type SqlJsStatic } from "sql.js";
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import YAML from "yaml";
import type { LogChannel, LogMessage, LogReader, LogSummary, ReadOptions, ReadReport, TopicSummary } from "./reader.ts";
import { LogOpenError } from "./reader.ts";

const encoder = new TextEncoder();
let sql: Promise<SqlJsStatic> | undefined;

interface BagFiles {
  /** The bag folder's metadata.yaml, when there is one (rosbag2 writes it on a clean close). */
  metadataPath?: string;
  metadata?: Record<string, unknown>;
  files: string[];
}

function locate(path: string): BagFiles {
  const dir = statSync(path).isDirectory() ? path : dirname(path);
  const metadataPath = path.endsWith(".yaml") ? path : join(dir, "metadata.yaml");
  const hasMeta = existsSync(metadataPath);
  let metadata: Record<string, unknown> | undefined;
  if (hasMeta) {
    const doc = YAML.parse(readFileSync(metadataPath, "utf8")) as { rosbag2_bagfile_information?: Record<string, unknown> } | null;
    metadata = doc?.rosbag2_bagfile_information;
    if (!metadata) throw new LogOpenError(`${metadataPath}: expected a rosbag2_bagfile_information mapping (rosbag2's metadata.yaml)`);
    const storage = metadata.storage_identifier;
    if (storage !== undefined && storage !== "sqlite3") {
      throw new LogOpenError(`${metadataPath}: storage_identifier is "${String(storage)}"; this reader takes "sqlite3" (open a .mcap bag's file directly)`);
    }
    const mode = metadata.compression_mode;
    if (typeof mode === "string" && mode !== "" && mode.toUpperCase() !== "NONE") {
      throw new LogOpenError(`${metadataPath}: compression_mode ${mode} (${String(metadata.compression_format)}) is not supported; decompress the bag first (ros2 bag convert)`);
    }
  }
  if (!statSync(path).isDirectory() && path.endsWith(".db3")) return { metadataPath: hasMeta ? metadataPath : undefined, metadata, files: [path] };
  const rel = (metadata?.relative_file_paths as string[] | undefined) ?? [];
  if (rel.length === 0) throw new LogOpenError(`${path}: no metadata.yaml listing relative_file_paths, so no .db3 to read`);
  const files = rel.map((f) => join(dir, basename(f)));
  for (const f of files) if (!existsSync(f)) throw new LogOpenError(`${metadataPath}: lists ${basename(f)}, which is not in ${dir}`);
  return { metadataPath, metadata, files };
}

export async function openRosbag2(path: string): Promise<LogReader> {
  const bag = locate(path);
  sql ??= initSqlJs();
  return new Rosbag2Log(path, bag, await sql);
}

class Rosbag2Log implements LogReader {
  readonly format = "rosbag2-db3" as const;
  readonly path: string;
  readonly #bag: BagFiles;
  readonly #sql: SqlJsStatic;
  #report: ReadReport | undefined;

  constructor(path: string, bag: BagFiles, sqlJs: SqlJsStatic) {
    this.path = path;
    this.#bag = bag;
    this.#sql = sqlJs;
  }

  #open(file: string): Database {
    try {
      const db = new this.#sql.Database(readFileSync(file));
      db.exec("SELECT 1 FROM topics LIMIT 1; SELECT 1 FROM messages LIMIT 1");
      return db;
    } catch (err) {
      throw new LogOpenError(`${file}: not a rosbag2 SQLite bag (expected tables topics and messages): ${(err as Error).message}`);
    }
  }

  /** The topics of one .db3, as channels (ids are the file's topic ids). */
  #channels(db: Database): Map<number, LogChannel> {
    const defs = new Map<string, { encoding: string; text: string }>();
    const hasDefs = db.exec("SELECT name FROM sqlite_master WHERE type='table' AND name='message_definitions'").length > 0;
    if (hasDefs) {
      for (const row of db.exec("SELECT topic_type, encoding, encoded_message_definition FROM message_definitions")[0]?.values ?? []) {
        defs.set(String(row[0]), { encoding: String(row[1]), text: String(row[2]) });
      }
    }
    const out = new Map<number, LogChannel>();
    for (const row of db.exec("SELECT id, name, type, serialization_format FROM topics ORDER BY id")[0]?.values ?? []) {
      const type = String(row[2]);
      const def = defs.get(type);
      const usable = def && def.encoding === "ros2msg" && def.text.length > 0;
      out.set(Number(row[0]), {
        id: Number(row[0]),
        topic: String(row[1]),
        type,
        messageEncoding: String(row[3]),
        schemaEncoding: usable ? "ros2msg" : "",
        schemaData: usable ? encoder.encode(def.text) : new Uint8Array(0),
      });
    }
    return out;
  }

  async *messages(opts: ReadOptions = {}): AsyncGenerator<LogMessage> {
    const wanted = opts.topics ? new Set(opts.topics) : undefined;
    for (const file of this.#bag.files) {
      const db = this.#open(file);
      try {
        const channels = this.#channels(db);
        const where: string[] = [];
        if (opts.start !== undefined) where.push(`timestamp >= ${opts.start}`);
        if (opts.end !== undefined) where.push(`timestamp <= ${opts.end}`);
        // Timestamps are int64 ns, past 2^53: read them as text, never as JS numbers.
        const stmt = db.prepare(
          `SELECT topic_id, CAST(timestamp AS TEXT), data FROM messages${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY timestamp, id`,
        );
        try {
          let sequence = 0;
          while (stmt.step()) {
            const [topicId, stamp, data] = stmt.get();
            const channel = channels.get(Number(topicId));
            if (!channel) throw new LogOpenError(`${file}: a message refers to topic id ${String(topicId)}, which the topics table lacks`);
            if (wanted && !wanted.has(channel.topic)) continue;
            const t = BigInt(String(stamp));
            yield { channel, logTime: t, publishTime: t, sequence: sequence++, data: data instanceof Uint8Array ? data : new Uint8Array(0) };
          }
        } finally {
          stmt.free();
        }
      } finally {
        db.close();
      }
    }
    this.#report = { closedCleanly: this.#bag.metadata !== undefined, damaged: [], lostTailBytes: 0 };
  }

  readReport(): ReadReport | undefined {
    return this.#report;
  }

  async metadata(): Promise<Record<string, Record<string, string>>> {
    if (!this.#bag.metadata) return {};
    return { rosbag2: { metadata_yaml: YAML.stringify({ rosbag2_bagfile_information: this.#bag.metadata }) } };
  }

  async summary(): Promise<LogSummary> {
    const topics = new Map<string, TopicSummary>();
    let bytes = 0;
    for (const file of this.#bag.files) {
      bytes += statSync(file).size;
      const db = this.#open(file);
      try {
        const channels = this.#channels(db);
        for (const c of channels.values()) {
          if (!topics.has(c.topic)) topics.set(c.topic, { topic: c.topic, type: c.type, messageEncoding: c.messageEncoding, count: 0 });
        }
        const rows =
          db.exec("SELECT topic_id, COUNT(*), CAST(MIN(timestamp) AS TEXT), CAST(MAX(timestamp) AS TEXT) FROM messages GROUP BY topic_id")[0]
            ?.values ?? [];
        for (const [id, n, first, last] of rows) {
          const c = channels.get(Number(id));
          const t = c && topics.get(c.topic);
          if (!t) continue;
          t.count += Number(n);
          const f = BigInt(String(first));
          const l = BigInt(String(last));
          if (t.first === undefined || f < t.first) t.first = f;
          if (t.last === undefined || l > t.last) t.last = l;
        }
      } finally {
        db.close();
      }
    }
    const list = [...topics.values()];
    const firsts = list.flatMap((t) => (t.first === undefined ? [] : [t.first]));
    const lasts = list.flatMap((t) => (t.last === undefined ? [] : [t.last]));
    const summary: LogSummary = {
      path: this.path,
      format: "rosbag2-db3",
      bytes,
      closedCleanly: this.#bag.metadata !== undefined,
      messageCount: list.reduce((n, t) => n + t.count, 0),
      topics: list,
      metadata: await this.metadata(),
    };
    if (firsts.length) {
      summary.start = firsts.reduce((a, b) => (b < a ? b : a));
      summary.end = lasts.reduce((a, b) => (b > a ? b : a));
    }
    if (!this.#bag.metadata) {
      summary.recovery = {
        reason: "no metadata.yaml beside the .db3 (rosbag2 writes it when a recording closes)",
        messages: summary.messageCount,
        fileBytes: bytes,
        bytesRead: bytes,
        lostTailBytes: 0,
        damaged: [],
      };
    }
    return summary;
  }
}
