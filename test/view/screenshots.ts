// Makes docs/img/report.png: a run report of model-driven simulator episodes (the tiny test model:
// random weights, so episodes time out — the picture shows the report, not a good policy).
// Run: npx tsx test/view/screenshots.ts
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openReport } from "../../src/view/report/browser.ts";
import { buildReport, writeReport } from "../../src/view/report/report.ts";
import { recordEpisodes } from "./fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "omniloop-screens-"));
try {
  const { file } = await recordEpisodes(dir, "sim-run.mcap", [{ seed: 1, task: "reach" }, { seed: 2, task: "push" }, { seed: 3, task: "reach" }], { seconds: 3 });
  const run = await buildReport([file], { title: "omniloop run report: tiny-random in the simulator", frames: 6 });
  const html = join(dir, "report.html");
  writeReport(run, html);
  const page = await openReport(html, { width: 1280, height: 1700 });
  mkdirSync("docs/img", { recursive: true });
  await page.page.screenshot({ path: "docs/img/report.png" });
  await page.close();
  process.stdout.write("docs/img/report.png\n");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
