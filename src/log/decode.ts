// Which decoder reads a channel: CDR with the schema the file carries (rosbag2 MCAP, our logs), CDR
// with omniloop's own definition when the file carries none (rosbag2 .db3), msgpack omnitokens.
// A channel nothing here can read gets a reason instead, so callers count its messages as
// undecodable rather than dropping them silently.
import { decodeOmnitoken } from "../omnitoken/codec.ts";
import { validateCard } from "../omnitoken/card.ts";
import type { ModelCard } from "../omnitoken/card-types.ts";
import { hasDefinition } from "../messages/definitions.ts";
import { cdrCodec, cdrCodecFor } from "./cdr.ts";
import { CARD_SCHEMA_ENCODING, CDR, MSGPACK, OMNITOKEN_TYPE, ROS2MSG } from "./layout.ts";

export interface ChannelInfo {
  topic: string;
  /** The message type: the schema name (`sensor_msgs/msg/Image`), or the .db3 topic type. */
  type: string;
  messageEncoding: string;
  schemaEncoding: string;
  schemaData: Uint8Array;
}

export type Decoder = { ok: true; decode: (data: Uint8Array) => unknown } | { ok: false; reason: string };

const text = new TextDecoder();

export function decoderFor(ch: ChannelInfo): Decoder {
  if (ch.messageEncoding === CDR) {
    if (ch.schemaEncoding === ROS2MSG && ch.schemaData.byteLength > 0) {
      try {
        const codec = cdrCodec(ch.type, text.decode(ch.schemaData));
        return { ok: true, decode: (d) => codec.decode(d) };
      } catch (err) {
        return { ok: false, reason: (err as Error).message };
      }
    }
    if (hasDefinition(ch.type)) {
      const codec = cdrCodecFor(ch.type);
      return { ok: true, decode: (d) => codec.decode(d) };
    }
    return {
      ok: false,
      reason: `no definition of ${ch.type}: the file carries ${ch.schemaEncoding ? `a ${ch.schemaEncoding} schema` : "no schema"} and omniloop knows no such type`,
    };
  }
  if (ch.messageEncoding === MSGPACK && ch.type === OMNITOKEN_TYPE) {
    const card = cardOf(ch);
    return { ok: true, decode: (d) => decodeOmnitoken(d, card) };
  }
  return { ok: false, reason: `message encoding "${ch.messageEncoding}" (schema ${ch.type || "none"}) is not one omniloop decodes` };
}

/** The model card an omnitoken channel carries as its schema, if any. */
export function cardOf(ch: ChannelInfo): ModelCard | undefined {
  if (ch.schemaEncoding !== CARD_SCHEMA_ENCODING || ch.schemaData.byteLength === 0) return undefined;
  return validateCard(JSON.parse(text.decode(ch.schemaData)), `schema of ${ch.topic}`);
}
