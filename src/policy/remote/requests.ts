// Client → server: what a robot asks of a policy server. Every request names its client (a random id
// the client keeps across reconnects, so a session survives a new TCP connection) and a request id
// the reply echoes.
//
// Context bookkeeping: the tokens a client feeds after the command prefix are numbered 0, 1, 2, … in
// its episode (`seq`). A step carries `from` (the seq of its first token) and the tokens the server
// may not have yet; the server skips those it has fed already and answers `out_of_sync` when some
// are missing. So a reply lost to a deadline, a reconnect or a resend never feeds a token twice.
import type { ModelCard } from "../../omnitoken/card-types.ts";
import type { Omnitoken } from "../../omnitoken/types.ts";
import { ProtocolError } from "./errors.ts";
import { decodeMessage, encodeMessage, field, isCount, isId, PROTOCOL_VERSION, tokens, type Fields } from "./wire.ts";

interface Base {
  client: string;
  id: number;
}

export type Request =
  /** Asks for the card and the provider; opens nothing (a session starts with `start`). */
  | (Base & { kind: "hello" })
  /** A new episode (or the same one re-prefilled after the server lost it): reset the session's
   * context, feed the prefix, then `tokens` (seq `from`, `from + 1`, …). */
  | (Base & { kind: "start"; episode: number; prefix: Omnitoken[]; from: number; tokens: Omnitoken[] })
  /** Feed `tokens` (seq from `from`); answer the prediction after the last. */
  | (Base & { kind: "step"; episode: number; from: number; tokens: Omnitoken[] })
  /** As step, then roll the last token out `horizon` tokens (they do not stay in the context). */
  | (Base & { kind: "rollout"; episode: number; from: number; tokens: Omnitoken[]; horizon: number })
  /** Heartbeat. */
  | (Base & { kind: "ping" })
  /** Close this client's session now (else it expires after the server's idle timeout). */
  | (Base & { kind: "bye" });

export type RequestKind = Request["kind"];

export function encodeRequest(r: Request): Uint8Array {
  return encodeMessage({ v: PROTOCOL_VERSION, ...r });
}

/** The id and client of a request that failed to decode, when they can be read, so the server can
 * answer the client instead of leaving it to its deadline. */
export function requestAddress(f: Fields): { id: number; client: string } | undefined {
  return isCount(f.id) && isId(f.client) ? { id: f.id, client: f.client } : undefined;
}

/** Decodes and checks a request; tokens are checked against `card`. Throws ProtocolError. */
export function decodeRequest(bytes: Uint8Array, card: ModelCard): Request {
  const f = decodeMessage(bytes, "request");
  return checkRequest(f, card);
}

export function checkRequest(f: Fields, card: ModelCard): Request {
  const what = `request ${typeof f.kind === "string" ? `"${f.kind}"` : ""}`.trimEnd();
  const base: Base = {
    client: field(f, "client", what, isId, "a client id (1..64 characters)"),
    id: field(f, "id", what, isCount, "a non-negative integer"),
  };
  switch (f.kind) {
    case "hello":
    case "ping":
    case "bye":
      return { kind: f.kind, ...base };
    case "start":
      return {
        kind: "start",
        ...base,
        episode: field(f, "episode", what, isCount, "a non-negative integer"),
        prefix: tokens(f, "prefix", what, card, 1),
        from: field(f, "from", what, isCount, "a non-negative integer"),
        tokens: tokens(f, "tokens", what, card, 0),
      };
    case "step":
    case "rollout": {
      const common = {
        ...base,
        episode: field(f, "episode", what, isCount, "a non-negative integer"),
        from: field(f, "from", what, isCount, "a non-negative integer"),
        tokens: tokens(f, "tokens", what, card, 1),
      };
      if (f.kind === "step") return { kind: "step", ...common };
      const horizon = field(f, "horizon", what, (v): v is number => isCount(v) && v >= 1 && v <= card.context_length, `an integer in [1, ${card.context_length}]`);
      return { kind: "rollout", ...common, horizon };
    }
    default:
      throw new ProtocolError(`request: field "kind": expected hello, start, step, rollout, ping or bye, found ${JSON.stringify(f.kind) ?? "nothing"}`);
  }
}
