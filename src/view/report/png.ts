// `--png DIR`: the report's plots as PNG files, for papers and issues. The same page, drawn by the
// same script in the system's Chromium, each plot screenshotted on its own — so a PNG is exactly
// what the HTML shows.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { openReport } from "./browser.ts";

interface PlotElement {
  closest(selector: string): { id: string } | null;
  dataset: Record<string, string | undefined>;
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");

/** Screenshots every drawn plot of the report at `html` into `dir`; returns the files written. */
export async function writePlotPngs(html: string, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const opened = await openReport(html, { openAll: true });
  try {
    const plots = await opened.page.$$(".plot[data-state='drawn']");
    const files: string[] = [];
    const used = new Set<string>();
    for (const p of plots) {
      const [episode, name] = await p.evaluate((node: unknown): [string, string] => {
        const el = node as PlotElement; // runs in the page; this package compiles without DOM types
        return [el.closest("details.episode")?.id ?? "", el.dataset.plot ?? "plot"];
      });
      const ep = episode ? `episode-${String(Number(episode.slice(1)) + 1).padStart(2, "0")}-` : "";
      let file = `${ep}${slug(name)}.png`;
      for (let i = 2; used.has(file); i++) file = `${ep}${slug(name)}-${i}.png`;
      used.add(file);
      await p.screenshot({ path: join(dir, file) });
      files.push(join(dir, file));
    }
    if (opened.errors.length > 0) throw new Error(`the report page logged errors: ${opened.errors.join("; ")}`);
    return files;
  } finally {
    await opened.close();
  }
}
