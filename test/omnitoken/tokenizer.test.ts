import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ByteTokenizer, defaultTokenizerSpec, TokenStream } from "../../src/omnitoken/tokenizer.ts";
import { prng } from "./random-tokens.ts";

const tok = new ByteTokenizer(defaultTokenizerSpec());

/** Feeds ids one by one, as the loop does with the model's emitted text. */
function streamed(ids: number[]): { parts: string[]; text: string } {
  const s = new TokenStream();
  const parts = ids.map((id) => s.push(id));
  const tail = s.flush();
  return { parts, text: parts.join("") + tail };
}

describe("ByteTokenizer", () => {
  it("has the v1 specials", () => {
    assert.deepEqual([tok.PAD, tok.BOS, tok.EOS, tok.SEP, tok.vocabSize], [256, 257, 258, 259, 260]);
    assert.ok(tok.isSpecial(258) && !tok.isSpecial(255));
  });

  it("round-trips ASCII, CJK and emoji through UTF-8 bytes", () => {
    for (const text of ["touch the red block", "把红色方块放到绿色区域", "done 👍🏽", "é (e + U+0301) e\u0301", ""]) {
      const ids = tok.encode(text);
      assert.ok(ids.every((b) => b >= 0 && b <= 255));
      assert.deepEqual(ids, Array.from(Buffer.from(text, "utf8")));
      assert.equal(tok.decode(ids), text);
    }
    assert.deepEqual(tok.encode("€"), [0xe2, 0x82, 0xac]);
  });

  it("wraps a command as [BOS, bytes, SEP]", () => {
    assert.deepEqual(tok.command("go"), [257, 0x67, 0x6f, 259]);
  });

  it("skips specials and out-of-range ids, even inside a multibyte sequence", () => {
    assert.equal(tok.decode([257, 0x68, 256, 0x69, 258, 259, -1, 999, 1.5, Number.NaN]), "hi");
    assert.equal(tok.decode([0xe2, 256, 0x82, 0xac]), "€");
  });

  it("decodes invalid UTF-8 to U+FFFD without throwing", () => {
    assert.equal(tok.decode([0xff, 0x41]), "\ufffdA");
    assert.equal(tok.decode([0xe2, 0x82]), "\ufffd"); // truncated at the end
    assert.equal(tok.decode([0xc0, 0xaf]), "\ufffd\ufffd"); // overlong
    assert.equal(tok.decode(new Set([0xed, 0xa0, 0x80])), "\ufffd\ufffd\ufffd"); // a surrogate; any iterable works
  });
});

describe("TokenStream", () => {
  it("holds a split emoji until its last byte", () => {
    const { parts, text } = streamed(tok.encode("a👍b"));
    assert.deepEqual(parts, ["a", "", "", "", "👍", "b"]);
    assert.equal(text, "a👍b");
  });

  it("holds a CJK character across an interleaved special", () => {
    const [x, y, z] = tok.encode("中");
    assert.deepEqual(streamed([x!, y!, 256, z!]).parts, ["", "", "", "中"]);
  });

  it("flushes an incomplete sequence as U+FFFD and can be reused", () => {
    const s = new TokenStream();
    assert.equal(s.push(0xf0), "");
    assert.equal(s.push(0x9f), "");
    assert.equal(s.flush(), "\ufffd");
    assert.equal(s.push(0x41), "A");
    assert.equal(s.flush(), "");
  });

  it("agrees with decode on random byte/special sequences (seeded)", () => {
    const rand = prng(7);
    for (let n = 0; n < 300; n++) {
      const ids = Array.from({ length: Math.floor(rand() * 24) }, () => {
        const r = rand();
        // Bias towards UTF-8 lead/continuation bytes so that multibyte sequences actually occur.
        return r < 0.1 ? 256 + Math.floor(rand() * 4) : r < 0.4 ? 0x80 + Math.floor(rand() * 0x40) : r < 0.6 ? 0xe0 + Math.floor(rand() * 0x10) : Math.floor(rand() * 256);
      });
      assert.equal(streamed(ids).text, tok.decode(ids), `ids ${JSON.stringify(ids)}`);
    }
  });
});
