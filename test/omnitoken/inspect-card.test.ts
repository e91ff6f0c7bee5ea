// `omniloop inspect CARD.json` through the real CLI (bin/omniloop.js in a child process).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const omniloop = (...args: string[]) => spawnSync(process.execPath, ["bin/omniloop.js", ...args], { cwd: root, encoding: "utf8" });

describe("omniloop inspect CARD.json", () => {
  it("prints the card as tables", () => {
    const r = omniloop("inspect", "test/fixtures/cards/valid-tabletop.json");
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout;
    assert.match(out, /^name {9}tabletop-reference$/m);
    assert.match(out, /^kv cache {5}4 layers × 4 heads × 32 head_dim, float32 \(4 KiB per token, 1 MiB at full context\)$/m);
    assert.match(out, /^ {2}2 {2}objects {2}objects {4}112 {2}objects {3}objects_out {2}8 rows × 14 \[present, 9 classes, x y z, score\], frame table$/m);
    assert.match(out, /^ {2}lift {6}m {12}0 {6}0\.3 {2}0\.2 m\/s$/m);
    assert.match(out, /^tokenizer {4}byte, vocab 260 \(PAD 256, BOS 257, EOS 258, SEP 259\)$/m);
  });

  it("prints the shipped card's decoding rule and every training field with a space after its name", () => {
    const r = omniloop("inspect", "models/reference/card.json");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^decoding {5}listens once the model starts speaking on 2 ticks in a row$/m);
    assert.match(r.stdout, /^ {2}val_episodes {2}\d+$/m);
  });

  it("prints the validated card with --json", () => {
    const r = omniloop("inspect", "--json", "test/fixtures/cards/valid-twist-2d.json");
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), JSON.parse(readFileSync(`${root}test/fixtures/cards/valid-twist-2d.json`, "utf8")));
  });

  it("lists every problem of an invalid card and exits 2", () => {
    const r = omniloop("inspect", "test/fixtures/cards/invalid-joints.json");
    assert.equal(r.status, 2);
    assert.equal(r.stdout, "");
    assert.equal(
      r.stderr,
      [
        "omniloop: inspect: invalid model card test/fixtures/cards/invalid-joints.json (3 problems):",
        "  - columns[3].width: expected 5 (= number of joints), got 4",
        `  - columns[3].action.joints[4].name: duplicate joint name "wrist" (also [3])`,
        "  - columns[3].action.joints[1].min: expected < max (1), got 2",
        "",
      ].join("\n"),
    );
  });
});
