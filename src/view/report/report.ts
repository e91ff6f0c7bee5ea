// `omniloop report`'s core: logs → RunReport → one HTML file (and PNGs of its plots on request).
import { writeFileSync } from "node:fs";
import { basename } from "node:path";
import { collectLog, type CollectOptions } from "./collect.ts";
import { reportHtml } from "./html.ts";
import { successRates } from "./rates.ts";
import type { RunReport } from "./types.ts";

export interface ReportOptions extends CollectOptions {
  title?: string;
  /** Called after each log is read (progress). */
  onLog?: (path: string, episodes: number) => void;
}

export async function buildReport(paths: readonly string[], o: ReportOptions = {}): Promise<RunReport> {
  const episodes = [];
  for (const path of paths) {
    const found = await collectLog(path, o);
    found.forEach((e) => (e.id = `e${episodes.length + e.index}`));
    episodes.push(...found);
    o.onLog?.(path, found.length);
  }
  return {
    title: o.title ?? `omniloop run report: ${paths.length === 1 ? basename(paths[0]!) : `${paths.length} logs`}`,
    created: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    sources: [...paths],
    episodes,
    rates: successRates(episodes),
  };
}

/** Writes the report's HTML to `out`; returns its size in bytes. */
export function writeReport(run: RunReport, out: string): number {
  const html = reportHtml(run);
  writeFileSync(out, html);
  return Buffer.byteLength(html);
}
