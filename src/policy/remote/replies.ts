// Server → client. Every reply echoes the request id and names the server instance (random per
// process), so a client sees a restart at the first reply and re-prefills its session. Every msgpack
// reply of this build also says which raw frame version the server reads (`raw`, raw.ts): a client
// sends its steps as raw frames only to a server that said so.
import { validateCard } from "../../omnitoken/card.ts";
import type { ModelCard } from "../../omnitoken/card-types.ts";
import type { Omnitoken } from "../../omnitoken/types.ts";
import { ProtocolError } from "./errors.ts";
import { RAW_SUPPORTED, RAW_VERSION } from "./raw.ts";
import { decodeMessage, encodeMessage, field, isCount, isId, isString, PROTOCOL_VERSION, tokens } from "./wire.ts";

/** Why a request got no prediction. `no_session` and `out_of_sync` are "not yet": the client
 * re-prefills and carries on; the others are "bad" or "refused". */
export type ErrorCode = "no_session" | "out_of_sync" | "bad_request" | "failed" | "busy";

const ERROR_CODES: readonly ErrorCode[] = ["no_session", "out_of_sync", "bad_request", "failed", "busy"];

interface Base {
  id: number;
  server: string;
  /** The raw frame version the server reads (absent: msgpack only, as before raw frames). */
  raw?: number;
}

export type Reply =
  | (Base & { kind: "welcome"; card: ModelCard; provider: string })
  /** `fed`: how many tokens of the episode (after the prefix) the session now holds. */
  | (Base & { kind: "prediction"; episode: number; fed: number; tokens: Omnitoken[] })
  | (Base & { kind: "pong" })
  | (Base & { kind: "error"; code: ErrorCode; message: string });

export function encodeReply(r: Reply): Uint8Array {
  return encodeMessage(RAW_SUPPORTED ? { v: PROTOCOL_VERSION, raw: RAW_VERSION, ...r } : { v: PROTOCOL_VERSION, ...r });
}

/** Decodes and checks a reply; prediction tokens are checked against `card` once it is known. */
export function decodeReply(bytes: Uint8Array, card: ModelCard | undefined): Reply {
  const f = decodeMessage(bytes, "reply");
  const what = `reply ${typeof f.kind === "string" ? `"${f.kind}"` : ""}`.trimEnd();
  const base: Base = {
    id: field(f, "id", what, isCount, "a non-negative integer"),
    server: field(f, "server", what, isId, "a server id"),
  };
  // Optional (older servers do not send it); a value that is not a version is ignored, not fatal:
  // the client then simply keeps to msgpack.
  if (isCount(f.raw)) base.raw = f.raw;
  switch (f.kind) {
    case "welcome": {
      let card: ModelCard;
      try {
        card = validateCard(f.card, "the server's card");
      } catch (err) {
        throw new ProtocolError(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      }
      return { kind: "welcome", ...base, card, provider: field(f, "provider", what, isString, "a provider name") };
    }
    case "prediction":
      return {
        kind: "prediction",
        ...base,
        episode: field(f, "episode", what, isCount, "a non-negative integer"),
        fed: field(f, "fed", what, isCount, "a non-negative integer"),
        tokens: tokens(f, "tokens", what, card, 1),
      };
    case "pong":
      return { kind: "pong", ...base };
    case "error":
      return {
        kind: "error",
        ...base,
        code: field(f, "code", what, (v): v is ErrorCode => ERROR_CODES.includes(v as ErrorCode), `one of ${ERROR_CODES.join(", ")}`),
        message: field(f, "message", what, isString, "a message"),
      };
    default:
      throw new ProtocolError(`reply: field "kind": expected welcome, prediction, pong or error, found ${JSON.stringify(f.kind) ?? "nothing"}`);
  }
}
