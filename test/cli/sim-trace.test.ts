// `omniloop sim --trace FILE.jsonl`: a line per tick with the loop's command and the scripted
// expert's label for the same true state, and an end line per episode.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { TraceEnd, TraceTick } from "../../src/cli/expert-trace.ts";
import { ScriptedExpert } from "../../sim/expert.ts";
import { Sim } from "../../sim/lockstep.ts";

const TINY = "test/fixtures/models/tiny/card.json";

function cli(args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8" });
}

test("sim --trace writes each tick's command beside the expert's label for the same state", async () => {
  const dir = mkdtempSync(join(tmpdir(), "omniloop-trace-"));
  try {
    const file = join(dir, "trace.jsonl");
    const run = cli(["sim", "--model", TINY, "--episodes", "2", "--seed", "5", "--task", "push", "--trace", file, "--quiet", "--no-camera"]);
    assert.equal(run.status, 0, run.stderr);
    const lines = readFileSync(file, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as TraceTick | TraceEnd);
    const ends = lines.filter((l): l is TraceEnd => "end" in l);
    assert.deepEqual(ends.map((e) => e.seed), [5, 6]);
    for (const e of ends) {
      const ticks = lines.filter((l): l is TraceTick => !("end" in l) && l.seed === e.seed);
      assert.ok(ticks.length > 0 && ticks.length <= e.end.ticks, `seed ${e.seed}: ${ticks.length} tick lines, ${e.end.ticks} ticks`);
      assert.ok(e.end.time > 0 && e.end.time >= ticks.at(-1)!.t, `seed ${e.seed}: ends at ${e.end.time} s, after its last traced state`);
      assert.deepEqual(ticks.map((t) => t.tick), ticks.map((_, i) => i), `seed ${e.seed}: ticks numbered from 0 without gaps`);
      for (const t of ticks) {
        assert.equal(t.joints.length, 3);
        assert.equal(t.expert.command.length, 3);
        assert.ok(t.command === null || t.command.length === 3);
        assert.ok(t.zone !== null, "a push episode has a target zone");
        assert.ok(typeof t.speak === "number" && t.speak >= 0 && t.speak <= 1, `speak ${t.speak}: a probability`);
      }
    }
    // The first label is what a fresh expert commands from the episode's start state.
    const sim = await Sim.create({ camera: { enabled: false } });
    sim.reset(5, "push");
    const want = new ScriptedExpert(sim.arm).act(sim.truth());
    const first = lines[0] as TraceTick;
    first.expert.command.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-5, `label[${i}] ${v} against ${want[i]}`));
    sim.close();
    // No model, no comparison.
    const bad = cli(["sim", "--expert", "--trace", file]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /sim: --trace needs a model driving in lockstep, not --expert/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
