// `omniloop inspect FILE.mcap | BAG.db3 | BAG_FOLDER`: topics, types, counts, rates, duration, and
// whether the file was closed cleanly — for one that was not, how much could be recovered.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { openLog, LogOpenError, type LogSummary } from "../../log/reader.ts";
import { NotMcapError } from "../../log/mcap-scan.ts";
import type { Inspector } from "../commands/inspect.ts";
import { CliError } from "../errors.ts";
import { table } from "./card.ts";

export const inspector: Inspector = {
  accepts(path: string): boolean {
    const p = path.toLowerCase();
    if (p.endsWith(".mcap") || p.endsWith(".db3")) return true;
    return statSync(path, { throwIfNoEntry: false })?.isDirectory() === true && existsSync(join(path, "metadata.yaml"));
  },
  async run(path: string, opts: { json: boolean }): Promise<void> {
    let summary: LogSummary;
    try {
      summary = await (await openLog(path)).summary();
    } catch (err) {
      if (err instanceof LogOpenError || err instanceof NotMcapError) throw new CliError(`inspect: ${err.message}`);
      throw err;
    }
    process.stdout.write(opts.json ? JSON.stringify(summary, jsonBigint, 2) + "\n" : formatLogSummary(summary) + "\n");
  },
};

function jsonBigint(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

const seconds = (ns: bigint) => Number(ns) / 1e9;

function mib(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1 << 10 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;
}

export function formatLogSummary(s: LogSummary): string {
  const duration = s.start !== undefined && s.end !== undefined ? seconds(s.end - s.start) : 0;
  const lines = [
    `${s.path}: ${s.format === "mcap" ? `MCAP (profile ${s.profile || "none"}, written by ${s.library || "unknown"})` : "rosbag2 SQLite bag"}, ${mib(s.bytes)}`,
  ];
  if (s.start !== undefined && s.end !== undefined) {
    lines.push(`  ${s.messageCount} messages over ${duration.toFixed(3)} s, from ${new Date(Number(s.start / 1_000_000n)).toISOString()}`);
  } else {
    lines.push(`  ${s.messageCount} messages`);
  }
  if (s.chunks) lines.push(`  ${s.chunks.count} chunks, compression ${s.chunks.compression.join(", ") || "none"}`);
  lines.push(s.closedCleanly ? "  closed cleanly" : "  NOT closed cleanly");
  const r = s.recovery;
  if (r) {
    const pct = r.fileBytes > 0 ? ((100 * r.bytesRead) / r.fileBytes).toFixed(1) : "0";
    lines.push(`  recovered ${r.messages} messages, ${mib(r.bytesRead)} of ${mib(r.fileBytes)} (${pct}%) readable (${r.reason})`);
    if (r.lostTailBytes > 0) lines.push(`  lost: an unfinished record of ${r.lostTailBytes} bytes at the end of the file`);
    for (const d of r.damaged) lines.push(`  damaged: ${d.length} bytes at offset ${d.offset} skipped: ${d.reason}`);
  }
  const rows = [["topic", "type", "encoding", "count", "rate Hz"]];
  for (const t of s.topics) {
    const span = t.first !== undefined && t.last !== undefined ? seconds(t.last - t.first) : duration;
    const rate = t.count > 1 && span > 0 ? ((t.count - 1) / span).toFixed(2) : "-";
    rows.push([t.topic, t.type || "(no schema)", t.messageEncoding, String(t.count), rate]);
  }
  lines.push(table(rows));
  const meta = Object.keys(s.metadata);
  if (meta.length) lines.push(`  metadata: ${meta.join(", ")}`);
  return lines.join("\n");
}
