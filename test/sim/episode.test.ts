// Episodes from seeds: the same seed gives the same episode bit for bit (pinned by a hash, so a
// platform or version that differs shows up), layouts respect their constraints, and the command
// names the target.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { EpisodeError, generateEpisode, TEMPLATES, type EpisodeSpec } from "../../sim/episode.ts";
import { loadArm } from "../../sim/robot.ts";
import { BLOCK_HALF, TABLE, ZONE_HALF } from "../../sim/scene.ts";

const arm = loadArm();
const reach = { geometry: arm.geometry, limits: arm.joints };
const gen = (seed: number, task: "reach" | "push") => generateEpisode(seed, task, reach);

/** Every number as its IEEE-754 bits: "bit for bit", not "equal when printed". */
function bits(spec: EpisodeSpec): string {
  return JSON.stringify(spec, (_k, v: unknown) => (typeof v === "number" ? Buffer.from(Float64Array.of(v).buffer).toString("hex") : v));
}

test("the same seed gives the same episode, bit for bit; another seed another one", () => {
  for (const task of ["reach", "push"] as const) {
    for (let seed = 0; seed < 20; seed++) assert.equal(bits(gen(seed, task)), bits(gen(seed, task)));
    assert.notEqual(bits(gen(1, task)), bits(gen(2, task)));
  }
});

/** sha256 (first 16 hex digits) of seeds 0–49's episodes, as this machine computed them. */
const PINNED = { reach: "b913617db5f82da7", push: "979c4c96b75cf31d" };

test("episode digests are pinned (changing layout generation must update them on purpose)", () => {
  const digest = (task: "reach" | "push") =>
    createHash("sha256").update(Array.from({ length: 50 }, (_, s) => bits(gen(s, task))).join("\n")).digest("hex").slice(0, 16);
  assert.deepEqual({ reach: digest("reach"), push: digest("push") }, PINNED);
});

test("layouts: 3–5 blocks on the table, 9 cm apart, none in a zone; two zones apart; commands name the targets", () => {
  const counts = new Set<number>();
  for (let seed = 0; seed < 200; seed++) {
    const task = seed % 2 ? "push" : "reach";
    const e = gen(seed, task);
    counts.add(e.blocks.length);
    assert.ok(e.blocks.length >= 3 && e.blocks.length <= 5);
    assert.equal(e.zones.length, 2);
    for (const [i, b] of e.blocks.entries()) {
      assert.ok(Math.abs(b.x) <= TABLE.halfX - 0.05 && Math.abs(b.y) <= TABLE.halfY - 0.05, `seed ${seed}: block off the table`);
      assert.ok(Math.abs(b.qz * b.qz + b.qw * b.qw - 1) < 1e-12);
      for (const o of e.blocks.slice(i + 1)) assert.ok(Math.hypot(o.x - b.x, o.y - b.y) >= 0.09);
      for (const z of e.zones) assert.ok(Math.abs(z.x - b.x) >= ZONE_HALF + BLOCK_HALF || Math.abs(z.y - b.y) >= ZONE_HALF + BLOCK_HALF);
    }
    const [z0, z1] = e.zones;
    assert.ok(Math.abs(z0!.x - z1!.x) >= 2 * ZONE_HALF || Math.abs(z0!.y - z1!.y) >= 2 * ZONE_HALF);
    const target = e.blocks[e.targetBlock]!;
    assert.notEqual(target.colour, "grey", "the grey distractor is never named");
    assert.ok(e.command.includes(`${target.colour} block`), e.command);
    if (task === "push") assert.ok(e.command.includes(`${e.zones[e.targetZone!]!.colour} zone`), e.command);
    else assert.equal(e.targetZone, null);
    assert.ok(TEMPLATES[task].some((t) => e.command === t.replace("{block}", target.colour).replace("{zone}", e.targetZone === null ? "" : e.zones[e.targetZone]!.colour)));
    assert.equal(e.timeoutS, task === "reach" ? 10 : 25);
  }
  assert.deepEqual([...counts].sort(), [3, 4, 5]);
});

test("an unknown task is refused by name", () => {
  assert.throws(() => generateEpisode(1, "stack" as "reach", reach), (e: unknown) => e instanceof EpisodeError && /task "stack" is not known; expected one of reach, push/.test(e.message));
});
