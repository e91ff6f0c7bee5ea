// The seeded PRNG: same seed and salt → same stream (pinned values, so a change of algorithm or
// platform shows up), streams differ by seed and salt, and the helpers stay in range.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../sim/prng.ts";

const GOLDEN = [1262545171, 1743012848, 2889640599];

test("a seed and salt give a fixed stream (golden values)", () => {
  const r = new Rng(42, "layout");
  const first = [r.u32(), r.u32(), r.u32()];
  const again = new Rng(42, "layout");
  assert.deepEqual([again.u32(), again.u32(), again.u32()], first);
  // Pinned: these are the values on the machine that wrote this test; any platform must match.
  assert.deepEqual(first, GOLDEN);
});

test("different seeds, salts and large seeds give different streams", () => {
  const a = new Rng(1).u32();
  assert.notEqual(new Rng(2).u32(), a);
  assert.notEqual(new Rng(1, "x").u32(), a);
  assert.notEqual(new Rng(2 ** 40 + 1).u32(), new Rng(1).u32());
});

test("helpers stay in range; normal() has mean ≈ 0 and sd ≈ 1", () => {
  const r = new Rng(7);
  let sum = 0;
  let sq = 0;
  const n = 20_000;
  for (let i = 0; i < n; i++) {
    const u = r.next();
    assert.ok(u >= 0 && u < 1);
    const k = r.int(5);
    assert.ok(Number.isInteger(k) && k >= 0 && k < 5);
    const [c, s] = r.unitCircle();
    assert.ok(Math.abs(c * c + s * s - 1) < 1e-12);
    const z = r.normal();
    sum += z;
    sq += z * z;
  }
  assert.ok(Math.abs(sum / n) < 0.03, `mean ${sum / n}`);
  assert.ok(Math.abs(Math.sqrt(sq / n) - 1) < 0.03, `sd ${Math.sqrt(sq / n)}`);
  assert.deepEqual(r.shuffle([1, 2, 3, 4]).sort(), [1, 2, 3, 4]);
});

test("a seed that is not a safe integer is refused, naming it", () => {
  assert.throws(() => new Rng(1.5), /Rng seed must be a safe integer, got 1.5/);
  assert.throws(() => new Rng(Number.NaN), /got NaN/);
});
