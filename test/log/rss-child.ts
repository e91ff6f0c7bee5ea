// Runs the omniloop CLI in this process and reports its peak resident memory on exit, for the
// log bench's memory figures: `node --import tsx test/log/rss-child.ts inspect FILE`.
// The peak is /proc/self/status's VmHWM, which belongs to this process image alone; getrusage's
// maxRSS would carry over the high-water mark of the (large) bench process that spawned it.
import { readFileSync } from "node:fs";

function peakKb(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]);
  } catch (err) {
    process.stderr.write(`rss-child: no /proc/self/status (${(err as Error).message}); using getrusage\n`);
  }
  return process.resourceUsage().maxRSS;
}

process.on("exit", () => process.stderr.write(`\nmaxrss_kb ${peakKb()}\n`));
await import("../../src/cli/main.ts");
