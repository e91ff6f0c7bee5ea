// `--foxglove [HOST:]PORT`: where the live view listens. Loopback unless a host is named, so a
// robot's loop is not visible on the network by accident.

export interface ViewAddress {
  host: string;
  port: number;
}

export const DEFAULT_VIEW_HOST = "127.0.0.1";
export const DEFAULT_VIEW_PORT = 8765;

export class ViewAddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ViewAddressError";
  }
}

/** "8765" → 127.0.0.1:8765; "0.0.0.0:8765", "[::1]:8765", "localhost:9000" as written. An empty
 * value (the flag given with no argument) means the default port on loopback. */
export function parseViewAddress(value: string | true): ViewAddress {
  if (value === true || value === "") return { host: DEFAULT_VIEW_HOST, port: DEFAULT_VIEW_PORT };
  const m = /^(?:\[([^\]]+)\]:|([^:[\]]+):)?(\d+)$/.exec(value.trim());
  if (!m) throw new ViewAddressError(`--foxglove expects [HOST:]PORT (e.g. 8765 or 0.0.0.0:8765), found "${value}"`);
  const port = Number(m[3]);
  if (!(port >= 0 && port <= 65535)) throw new ViewAddressError(`--foxglove: port must be 0..65535, found ${m[3]} in "${value}"`);
  return { host: m[1] ?? m[2] ?? DEFAULT_VIEW_HOST, port };
}

/** Whether `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}
