// `omniloop report LOG.mcap... --out report.html [--png DIR]`: a run report a person opens in any
// browser, offline — per episode the joints (commanded, predicted, measured), surprise, step
// latency, holds, camera frames with detections; the episode table; success rate by task with its
// 95% interval. `--png DIR` writes the same plots as PNG (needs a system Chromium).
import type { Command } from "commander";
import { existsSync } from "node:fs";
import { isInputError } from "../../log/errors.ts";
import { CameraModelError } from "../../view/camera-model.ts";
import { CliError } from "../errors.ts";
import { progress } from "../progress.ts";

interface ReportCliOptions {
  out: string;
  png?: string;
  title?: string;
  frames: string;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command("report")
    .description("an HTML run report (self-contained, opens offline) from MCAP logs; --png for the plots as images")
    .argument("<logs...>", "FILE.mcap (or rosbag2 .db3 / bag folders), one or more")
    .option("--out <file.html>", "where to write the report", "report.html")
    .option("--png <dir>", "also write every plot as PNG into DIR (uses the system's Chromium)")
    .option("--title <text>", "the report's title")
    .option("--frames <n>", "camera frames per episode in the strip", "8")
    .option("--quiet", "no progress lines")
    .action(async (logs: string[], opts: ReportCliOptions) => {
      const frames = Number(opts.frames);
      if (!Number.isInteger(frames) || frames < 0 || frames > 64) throw new CliError(`report: --frames expects an integer 0..64, found "${opts.frames}"`);
      for (const l of logs) if (!existsSync(l)) throw new CliError(`report: ${l}: no such file or folder`);
      const { buildReport, writeReport } = await import("../../view/report/report.ts");
      const bar = progress({ label: "report", total: logs.length, unit: "logs", quiet: Boolean(opts.quiet) || logs.length < 3 });
      let run;
      try {
        run = await buildReport(logs, { frames, ...(opts.title ? { title: opts.title } : {}), onLog: (path, n) => bar.tick(1, `${path}: ${n} episodes`) });
      } catch (err) {
        // A log that cannot be read is the user's input, not our crash: name it without a stack.
        if (isInputError(err) || err instanceof CameraModelError) throw new CliError(`report: ${err.message}`);
        throw err;
      } finally {
        bar.stop();
      }
      const bytes = writeReport(run, opts.out);
      const outcomes = run.rates.filter((r) => r.task !== "all").map((r) => `${r.model} ${r.task} ${r.successes}/${r.episodes}`);
      process.stdout.write(`report: ${opts.out} (${(bytes / 1024).toFixed(0)} KiB): ${run.episodes.length} episode(s) from ${logs.length} log(s)${outcomes.length ? `; ${outcomes.join(", ")}` : ""}\n`);
      if (opts.png) {
        const { writePlotPngs } = await import("../../view/report/png.ts");
        const { BrowserError } = await import("../../view/report/browser.ts");
        try {
          const files = await writePlotPngs(opts.out, opts.png);
          process.stdout.write(`report: ${files.length} plot(s) as PNG in ${opts.png}\n`);
        } catch (err) {
          if (err instanceof BrowserError) throw new CliError(`report --png: ${err.message}`);
          throw err;
        }
      }
    });
}
