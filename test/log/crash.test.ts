// A recorder killed with SIGKILL mid-recording leaves a file the reader opens, says was not
// closed cleanly, and recovers with at most the last second lost.
import { test } from "node:test";
import { killAfter } from "./kill-recorder.ts";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openLog } from "../../src/log/reader.ts";
import { decoderFor } from "../../src/log/decode.ts";

const dir = mkdtempSync(join(tmpdir(), "omniloop-crash-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test("SIGKILL mid-recording loses at most the last second", async () => {
  const out = join(dir, "killed.mcap");
  const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "crash-recorder.ts"), out], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  // Record for ~2 s of messages, then kill without warning.
  const { lastHandedOver } = await killAfter(child, 200);

  const log = await openLog(out);
  const summary = await log.summary();
  assert.equal(summary.closedCleanly, false);
  assert.ok(summary.recovery, "a recovery report");
  assert.match(summary.recovery.reason, /./);
  assert.equal(summary.recovery.damaged.length, 0, "a crash truncates; it does not corrupt");
  assert.ok(summary.end !== undefined && summary.messageCount > 0, "something recovered");
  const lostSeconds = Number(lastHandedOver - summary.end) / 1e9;
  assert.ok(lostSeconds <= 1, `lost ${lostSeconds.toFixed(3)} s (last written ${lastHandedOver}, last recovered ${summary.end})`);

  let decoded = 0;
  for await (const m of log.messages()) {
    const d = decoderFor(m.channel);
    assert.ok(d.ok);
    d.decode(m.data);
    decoded++;
  }
  assert.equal(decoded, summary.messageCount);
  assert.equal(log.readReport()?.closedCleanly, false);
});
