// The byte tokenizer of the text column: ids 0..255 are UTF-8 bytes, the specials follow.
// Specials carry no text: decoding skips them (they do not break a multibyte sequence either,
// so `decode(ids)` and a TokenStream fed the same ids always agree).
import type { TokenizerSpec } from "./card-types.ts";

/** The v1 tokenizer: PAD=256, BOS=257, EOS=258, SEP=259, vocab_size=260. */
export function defaultTokenizerSpec(): TokenizerSpec {
  return { kind: "byte", vocab_size: 260, special: { PAD: 256, BOS: 257, EOS: 258, SEP: 259 } };
}

const utf8 = new TextEncoder();

export class ByteTokenizer {
  readonly PAD: number;
  readonly BOS: number;
  readonly EOS: number;
  readonly SEP: number;
  readonly vocabSize: number;

  constructor(spec: TokenizerSpec = defaultTokenizerSpec()) {
    this.PAD = spec.special.PAD;
    this.BOS = spec.special.BOS;
    this.EOS = spec.special.EOS;
    this.SEP = spec.special.SEP;
    this.vocabSize = spec.vocab_size;
  }

  /** UTF-8 bytes of `text`, no specials. Lone surrogates become U+FFFD (TextEncoder's rule). */
  encode(text: string): number[] {
    return Array.from(utf8.encode(text));
  }

  /** Text of the byte ids; specials and ids outside 0..255 are skipped, invalid UTF-8 → U+FFFD. Never throws. */
  decode(ids: Iterable<number>): string {
    const bytes: number[] = [];
    for (const id of ids) if (isByte(id)) bytes.push(id);
    return new TextDecoder("utf-8", { fatal: false }).decode(Uint8Array.from(bytes));
  }

  /** How a command enters the context (docs/CONVENTIONS.md): [BOS, ...bytes, SEP]. */
  command(text: string): number[] {
    return [this.BOS, ...this.encode(text), this.SEP];
  }

  isSpecial(id: number): boolean {
    return id === this.PAD || id === this.BOS || id === this.EOS || id === this.SEP;
  }
}

const isByte = (id: number): boolean => Number.isInteger(id) && id >= 0 && id <= 255;

/** Decodes the model's emitted text one id at a time, holding an incomplete UTF-8 sequence
 * until its last byte arrives (like TextDecoderStream). */
export class TokenStream {
  private decoder = new TextDecoder("utf-8", { fatal: false });
  private readonly one = new Uint8Array(1);

  /** The characters completed by `id` ("" while a multibyte sequence is incomplete, or for a special). */
  push(id: number): string {
    if (!isByte(id)) return "";
    this.one[0] = id;
    return this.decoder.decode(this.one, { stream: true });
  }

  /** Ends the stream: an incomplete sequence left over becomes U+FFFD. The stream can be reused. */
  flush(): string {
    const rest = this.decoder.decode();
    this.decoder = new TextDecoder("utf-8", { fatal: false });
    return rest;
  }
}
