import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  absentToken, assertOmnitoken, cloneToken, isPresent, OmnitokenError, omnitokenProblems, textToken, tokensEqual,
} from "../../src/omnitoken/token.ts";
import { fixtureCard, prng, randomToken } from "./random-tokens.ts";

const card = fixtureCard("valid-tabletop");
const stamp = { sec: 12, nanosec: 500 };

describe("token builders", () => {
  it("absentToken: every column absent, zero data of the right width and type", () => {
    const t = absentToken(card, 3, stamp);
    assert.equal(t.step, 3);
    assert.deepEqual(t.stamp, stamp);
    assert.notEqual(t.stamp, stamp); // copied, not shared
    assert.deepEqual(Object.keys(t.columns), ["text", "pixels", "objects", "action"]);
    assert.deepEqual(t.columns.text, { origin: "absent", data: new Int32Array(1) });
    assert.deepEqual(t.columns.pixels, { origin: "absent", data: new Float32Array(3072) });
    assert.equal(t.columns.objects!.data.length, 112);
    assert.ok(t.columns.action!.data instanceof Float32Array && t.columns.action!.data.length === 4);
    assert.ok(Object.values(t.columns).every((c) => !isPresent(c)));
  });

  it("textToken: text observed, the rest absent", () => {
    const t = textToken(card, 257, 0, stamp);
    assert.deepEqual(t.columns.text, { origin: "observed", data: Int32Array.of(257) });
    assert.ok(isPresent(t.columns.text!));
    assert.ok(!isPresent(t.columns.pixels!));
  });

  it("textToken refuses ids outside the vocabulary and cards without text", () => {
    assert.throws(() => textToken(card, 260, 0, stamp), { name: "OmnitokenError", message: "textToken(260): expected a token id in [0, 260), got 260" });
    assert.throws(() => textToken(card, -1, 0, stamp), /expected a token id in \[0, 260\), got -1/);
    assert.throws(() => textToken(fixtureCard("valid-twist-2d"), 65, 0, stamp), { message: "textToken(65): card base-follow-2d has no text column" });
  });
});

describe("cloneToken and tokensEqual", () => {
  it("clones deeply", () => {
    const t = randomToken(card, prng(1), 5);
    const c = cloneToken(t);
    assert.ok(tokensEqual(t, c));
    c.columns.pixels!.data[0] = 42;
    c.stamp.sec += 1;
    assert.notEqual(t.columns.pixels!.data[0], 42);
    assert.equal(t.stamp.sec, c.stamp.sec - 1);
  });

  it("compares bit-exactly: NaN payloads, -0, origin, array type", () => {
    const base = absentToken(card, 0, stamp);
    const nan = (bits: number) => {
      const t = cloneToken(base);
      new Uint32Array(t.columns.action!.data.buffer)[0] = bits;
      return t;
    };
    assert.ok(tokensEqual(nan(0x7fc00001), nan(0x7fc00001)));
    assert.ok(!tokensEqual(nan(0x7fc00001), nan(0x7fc00002)));
    const negZero = cloneToken(base);
    negZero.columns.action!.data[1] = -0;
    assert.ok(!tokensEqual(base, negZero));
    const observed = cloneToken(base);
    observed.columns.action!.origin = "observed";
    assert.ok(!tokensEqual(base, observed));
    const wrongType = cloneToken(base);
    wrongType.columns.text!.data = new Float32Array(1);
    assert.ok(!tokensEqual(base, wrongType));
    const fewer = cloneToken(base);
    delete fewer.columns.objects;
    assert.ok(!tokensEqual(base, fewer) && !tokensEqual(fewer, base));
    assert.ok(!tokensEqual(base, { ...cloneToken(base), step: 1 }));
    assert.ok(!tokensEqual(base, { ...cloneToken(base), stamp: { sec: 12, nanosec: 501 } }));
  });

  it("compares views by their own bytes, not their whole buffer", () => {
    const a = absentToken(card, 0, stamp);
    const b = cloneToken(a);
    const big = new Float32Array(10).fill(7);
    big.fill(0, 3, 7);
    b.columns.action!.data = big.subarray(3, 7);
    assert.ok(tokensEqual(a, b));
  });
});

describe("omnitokenProblems", () => {
  it("accepts a well-formed token, with and without its card", () => {
    const t = randomToken(card, prng(2), 0);
    assert.deepEqual(omnitokenProblems(t), []);
    assert.deepEqual(omnitokenProblems(t, card), []);
    assert.doesNotThrow(() => assertOmnitoken(t, card));
  });

  it("names each malformed field", () => {
    assert.deepEqual(omnitokenProblems([1, 2]), ["expected an object {step, stamp, columns}, got an array of 2"]);
    assert.deepEqual(omnitokenProblems({ step: -1, stamp: { sec: 1.5, nanosec: 1e9 }, columns: { a: { origin: "seen", data: [1] } } }), [
      "step: expected a non-negative integer, got -1",
      "stamp.sec: expected an integer, got 1.5",
      "stamp.nanosec: expected an integer in [0, 1e9), got 1000000000",
      "columns.a.origin: expected one of observed, predicted, absent, got \"seen\"",
      "columns.a.data: expected a Float32Array or Int32Array, got an array of 1",
    ]);
  });

  it("checks a token against its card: columns, types, widths", () => {
    const t = absentToken(card, 0, stamp);
    t.columns.pixels!.data = new Float32Array(3000);
    t.columns.text!.data = new Float32Array(1);
    delete t.columns.action;
    t.columns.depth = { origin: "absent", data: new Float32Array(4) };
    assert.deepEqual(omnitokenProblems(t, card), [
      "columns.text.data: expected Int32Array(1) for the text column, got Float32Array(1)",
      "columns.pixels.data: expected Float32Array(3072) for the pixels column, got Float32Array(3000)",
      "columns.action: missing (card tabletop-reference declares it)",
      "columns.depth: not a column of card tabletop-reference",
    ]);
    assert.throws(() => assertOmnitoken(t, card, "observation"), (err: unknown) => {
      assert.ok(err instanceof OmnitokenError);
      assert.equal(err.problems.length, 4);
      assert.match(err.message, /^observation:\n {2}- columns\.text\.data/);
      return true;
    });
  });
});
