// The report in a real browser: `omniloop report` on a recorded simulator run and a hand-written
// log, the HTML opened in Debian's Chromium (headless, every request refused and recorded):
// no network, no console error, every plot drawn (pixels on each plot's canvas, checked in the
// page) and a full-page screenshot that is not blank; `--png` writes each plot as a picture.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { PNG } from "pngjs";
import { openReport } from "../../src/view/report/browser.ts";
import { recordEpisodes, writeHandLog } from "./fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "omniloop-view-report-"));
after(() => rmSync(dir, { recursive: true, force: true }));

let logs: string[];
before(async () => {
  const sim = await recordEpisodes(dir, "sim.mcap", [{ seed: 1, task: "reach" }, { seed: 2, task: "push" }]);
  logs = [sim.file, await writeHandLog(join(dir, "hand.mcap"))];
});

/** Share of pixels that are not the background, and how many distinct colours. */
function inked(png: PNG): { share: number; colours: number } {
  let ink = 0;
  const colours = new Set<number>();
  for (let i = 0; i < png.data.length; i += 4) {
    const [r, g, b] = [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
    if (!(r > 240 && g > 240 && b > 240)) ink++;
    colours.add((r << 16) | (g << 8) | b);
  }
  return { share: ink / (png.data.length / 4), colours: colours.size };
}

test("omniloop report: one HTML file that opens offline in Chromium with every plot drawn; --png writes them", async () => {
  const html = join(dir, "report.html");
  const pngDir = join(dir, "png");
  const cli = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "report", ...logs, "--out", html, "--png", pngDir, "--quiet"], { encoding: "utf8", timeout: 120_000 });
  assert.equal(cli.status, 0, cli.stderr);
  assert.match(cli.stdout, /report: .*report\.html \(\d+ KiB\): 4 episode\(s\) from 2 log\(s\); tiny-random reach 1\/2, tiny-random push 0\/2/);

  const text = readFileSync(html, "utf8");
  assert.doesNotMatch(text, /(src|href)=["']https?:/, "no external resource");
  assert.match(text, /Content-Security-Policy" content="default-src 'none'/);

  const page = await openReport(html, { openAll: true });
  try {
    assert.deepEqual(page.errors, [], "no console errors");
    assert.deepEqual(page.requests, [], "no network request");
    const plots = (await page.page.evaluate(`[...document.querySelectorAll(".plot")].map((p) => {
      const ink = [...p.querySelectorAll("canvas")].reduce((sum, c) => {
        const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
        return sum + n;
      }, 0);
      return { name: p.dataset.plot, state: p.dataset.state, ink, episode: p.closest("details") ? p.closest("details").id : "run" };
    })`)) as { name: string; state: string; ink: number; episode: string }[];
    // 4 episodes × (3 joints, surprise, latency, holds, frames) + the success-rate chart.
    assert.equal(plots.length, 4 * 7 + 1);
    const notDrawn = plots.filter((p) => p.state !== "drawn");
    // What these logs cannot have, said as such: the simulator run's tap carries no holds (the
    // loop's holds topic is not forwarded to it), the hand log has no step timing, and its second
    // episode has no camera frame, surprise or hold.
    for (const p of notDrawn) assert.equal(p.state, "empty", `${p.episode} ${p.name}: ${p.state}`);
    assert.deepEqual(notDrawn.map((p) => `${p.episode}:${p.name}`).sort(), ["e0:holds", "e1:holds", "e2:step latency", "e3:camera frames", "e3:holds", "e3:step latency", "e3:surprise"].sort());
    for (const p of plots.filter((x) => x.state === "drawn")) assert.ok(p.ink > 500, `${p.episode} ${p.name}: only ${p.ink} pixels drawn`);

    const shot = PNG.sync.read(await page.page.screenshot({ fullPage: true }));
    const { share, colours } = inked(shot);
    assert.ok(share > 0.05 && colours > 200, `screenshot: ${(100 * share).toFixed(1)}% ink, ${colours} colours`);
  } finally {
    await page.close();
  }

  const pngs = readdirSync(pngDir).sort();
  assert.equal(pngs.length, 4 * 7 + 1 - 7, `one PNG per drawn plot: ${pngs.join(", ")}`);
  assert.ok(pngs.includes("success-rate.png") && pngs.includes("episode-01-joint-shoulder-joint.png") && pngs.includes("episode-03-holds.png"));
  const one = PNG.sync.read(readFileSync(join(pngDir, "episode-01-surprise.png")));
  assert.ok(inked(one).colours > 10, "a PNG with a plot in it");
});
