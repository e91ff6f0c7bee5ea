// The scripted expert: it solves nearly every episode of each task over a sample of seeds (the
// issue asks ≥ 98% over 200; `npm run bench` measures that), within the time limits, and
// `omniloop sim --expert --json` reports the summary the issue specifies.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { PNG } from "pngjs";
import { runExpertEpisode, summarize } from "../../sim/episodes.ts";
import { Sim } from "../../sim/lockstep.ts";

const SEEDS = 40;

test(`the expert succeeds on ≥ 98% of ${SEEDS} seeds per task`, async () => {
  const sim = await Sim.create({ camera: { enabled: false }, detector: { enabled: false } });
  for (const task of ["reach", "push"] as const) {
    const results = Array.from({ length: SEEDS }, (_, i) => runExpertEpisode(sim, 1000 + i, task));
    const s = summarize(results);
    const failures = results.filter((r) => r.outcome !== "success").map((r) => `seed ${r.seed}: ${r.outcome} (${r.reason})`);
    assert.ok(s.success_rate >= 0.98, `${task}: ${s.successes}/${s.episodes}; ${failures.join("; ")}`);
    assert.ok(s.by_task[task]!.mean_episode_s < (task === "reach" ? 5 : 12), `${task}: mean ${s.mean_episode_s} s`);
  }
  sim.close();
});

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("omniloop sim --expert --json prints the summary (episode lines on stderr); --snapshot writes a PNG of both views", () => {
  const dir = mkdtempSync(join(tmpdir(), "omniloop-sim-cli-"));
  try {
    const png = join(dir, "snap.png");
    const run = cli(["sim", "--expert", "--episodes", "4", "--seed", "20", "--json", "--snapshot", png]);
    assert.equal(run.status, 0, run.stderr);
    const out = JSON.parse(run.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(out).sort(), ["by_task", "episodes", "mean_episode_s", "success_rate", "successes"]);
    assert.equal(out.episodes, 4);
    const byTask = out.by_task as Record<string, { episodes: number; successes: number; success_rate: number; mean_episode_s: number }>;
    assert.deepEqual(Object.keys(byTask).sort(), ["push", "reach"]);
    assert.equal(byTask.reach!.episodes, 2);
    assert.match(run.stderr, /episode 1\/4 {2}seed 20 {2}reach {2}".*": success in \d+\.\d s \(the tip touched the \w+ block\)/);
    assert.match(run.stderr, /episode 2\/4 {2}seed 21 {2}push {2}".*": success in \d+\.\d s \(the \w+ block is inside the \w+ zone\)/);
    const image = PNG.sync.read(readFileSync(png));
    assert.ok(image.width > 700 && image.height >= 280, `${image.width}×${image.height}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("omniloop sim --snapshot with a model driving writes the last episode's trace too", () => {
  const dir = mkdtempSync(join(tmpdir(), "omniloop-sim-cli-"));
  try {
    const png = join(dir, "model.png");
    const run = cli(["sim", "--model", "test/fixtures/models/tiny/card.json", "--episodes", "1", "--task", "reach", "--snapshot", png]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, new RegExp(`snapshot: ${png.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    const image = PNG.sync.read(readFileSync(png));
    assert.ok(image.width > 700 && image.height >= 280, `${image.width}×${image.height}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("omniloop sim refuses bad options by name", () => {
  const bad = cli(["sim", "--expert", "--task", "stack"]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /sim: --task expects reach, push or all, found "stack"/);
  // without --expert a model drives: a card that is not there is named
  assert.match(cli(["sim", "--model", "/nonexistent/card.json"]).stderr, /sim: --model \/nonexistent\/card\.json: no such card/);
});
