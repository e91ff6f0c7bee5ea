// For the crash tests: a recorder child prints the stamp of each message it has handed to the
// recorder, one per line; once it has printed `lines` of them it is killed with SIGKILL.
import type { ChildProcessByStdio } from "node:child_process";
import type { Readable } from "node:stream";

export async function killAfter(child: ChildProcessByStdio<null, Readable, null>, lines: number): Promise<{ lastHandedOver: bigint; lines: number }> {
  const seen = { lastHandedOver: 0n, lines: 0 };
  let buf = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (s: string) => {
    buf += s;
    const parts = buf.split("\n");
    buf = parts.pop()!;
    for (const p of parts) {
      seen.lastHandedOver = BigInt(p);
      seen.lines++;
    }
  });
  while (seen.lines < lines) await new Promise((r) => setTimeout(r, 20));
  child.kill("SIGKILL");
  await new Promise((r) => child.once("exit", r));
  return seen;
}
