import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  packBatch, Packer, packSide, packWindow, unpackInputs, unpackOutputs, type Feeds, type Tensor,
} from "../../src/omnitoken/pack.ts";
import { absentToken, cloneToken, textToken, tokensEqual } from "../../src/omnitoken/token.ts";
import type { Omnitoken } from "../../src/omnitoken/types.ts";
import { fixtureCard, prng, randomToken, randomWindow } from "./random-tokens.ts";

const card = fixtureCard("valid-tabletop");
const stamp = { sec: 0, nanosec: 0 };

function assertWindowsEqual(got: Omnitoken[][], want: Omnitoken[][]): void {
  assert.equal(got.length, want.length);
  got.forEach((w, b) => {
    assert.equal(w.length, want[b]!.length);
    w.forEach((t, i) => assert.ok(tokensEqual(t, want[b]![i]!), `window ${b} token ${i} differs`));
  });
}

describe("packWindow / packBatch", () => {
  it("produces the contract's tensors with their dims", () => {
    const feeds = packWindow(card, randomWindow(card, prng(3), 5), 10);
    const dims = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, [t.type, ...t.dims]]));
    assert.deepEqual(dims, {
      text_ids: ["int64", 1, 5],
      pixels: ["float32", 1, 5, 3072],
      objects: ["float32", 1, 5, 112],
      action: ["float32", 1, 5, 4],
      present: ["float32", 1, 5, 4],
      position: ["int64", 1, 5],
    });
    assert.deepEqual(Array.from(feeds.position!.data as BigInt64Array), [10n, 11n, 12n, 13n, 14n]);
  });

  it("has no tensor for a column the card lacks", () => {
    const twist = fixtureCard("valid-twist-2d");
    assert.deepEqual(Object.keys(packWindow(twist, [absentToken(twist, 0, stamp)], 0)).sort(), ["action", "objects", "pixels", "position", "present"]);
  });

  it("writes presence in card order and each value where it belongs", () => {
    const t = textToken(card, 72, 0, stamp);
    t.columns.action = { origin: "predicted", data: Float32Array.of(0.1, -0.2, 0.3, -0.4) };
    const feeds = packWindow(card, [absentToken(card, 0, stamp), t], 0);
    assert.deepEqual(Array.from(feeds.present!.data as Float32Array), [0, 0, 0, 0, 1, 0, 0, 1]); // [1, 2, 4]
    assert.deepEqual(Array.from(feeds.text_ids!.data as BigInt64Array), [0n, 72n]);
    assert.deepEqual(Array.from((feeds.action!.data as Float32Array).subarray(4)), Array.from(Float32Array.of(0.1, -0.2, 0.3, -0.4)));
  });

  it("round-trips exactly with the side channel: one token, a window, a batch (seeded, with NaN payloads, ±Inf, -0)", () => {
    const rand = prng(42);
    for (let n = 0; n < 40; n++) {
      const one = [[randomToken(card, rand, n)]];
      const window = [randomWindow(card, rand, 1 + Math.floor(rand() * 12), n)];
      const batch = Array.from({ length: 3 }, (_, b) => randomWindow(card, rand, 4, 100 * b));
      for (const windows of [one, window, batch]) {
        const first = windows.map((_, b) => 7 * b + n);
        const feeds = packBatch(card, windows, first);
        assertWindowsEqual(unpackInputs(card, feeds, packSide(card, windows)), windows);
      }
    }
  });

  it("without the side channel: present → observed, absent → absent, step = position, stamp 0", () => {
    const rand = prng(5);
    const window = randomWindow(card, rand, 6, 50);
    const [got] = unpackInputs(card, packWindow(card, window, 200));
    got!.forEach((t, i) => {
      assert.equal(t.step, 200 + i);
      assert.deepEqual(t.stamp, { sec: 0, nanosec: 0 });
      for (const [name, cell] of Object.entries(t.columns)) {
        const want = window[i]!.columns[name]!;
        assert.equal(cell.origin, want.origin === "absent" ? "absent" : "observed");
        assert.deepEqual(new Uint8Array(cell.data.buffer), new Uint8Array(want.data.slice().buffer));
      }
    });
  });

  it("refuses windows of unequal length, a missing column, a wrong width, an id outside the vocabulary", () => {
    const rand = prng(9);
    assert.throws(() => packBatch(card, [randomWindow(card, rand, 2), randomWindow(card, rand, 3)], [0, 0]), {
      name: "PackError",
      message: "packBatch: windows must have equal lengths; window 0 has 2 tokens, window 1 has 3",
    });
    assert.throws(() => packBatch(card, [randomWindow(card, rand, 2)], [0, 1]), /expected one first position per window \(1\), got 2/);
    const missing = absentToken(card, 4, stamp);
    delete missing.columns.objects;
    assert.throws(() => packWindow(card, [missing], 0), { message: "token 0 (step 4) has no column objects (card tabletop-reference declares text, pixels, objects, action)" });
    const wide = absentToken(card, 4, stamp);
    wide.columns.action!.data = new Float32Array(7);
    assert.throws(() => packWindow(card, [wide], 0), { message: "token 0 (step 4) column action: expected Float32Array(4), got Float32Array(7)" });
    const id = absentToken(card, 4, stamp);
    id.columns.text!.data = Int32Array.of(260);
    assert.throws(() => packWindow(card, [id], 0), { message: "token 0 (step 4) column text: expected Int32Array(1) holding an id in [0, 260), got Int32Array(1) [260]" });
    assert.throws(() => packWindow(card, [absentToken(card, 0, stamp)], -1), /expected a non-negative integer first position, got -1/);
  });
});

describe("Packer", () => {
  it("reuses its tensors and matches packWindow", () => {
    const packer = new Packer(card);
    const rand = prng(11);
    const a = randomToken(card, rand, 0);
    const b = randomToken(card, rand, 1);
    const fa = packer.packToken(a, 0);
    const dataA = fa.pixels!.data;
    const fb = packer.packToken(b, 1);
    assert.equal(fb, fa);
    assert.equal(fb.pixels!.data, dataA);
    assertWindowsEqual(unpackInputs(card, fb), unpackInputs(card, packWindow(card, [b], 1)));
  });

  it("packs a fixed length and refuses another", () => {
    const packer = new Packer(card, { length: 3 });
    const w = randomWindow(card, prng(12), 3);
    assertWindowsEqual(unpackInputs(card, packer.pack(w, 5), packSide(card, [w])), [w]);
    assert.throws(() => packer.pack(w.slice(1), 0), { message: "Packer: expected 3 tokens, got 2" });
  });
});

describe("unpackInputs checks its tensors", () => {
  const feeds = (): Feeds => packWindow(card, [absentToken(card, 0, stamp)], 0);

  it("names a tensor with the wrong dims, type, or a missing one", () => {
    const f = feeds();
    f.action = { ...f.action!, dims: [1, 1, 6] };
    assert.throws(() => unpackInputs(card, f), { name: "PackError", message: "tensor action: expected dims [1, 1, 4] (column action width 4), got [1, 1, 6]" });
    const g = feeds();
    delete g.pixels;
    assert.throws(() => unpackInputs(card, g), { message: "tensor pixels is missing (column pixels width 3072)" });
    const h = feeds();
    h.text_ids = { type: "float32", data: new Float32Array(1), dims: [1, 1] };
    assert.throws(() => unpackInputs(card, h), { message: "tensor text_ids: expected int64, got float32 (Float32Array)" });
  });

  it("refuses presence flags other than 0/1 and a side channel that disagrees", () => {
    const f = feeds();
    (f.present!.data as Float32Array)[2] = 0.5;
    assert.throws(() => unpackInputs(card, f), { message: "present[0, 0, 2] (column objects): expected 0 or 1, got 0.5" });
    const t = absentToken(card, 0, stamp);
    const side = packSide(card, [[t]]);
    side.origins[1] = 0; // says "observed" where present says 0
    assert.throws(() => unpackInputs(card, packWindow(card, [t], 0), side), { message: "token [0, 0] column pixels: side channel says observed, present says 0" });
  });
});

describe("unpackOutputs", () => {
  const V = card.tokenizer.vocab_size;
  function outputs(B: number, T: number, logits: (bt: number, v: number) => number): Record<string, Tensor> {
    const lg = new Float32Array(B * T * V);
    for (let bt = 0; bt < B * T; bt++) for (let v = 0; v < V; v++) lg[bt * V + v] = logits(bt, v);
    const act = Float32Array.from({ length: B * T * 4 }, (_, i) => i / 10);
    return {
      text_logits: { type: "float32", data: lg, dims: [B, T, V] }, // [B, T, V]
      action_out: { type: "float32", data: act, dims: [B, T, 4] }, // [B, T, A]
      pixels_out: { type: "float32", data: new Float32Array(B * T * 3072).fill(0.5), dims: [B, T, 3072] },
    };
  }

  it("takes the argmax of the logits and copies continuous heads; a head the graph lacks is absent", () => {
    // token bt prefers id 65 + bt; ties between 10 and 20 elsewhere resolve to the lowest id.
    const out = outputs(2, 2, (bt, v) => (v === 65 + bt ? 5 : v === 10 || v === 20 ? 1 : 0));
    const steps = [[4, 5], [9, 10]];
    const stamps = steps.map((s) => s.map((k) => ({ sec: k, nanosec: 0 })));
    const got = unpackOutputs(card, out, steps, stamps);
    assert.deepEqual(got.map((w) => w.map((t) => t.columns.text!.data[0])), [[65, 66], [67, 68]]);
    assert.deepEqual(got.map((w) => w.map((t) => t.step)), steps);
    assert.deepEqual(got[1]![1]!.stamp, { sec: 10, nanosec: 0 });
    const t = got[1]![0]!;
    assert.equal(t.columns.text!.origin, "predicted");
    assert.deepEqual(t.columns.action, { origin: "predicted", data: Float32Array.of(0.8, 0.9, 1.0, 1.1) });
    assert.equal(t.columns.pixels!.data[3071], 0.5);
    assert.deepEqual(t.columns.objects, { origin: "absent", data: new Float32Array(112) });
    const tie = unpackOutputs(card, outputs(1, 1, (_, v) => (v === 10 || v === 20 ? 1 : 0)), [[0]], [[stamp]]);
    assert.equal(tie[0]![0]!.columns.text!.data[0], 10);
  });

  it("never lets NaN win, and leaves text absent for an all-NaN row", () => {
    const nanFirst = unpackOutputs(card, outputs(1, 1, (_, v) => (v === 0 ? NaN : v === 3 ? -1 : -2)), [[0]], [[stamp]]);
    assert.equal(nanFirst[0]![0]!.columns.text!.data[0], 3);
    const allNaN = unpackOutputs(card, outputs(1, 1, () => NaN), [[0]], [[stamp]]);
    assert.deepEqual(allNaN[0]![0]!.columns.text, { origin: "absent", data: new Int32Array(1) });
    const allNegInf = unpackOutputs(card, outputs(1, 1, () => -Infinity), [[0]], [[stamp]]);
    assert.equal(allNegInf[0]![0]!.columns.text!.data[0], 0);
  });

  it("names an output whose dims disagree with the card, and ragged steps", () => {
    const out = outputs(1, 1, () => 0);
    out.action_out = { type: "float32", data: new Float32Array(6), dims: [1, 1, 6] };
    assert.throws(() => unpackOutputs(card, out, [[0]], [[stamp]]), { message: "tensor action_out: expected dims [1, 1, 4] (column action width 4), got [1, 1, 6]" });
    const badLogits = outputs(1, 1, () => 0);
    badLogits.text_logits = { type: "float32", data: new Float32Array(256), dims: [1, 1, 256] };
    assert.throws(() => unpackOutputs(card, badLogits, [[0]], [[stamp]]), /tensor text_logits: expected dims \[1, 1, 260\] \(vocab_size 260\), got \[1, 1, 256\]/);
    assert.throws(() => unpackOutputs(card, outputs(1, 2, () => 0), [[0, 1]], [[stamp]]), /steps and stamps must both be \[B\]\[T\]/);
  });

  it("gives a prediction that packs as the next input (fill-in)", () => {
    const [[p]] = unpackOutputs(card, outputs(1, 1, (_, v) => (v === card.tokenizer.special.PAD ? 1 : 0)), [[7]], [[stamp]]) as [[Omnitoken]];
    const again = unpackInputs(card, packWindow(card, [p], 7), packSide(card, [[p]]));
    assert.ok(tokensEqual(again[0]![0]!, cloneToken(p)));
  });
});
