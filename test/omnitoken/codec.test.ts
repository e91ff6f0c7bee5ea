import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeFrame, decodeOmnitoken, encodeFrame, encodeOmnitoken, FrameError, FRAME_VERSION } from "../../src/omnitoken/codec.ts";
import { absentToken, tokensEqual } from "../../src/omnitoken/token.ts";
import { fixtureCard, prng, randomToken } from "./random-tokens.ts";

const card = fixtureCard("valid-tabletop");

const bytesOf = (v: ArrayBufferView) => Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
const roundTrip = <T>(v: T): T => decodeFrame(encodeFrame(v)) as T;

/** Float32/Float64 arrays whose elements are NaNs with distinct payloads and signs, ±Inf, ±0. */
function tricky32(): Float32Array {
  const a = new Float32Array(6);
  new Uint32Array(a.buffer).set([0x7fc00001, 0xffc12345, 0x7f800001 /* signalling */, 0x80000000, 0x7f800000, 0x00000001]);
  return a;
}
function tricky64(): Float64Array {
  const a = new Float64Array(4);
  new Uint32Array(a.buffer).set([0x1, 0x7ff80000, 0xdead, 0xfff00000 /* signalling, negative */, 0, 0x80000000, 0, 0x7ff00000]);
  return a;
}

describe("encodeFrame / decodeFrame", () => {
  it("starts with the magic and the version", () => {
    assert.deepEqual(Array.from(encodeFrame(null).subarray(0, 3)), [0xc1, 0x4f, FRAME_VERSION]);
  });

  it("returns every typed array kind as the same kind, bit-exact", () => {
    const arrays = [
      new Int8Array([-128, 127]), new Uint8Array([0, 255]), new Uint8ClampedArray([3]), new Int16Array([-32768]),
      new Uint16Array([65535]), new Int32Array([-(2 ** 31), 2 ** 31 - 1]), new Uint32Array([2 ** 32 - 1]),
      tricky32(), tricky64(), new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]), new BigUint64Array([2n ** 64n - 1n]),
      new Float32Array(0), new Float64Array(1000).fill(Math.PI),
    ];
    for (const a of arrays) {
      const b = roundTrip(a);
      assert.equal(b.constructor, a.constructor, a.constructor.name);
      assert.deepEqual(bytesOf(b), bytesOf(a), a.constructor.name);
    }
  });

  it("keeps typed arrays nested in messages, and views of a larger buffer", () => {
    const big = new Float32Array(16).map((_, i) => i);
    const msg = { header: { frame_id: "cam" }, data: new Uint8Array([1, 2, 3]), position: tricky64(), view: big.subarray(4, 8), list: [tricky32()] };
    const out = roundTrip(msg);
    assert.equal(out.header.frame_id, "cam");
    assert.deepEqual(bytesOf(out.view), bytesOf(big.subarray(4, 8)));
    assert.equal(out.view.length, 4);
    assert.deepEqual(bytesOf(out.position), bytesOf(msg.position));
    assert.deepEqual(bytesOf(out.list[0]!), bytesOf(msg.list[0]!));
  });

  it("keeps plain NaN (with its payload), ±Infinity, big integers; a plain -0 becomes 0", () => {
    const f = new Float64Array(1);
    new Uint32Array(f.buffer).set([0xbeef, 0x7ff80000]);
    const out = roundTrip({ nan: f[0]!, inf: Infinity, ninf: -Infinity, big: 2 ** 53 + 2, negzero: -0, half: 0.5, n: -7 });
    assert.deepEqual(bytesOf(Float64Array.of(out.nan)), bytesOf(f));
    assert.equal(out.inf, Infinity);
    assert.equal(out.ninf, -Infinity);
    assert.equal(out.big, 2 ** 53 + 2);
    assert.equal(out.half, 0.5);
    assert.equal(out.n, -7);
    assert.ok(Object.is(out.negzero, 0)); // documented limit: msgpack integers have no -0
  });

  it("gives decoded arrays their own memory, not views into the frame", () => {
    const frame = encodeFrame({ b: new Uint8Array([9, 9, 9]), f: Float32Array.of(1) });
    const out = decodeFrame(frame) as { b: Uint8Array; f: Float32Array };
    frame.fill(0);
    assert.deepEqual(Array.from(out.b), [9, 9, 9]);
    assert.equal(out.f[0], 1);
  });
});

describe("frame errors", () => {
  const good = encodeFrame({ a: Float32Array.of(1, 2, 3), s: "text" });

  it("refuses an unknown version", () => {
    const f = good.slice();
    f[2] = 7;
    assert.throws(() => decodeFrame(f), { name: "FrameError", message: "frame version 7 is not supported (this build reads version 1)" });
  });

  it("refuses a wrong magic and a non-byte input", () => {
    assert.throws(() => decodeFrame(Uint8Array.of(0x82, 0xa4, 1, 0)), { message: "not an omniloop frame: expected magic c1 4f, found 82 a4" });
    assert.throws(() => decodeFrame("abc" as unknown as Uint8Array), { message: "expected a frame as bytes (Uint8Array), got string" });
  });

  it("refuses a frame truncated at every length", () => {
    for (let n = 0; n < good.length; n++) {
      assert.throws(() => decodeFrame(good.subarray(0, n)), (err: unknown) => {
        assert.ok(err instanceof FrameError, `cut at ${n}: ${String(err)}`);
        assert.match(err.message, /^truncated frame: /, `cut at ${n}`);
        return true;
      });
    }
  });

  it("refuses trailing garbage, saying how much", () => {
    const f = new Uint8Array(good.length + 2);
    f.set(good);
    assert.throws(() => decodeFrame(f), { message: `malformed frame: 2 bytes of trailing garbage after the value (which ends at byte ${good.length})` });
  });

  it("refuses malformed values: the reserved byte, an unknown typed-array code", () => {
    assert.throws(() => decodeFrame(Uint8Array.of(0xc1, 0x4f, 1, 0x92, 0x01, 0xc1)), { message: "malformed frame: the value holds the reserved msgpack byte 0xc1" });
    assert.throws(() => decodeFrame(Uint8Array.of(0xc1, 0x4f, 1, 0xd5, 0x74, 99, 0)), { message: "malformed frame: Could not find typed array for code 99" });
  });

  it("never throws anything but FrameError on random garbage after a valid header (seeded)", () => {
    const rand = prng(99);
    for (let n = 0; n < 500; n++) {
      const f = new Uint8Array(4 + Math.floor(rand() * 40));
      f.set([0xc1, 0x4f, 1]);
      for (let i = 3; i < f.length; i++) f[i] = Math.floor(rand() * 256);
      try {
        decodeFrame(f);
      } catch (err) {
        assert.ok(err instanceof FrameError, `${Array.from(f)}: ${String(err)}`);
      }
    }
  });
});

describe("encodeOmnitoken / decodeOmnitoken", () => {
  it("round-trips random tokens bit-exactly (seeded: random presence, NaN payloads, ±Inf, -0)", () => {
    const rand = prng(2024);
    for (let n = 0; n < 200; n++) {
      const t = randomToken(card, rand, n);
      assert.ok(tokensEqual(decodeOmnitoken(encodeOmnitoken(t), card), t), `token ${n}`);
    }
  });

  it("checks the decoded value against the card", () => {
    const t = absentToken(card, 0, { sec: 1, nanosec: 2 });
    t.columns.action!.data = new Float32Array(7);
    const frame = encodeOmnitoken(t);
    assert.ok(decodeOmnitoken(frame)); // well-formed without a card
    assert.throws(() => decodeOmnitoken(frame, card), {
      name: "FrameError",
      message: "frame holds no well-formed omnitoken of card tabletop-reference: columns.action.data: expected Float32Array(4) for the action column, got Float32Array(7)",
    });
  });

  it("refuses a frame holding something else, and refuses to encode a non-token", () => {
    assert.throws(() => decodeOmnitoken(encodeFrame({ step: 1, stamp: { sec: 0, nanosec: 0 }, columns: { a: { origin: "absent", data: [0] } } })), {
      message: "frame holds no well-formed omnitoken: columns.a.data: expected a Float32Array or Int32Array, got an array of 1",
    });
    assert.throws(() => encodeOmnitoken({ step: 1 } as never), { name: "FrameError", message: /^cannot encode: not an omnitoken: stamp: expected \{sec, nanosec\}, got undefined; columns: / });
  });
});
