// The real-time commands keep V8's young generation at its start-up size: checked in a fresh
// process (the setting is per process and one-way), against one that lets it grow.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { runsRealtime } from "../../src/cli/young-generation.ts";

/** A child that allocates with enough survival for V8 to grow the young generation, then prints
 * the new space's size in MB. */
function newSpaceAfterAllocating(keepSmall: boolean): number {
  const script = `
    import v8 from "node:v8";
    import { keepYoungGenerationSmall } from "./src/cli/young-generation.ts";
    if (${keepSmall}) keepYoungGenerationSmall();
    const kept = [];
    for (let r = 0; r < 200; r++) {
      const a = [];
      for (let i = 0; i < 20000; i++) a.push({ i });
      kept.push(a);
      if (kept.length > 20) kept.shift();
    }
    const ns = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
    console.log(ns.space_size / 2 ** 20);`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return Number(r.stdout.trim());
}

test("keepYoungGenerationSmall stops the new space from growing; without it, it grows", () => {
  const small = newSpaceAfterAllocating(true);
  const grown = newSpaceAfterAllocating(false);
  assert.ok(small <= 8, `kept small: new space ${small} MB`);
  assert.ok(grown >= 4 * small, `without the setting the new space grows (${grown} MB vs ${small} MB)`);
});

test("runsRealtime: run and bench, not the other commands", () => {
  assert.equal(runsRealtime(["node", "omniloop", "run", "--config", "launch/omniloop.yaml"]), true);
  assert.equal(runsRealtime(["node", "omniloop", "bench", "--only", "realtime"]), true);
  assert.equal(runsRealtime(["node", "omniloop", "sim", "--realtime"]), false);
  assert.equal(runsRealtime(["node", "omniloop", "dataset", "run"]), false);
  assert.equal(runsRealtime(["node", "omniloop"]), false);
});
