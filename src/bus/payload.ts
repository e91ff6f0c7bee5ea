// What a bus does with one message of a given type: check it before publishing, turn it into a
// codec frame and back. Every transport goes through here, so all of them accept and refuse the
// same messages (DESIGN §1: transports differ, shapes do not).
import { validateMessage } from "../messages/validate.ts";
import { decodeFrame, decodeOmnitoken, encodeFrame } from "../omnitoken/codec.ts";
import { assertOmnitoken } from "../omnitoken/token.ts";
import { OMNITOKEN_TYPE } from "./topics.ts";
import type { BusMessageTypes, BusTypeName } from "./types.ts";
import type { RosTypeName } from "../messages/types.ts";

/** The message as transports carry it: ROS messages normalised by validateMessage (plain number
 * arrays become typed arrays), omnitokens checked for shape. Throws MessageError / OmnitokenError. */
export function checkMessage<K extends BusTypeName>(type: K, message: unknown, where: string): BusMessageTypes[K] {
  if (type === OMNITOKEN_TYPE) {
    assertOmnitoken(message, undefined, where);
    return message as BusMessageTypes[K];
  }
  return validateMessage(type as RosTypeName, message) as BusMessageTypes[K];
}

/** A message checked by checkMessage → one codec frame (encodeFrame: checkMessage already did
 * what encodeOmnitoken would check again). */
export function encodePayload<K extends BusTypeName>(_type: K, message: BusMessageTypes[K]): Uint8Array {
  return encodeFrame(message);
}

/** One codec frame → a checked message. Throws FrameError, MessageError or OmnitokenError. */
export function decodePayload<K extends BusTypeName>(type: K, bytes: Uint8Array): BusMessageTypes[K] {
  if (type === OMNITOKEN_TYPE) return decodeOmnitoken(bytes) as BusMessageTypes[K];
  return validateMessage(type as RosTypeName, decodeFrame(bytes)) as BusMessageTypes[K];
}
