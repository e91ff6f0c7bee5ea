// The ZeroMQ bus's hub: an XSUB/XPUB proxy. Publishers connect to its XSUB on the bus URL's port
// P, subscribers to its XPUB on P + 1; libzmq's proxy forwards in a native thread, so the host's
// event loop never delays traffic. The XSUB subscribes to everything, so every publisher sends
// every message to the hub and the XPUB filters per subscriber: a subscription is live as soon as
// the hub has it, which is what lets `ZmqBus.ready()` prove it (see zmq.ts).
// The hub also binds two inproc endpoints, so a bus in the hosting process skips TCP.
// The proxy holds one of libuv's thread-pool threads (4 by default: UV_THREADPOOL_SIZE) while it runs.
import { randomBytes } from "node:crypto";
import { Proxy, XPublisher, XSubscriber } from "zeromq";
import { BusError } from "./errors.ts";
import { checkRemote, hubEndpoints, parseBusUrl, type BusUrl } from "./url.ts";

export interface ZmqHubOptions {
  /** Bind a non-loopback address (unencrypted traffic). Default false. */
  allowRemote?: boolean;
  /** High-water mark of each hub socket, in messages per peer. Default 1000. */
  hwm?: number;
}

export const DEFAULT_HWM = 1000;

export class ZmqHub {
  readonly url: string;
  /** TCP endpoints: publishers connect to `publish`, subscribers to `subscribe`. */
  readonly endpoints: { publish: string; subscribe: string };
  /** The same, for a bus in this process. */
  readonly inproc: { publish: string; subscribe: string };
  private readonly proxy: Proxy<XSubscriber, XPublisher>;
  private readonly running: Promise<void>;
  private closed = false;

  private constructor(url: string, endpoints: ZmqHub["endpoints"], inproc: ZmqHub["inproc"], proxy: Proxy<XSubscriber, XPublisher>) {
    this.url = url;
    this.endpoints = endpoints;
    this.inproc = inproc;
    this.proxy = proxy;
    this.running = proxy.run();
  }

  /** Binds HOST:PORT (publishers) and HOST:PORT+1 (subscribers) and starts forwarding. */
  static async start(url: string, options: ZmqHubOptions = {}): Promise<ZmqHub> {
    const parsed = parseBusUrl(url);
    if (parsed.scheme !== "zmq") throw new BusError(`hub URL "${url}": expected zmq://HOST:PORT`);
    checkRemote(parsed, options.allowRemote ?? false, "bind");
    const hwm = checkHwm(options.hwm ?? DEFAULT_HWM);
    const endpoints = hubEndpoints(parsed);
    const tag = `${parsed.port}-${randomBytes(4).toString("hex")}`;
    const inproc = { publish: `inproc://omniloop-hub-${tag}-pub`, subscribe: `inproc://omniloop-hub-${tag}-sub` };
    const common = { linger: 0, ipv6: parsed.ipv6, sendHighWaterMark: hwm, receiveHighWaterMark: hwm };
    const xsub = new XSubscriber({ ...common, sendTimeout: 0 });
    const xpub = new XPublisher(common);
    try {
      await bindOrExplain(xsub, endpoints.publish, parsed, "publishers");
      await bindOrExplain(xpub, endpoints.subscribe, parsed, "subscribers");
      await xsub.bind(inproc.publish);
      await xpub.bind(inproc.subscribe);
      // Subscribe to everything (0x01 + empty prefix); XSUB replays this to each publisher that connects.
      await xsub.send(Buffer.from([1]));
    } catch (err) {
      xsub.close();
      xpub.close();
      throw err;
    }
    return new ZmqHub(url, endpoints, inproc, new Proxy(xsub, xpub));
  }

  /** Stops forwarding and closes both sockets. */
  async close(): Promise<void> {
    if (this.closed) return this.running;
    this.closed = true;
    this.proxy.terminate();
    return this.running;
  }
}

export function checkHwm(hwm: number): number {
  if (!Number.isInteger(hwm) || hwm < 1) throw new BusError(`hwm: expected a positive integer (messages), found ${hwm}`);
  return hwm;
}

async function bindOrExplain(socket: XSubscriber | XPublisher, endpoint: string, url: Extract<BusUrl, { scheme: "zmq" }>, who: string): Promise<void> {
  try {
    await socket.bind(endpoint);
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why =
      code === "EADDRINUSE"
        ? "the port is in use (is a hub already running there? then connect to it without { hub: true })"
        : (err as Error).message;
    throw new BusError(`zmq://${url.host}:${url.port}: cannot bind ${endpoint} for ${who}: ${why}`);
  }
}
