// Where a policy server listens: `zmq://HOST:PORT` (or ZeroMQ's own `tcp://HOST:PORT`). Loopback
// needs nothing; any other address carries observations and actions across a network, so it is
// refused unless CURVE keys encrypt it.
import { isLoopback } from "../../bus/url.ts";
import { RemotePolicyConfigError } from "./errors.ts";

export interface PolicyEndpoint {
  /** As written, without IPv6 brackets. */
  host: string;
  port: number;
  ipv6: boolean;
  loopback: boolean;
  /** The ZeroMQ address to bind or connect. */
  zmq: string;
  /** For messages: zmq://HOST:PORT. */
  url: string;
}

export const DEFAULT_POLICY_ENDPOINT = "zmq://127.0.0.1:5560";

export function isRemotePolicyUrl(text: string): boolean {
  return /^(zmq|tcp):\/\//i.test(text.trim());
}

export function parsePolicyEndpoint(text: string): PolicyEndpoint {
  const m = /^(?:zmq|tcp):\/\/(?:\[([0-9a-f:.]+)\]|([^[\]:/?#]+)):(\d+)\/?$/i.exec(text.trim());
  if (!m) {
    throw new RemotePolicyConfigError(
      `policy endpoint "${text}": expected zmq://HOST:PORT (e.g. ${DEFAULT_POLICY_ENDPOINT}; tcp://HOST:PORT is accepted too)`,
    );
  }
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port > 65535) {
    throw new RemotePolicyConfigError(`policy endpoint "${text}": port must be 1..65535 (0 to bind any free port), found ${m[3]}`);
  }
  const ipv6 = m[1] !== undefined;
  const host = (m[1] ?? m[2])!.toLowerCase();
  // ZeroMQ binds addresses, not names: localhost is spelled out so bind and connect agree.
  const zhost = host === "localhost" ? "127.0.0.1" : ipv6 ? `[${host}]` : host;
  return { host, port, ipv6, loopback: isLoopback(host), zmq: `tcp://${zhost}:${port === 0 ? "*" : port}`, url: `zmq://${ipv6 ? `[${host}]` : host}:${port}` };
}

/** Refuses a non-loopback endpoint without CURVE keys. `has` names the key option the fix needs. */
export function requireCurveOffLoopback(e: PolicyEndpoint, keyed: boolean, verb: "bind" | "connect", fix: string): void {
  if (e.loopback || keyed) return;
  throw new RemotePolicyConfigError(
    `${e.url}: refusing to ${verb} a non-loopback address without CURVE keys (observations and actions would cross ` +
      `the network unencrypted); ${fix}, or use 127.0.0.1`,
  );
}
