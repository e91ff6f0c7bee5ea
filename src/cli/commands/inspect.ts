// `omniloop inspect FILE`: a readable summary of a model card (.json) or a log (.mcap, .db3, a
// rosbag2 folder). Each file kind has its own inspector module; this file only dispatches.
import type { Command } from "commander";
import { existsSync, statSync } from "node:fs";
import { CliError } from "../errors.ts";

export interface Inspector {
  /** Whether this inspector reads `path`. */
  accepts(path: string): boolean;
  run(path: string, opts: { json: boolean }): Promise<void>;
}

const inspectors: { name: string; load: () => Promise<Inspector> }[] = [
  { name: "model card", load: async () => (await import("../inspect/card.ts")).inspector },
  { name: "log", load: async () => (await import("../inspect/log.ts")).inspector },
];

export function register(program: Command): void {
  program
    .command("inspect")
    .description("summarise a model card (CARD.json) or a log (FILE.mcap, BAG.db3, a rosbag2 folder)")
    .argument("<file>", "the card or log to inspect")
    .option("--json", "machine-readable output")
    .action(async (file: string, opts: { json?: boolean }) => {
      if (!existsSync(file)) throw new CliError(`inspect: ${file}: no such file or folder`);
      for (const entry of inspectors) {
        const insp = await entry.load();
        if (insp.accepts(file)) return insp.run(file, { json: Boolean(opts.json) });
      }
      const kind = statSync(file).isDirectory() ? "folder" : "file";
      throw new CliError(`inspect: ${file}: not a kind of ${kind} omniloop reads (expected CARD.json, FILE.mcap, BAG.db3 or a rosbag2 folder)`);
    });
}
