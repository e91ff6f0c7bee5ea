// Bus URLs: `memory://` (or `memory`), `zmq://HOST:PORT`, `ros2` / `ros2://` (a later issue).
import { BusUrlError, RemoteAddressError } from "./errors.ts";

export type BusUrl =
  | { scheme: "memory" }
  | { scheme: "ros2" }
  | {
      scheme: "zmq";
      /** As written, without IPv6 brackets: "127.0.0.1", "::1", "localhost", "robot.lan". */
      host: string;
      /** The hub's publisher-side port; subscribers use port + 1. */
      port: number;
      ipv6: boolean;
      loopback: boolean;
    };

export const KNOWN_SCHEMES = ["memory://", "zmq://HOST:PORT", "ros2://"] as const;

export function parseBusUrl(url: string): BusUrl {
  const text = url.trim();
  if (text === "memory" || text === "memory://") return { scheme: "memory" };
  if (text === "ros2" || text.startsWith("ros2://")) return { scheme: "ros2" };
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(text);
  if (!m) throw new BusUrlError(`bus URL "${url}": expected one of ${KNOWN_SCHEMES.join(", ")}`);
  const scheme = m[1]!.toLowerCase();
  if (scheme !== "zmq") {
    throw new BusUrlError(`bus URL "${url}": unknown scheme "${scheme}://"; known: ${KNOWN_SCHEMES.join(", ")}`);
  }
  return parseZmq(url, m[2]!);
}

function parseZmq(url: string, rest: string): BusUrl {
  // [v6]:port | host:port, nothing after the port (no path, no query: options go in the options object).
  const m = /^(?:\[([0-9a-f:.]+)\]|([^[\]:/?#]+)):(\d+)\/?$/i.exec(rest);
  if (!m) throw new BusUrlError(`bus URL "${url}": expected zmq://HOST:PORT (e.g. zmq://127.0.0.1:7600), found "zmq://${rest}"`);
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65534) {
    throw new BusUrlError(`bus URL "${url}": port must be 1..65534 (the hub also uses port + 1), found ${m[3]}`);
  }
  const ipv6 = m[1] !== undefined;
  const host = (m[1] ?? m[2])!.toLowerCase();
  return { scheme: "zmq", host, port, ipv6, loopback: isLoopback(host) };
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The ZeroMQ endpoints of a hub: publishers connect to `publish`, subscribers to `subscribe`. */
export function hubEndpoints(url: Extract<BusUrl, { scheme: "zmq" }>): { publish: string; subscribe: string } {
  // ZeroMQ binds to addresses, not names: localhost is spelled out so bind and connect agree.
  const host = url.host === "localhost" ? "127.0.0.1" : url.ipv6 ? `[${url.host}]` : url.host;
  return { publish: `tcp://${host}:${url.port}`, subscribe: `tcp://${host}:${url.port + 1}` };
}

/** Refuses a non-loopback address unless the caller opted in. The seam for CURVE (a later issue):
 * when keys are configured, remote addresses will be allowed with encryption instead. */
export function checkRemote(url: Extract<BusUrl, { scheme: "zmq" }>, allowRemote: boolean, verb: "bind" | "connect"): void {
  if (url.loopback || allowRemote) return;
  throw new RemoteAddressError(
    `zmq://${url.ipv6 ? `[${url.host}]` : url.host}:${url.port}: refusing to ${verb} a non-loopback address ` +
      `(bus traffic is unencrypted); pass allowRemote: true (--allow-remote) to accept that, or use 127.0.0.1`,
  );
}
