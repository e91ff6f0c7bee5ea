// std_msgs/String → the text column: a task command enters the context as its prefix,
// [BOS, UTF-8 bytes…, SEP], one text-only omnitoken per id (docs/CONVENTIONS.md).
import type { ModelCard } from "../omnitoken/card-types.ts";
import { textToken } from "../omnitoken/token.ts";
import { ByteTokenizer } from "../omnitoken/tokenizer.ts";
import type { Omnitoken, Stamp } from "../omnitoken/types.ts";
import type { StringMsg } from "../messages/types.ts";

/** The command prefix ids of `msg`: [BOS, ...bytes, SEP]. */
export function encodeCommand(msg: StringMsg, tokenizer: ByteTokenizer): number[] {
  return tokenizer.command(msg.data);
}

/** The command prefix as omnitokens: text observed, every other column absent, steps from `firstStep`. */
export function commandTokens(card: ModelCard, msg: StringMsg, firstStep: number, stamp: Stamp): Omnitoken[] {
  return encodeCommand(msg, new ByteTokenizer(card.tokenizer)).map((id, i) => textToken(card, id, firstStep + i, stamp));
}
