// The ZeroMQ bus: typed topics between separate processes that need not know about each other
// (a robot's sensors, the loop, a recorder, a viewer).
//
// Topology: a hub (zmq-hub.ts) at the bus URL zmq://HOST:P. Every bus connects an XPUB to the
// hub's XSUB on port P (its publications) and a SUB to the hub's XPUB on P + 1 (its
// subscriptions). One process hosts the hub: `ZmqBus.open(url, { hub: true })` (that bus then
// reaches the hub over inproc) or the standalone `omniloop bus --bind zmq://127.0.0.1:7600`.
// A message goes publisher → hub → subscriber: two TCP hops, forwarded by libzmq's native proxy.
//
// Frames: see zmq-frame.ts ([topic\0, type, version+publisher+sequence, codec frame]). The SUB
// subscribes to the exact bytes "topic\0". A frame with the wrong type for its topic, bad bytes,
// the wrong part count, a bad codec frame or a message failing validation is counted as
// `malformed`, reported on `problems`, and dropped; the bus goes on.
//
// Back-pressure: every socket has a high-water mark (`hwm`, default 1000 messages per peer), so a
// slow subscriber never grows memory without bound; the hub drops what a full subscriber cannot
// take. Drops are visible: publishers number their messages per topic, and a subscriber counts
// each gap as `dropped`. A publisher counts as `dropped` what it refused itself: a message
// published while it has no link to the hub, or while its own queue to the hub is full.
//
// Joining (the "slow joiner"): ZeroMQ subscriptions travel asynchronously. `await bus.ready(topic)`
// subscribes, then sends probes on a private control topic through the hub until one comes back
// (backing off from 1 ms to 50 ms). The probe's subscription went to the hub after the topic's, on
// the same connection, so the hub has both; and since publishers send everything to the hub,
// anything any linked publisher publishes afterwards reaches this bus. A publisher that must not
// lose its first messages awaits `bus.ready()` (its link to the hub) before publishing.
// The price: every message crosses to the hub even when nobody subscribes (loopback bandwidth,
// cheap), instead of being filtered at the publisher, where a new subscription would race.
//
// Security: loopback only unless `allowRemote: true` (checkRemote in url.ts); CURVE keys (a later
// issue) will be applied to the sockets created in `open()`.
import { randomBytes } from "node:crypto";
import { Subject, type Observable } from "rxjs";
import { Subscriber, XPublisher } from "zeromq";
import { BusClosedError, BusError, BusTimeoutError } from "./errors.ts";
import { GapCounter } from "./gaps.ts";
import { checkMessage, decodePayload, encodePayload } from "./payload.ts";
import { TopicTable } from "./topics.ts";
import type { Bus, BusMessageTypes, BusTypeName, Topic, TopicStats } from "./types.ts";
import { checkRemote, hubEndpoints, parseBusUrl } from "./url.ts";
import { controlPart, encodeHeader, parseFrame, PUBLISHER_ID_BYTES, topicPart } from "./zmq-frame.ts";
import { checkHwm, DEFAULT_HWM, ZmqHub } from "./zmq-hub.ts";

export interface ZmqBusOptions {
  /** Host the hub in this process (binds PORT and PORT + 1). Default false: connect to a hub. */
  hub?: boolean;
  /** Accept a non-loopback address, bind or connect (unencrypted traffic). Default false. */
  allowRemote?: boolean;
  /** High-water mark of every socket (and of the hosted hub's), in messages. Default 1000. */
  hwm?: number;
  /** How long close() lets queued messages drain, in ms. Default 100. */
  lingerMs?: number;
  /** Default timeout of ready(), in ms. Default 5000. */
  readyTimeoutMs?: number;
}

/** Why a message did not arrive, as it happens (stats() has the totals). */
export type BusProblem =
  | { kind: "malformed"; topic: string | undefined; reason: string }
  | { kind: "dropped"; topic: string; count: number; reason: string }
  | { kind: "error"; reason: string };

const PROBE_TYPE = Buffer.from("omniloop/probe");
const EMPTY = Buffer.alloc(0);

interface Outgoing {
  topic: Buffer;
  type: Buffer;
  seq: number;
  stats: TopicStats;
}

interface Incoming {
  type: BusTypeName;
  subject: Subject<unknown>;
  gaps: GapCounter;
  stats: TopicStats;
}

export class ZmqBus implements Bus {
  readonly transport = "zmq";
  readonly url: string;
  /** Each malformed frame and each drop, as it happens; for logs and viewers. */
  readonly problems: Observable<BusProblem>;
  private readonly problemSubject = new Subject<BusProblem>();
  private readonly id = randomBytes(PUBLISHER_ID_BYTES);
  private readonly topics = new TopicTable();
  private readonly outgoing = new Map<string, Outgoing>();
  private readonly incoming = new Map<string, Incoming>();
  private readonly probes = new Map<string, () => void>();
  private probeCount = 0;
  private linked = false;
  private linkWaiters: (() => void)[] = [];
  private closed = false;
  private readonly loops: Promise<void>[];

  private constructor(
    url: string,
    private readonly pub: XPublisher,
    private readonly sub: Subscriber,
    private readonly hub: ZmqHub | undefined,
    private readonly readyTimeoutMs: number,
  ) {
    this.url = url;
    this.problems = this.problemSubject.asObservable();
    this.loops = [this.receiveLoop(), this.linkLoop()];
  }

  static async open(url: string, options: ZmqBusOptions = {}): Promise<ZmqBus> {
    const parsed = parseBusUrl(url);
    if (parsed.scheme !== "zmq") throw new BusError(`ZmqBus.open("${url}"): expected zmq://HOST:PORT`);
    checkRemote(parsed, options.allowRemote ?? false, options.hub ? "bind" : "connect");
    const hwm = checkHwm(options.hwm ?? DEFAULT_HWM);
    const linger = options.lingerMs ?? 100;
    const hub = options.hub ? await ZmqHub.start(url, { allowRemote: options.allowRemote ?? false, hwm }) : undefined;
    const endpoints = hub ? hub.inproc : hubEndpoints(parsed);
    const pub = new XPublisher({
      linger,
      ipv6: parsed.ipv6,
      sendHighWaterMark: hwm,
      receiveHighWaterMark: hwm,
      // send() never waits: a full queue rejects at once (counted as dropped) instead of silently
      // dropping (noDrop), and no queue exists before the hub is connected (immediate).
      sendTimeout: 0,
      noDrop: true,
      immediate: true,
    });
    const sub = new Subscriber({ linger: 0, ipv6: parsed.ipv6, receiveHighWaterMark: hwm });
    pub.connect(endpoints.publish);
    sub.connect(endpoints.subscribe);
    return new ZmqBus(url, pub, sub, hub, options.readyTimeoutMs ?? 5000);
  }

  publish<K extends BusTypeName>(topic: Topic<K>, message: BusMessageTypes[K]): void {
    this.assertOpen(`publish on "${topic.name}"`);
    const stats = this.topics.use(topic, "publish");
    const checked = checkMessage(topic.type, message, `publish on "${topic.name}"`);
    let out = this.outgoing.get(topic.name);
    if (!out) {
      out = { topic: topicPart(topic.name), type: Buffer.from(topic.type), seq: 0, stats };
      this.outgoing.set(topic.name, out);
    }
    const header = encodeHeader(this.id, out.seq++);
    stats.published++;
    if (!this.linked) {
      this.drop(topic.name, stats, "not connected to the hub yet (await bus.ready() before publishing)");
      return;
    }
    const payload = encodePayload(topic.type, checked);
    this.pub.send([out.topic, out.type, header, payload]).catch((err: unknown) => {
      if (this.closed) return; // close() raced the send: nothing left to count
      const code = (err as { code?: string }).code;
      this.drop(topic.name, stats, code === "EAGAIN" ? "the queue to the hub is full (high-water mark)" : String(err));
    });
  }

  /** A hot stream of the topic's messages. The ZeroMQ subscription is made now and kept until
   * close(); see ready() to know when it is live. */
  subscribe<K extends BusTypeName>(topic: Topic<K>): Observable<BusMessageTypes[K]> {
    this.assertOpen(`subscribe to "${topic.name}"`);
    const stats = this.topics.use(topic, "subscribe");
    let entry = this.incoming.get(topic.name);
    if (!entry) {
      entry = { type: topic.type, subject: new Subject<unknown>(), gaps: new GapCounter(), stats };
      this.incoming.set(topic.name, entry);
      this.sub.subscribe(topicPart(topic.name));
    }
    return entry.subject.asObservable() as Observable<BusMessageTypes[K]>;
  }

  async ready(topic?: Topic, options: { timeoutMs?: number } = {}): Promise<void> {
    this.assertOpen(`ready(${topic ? `"${topic.name}"` : ""})`);
    if (topic) this.subscribe(topic);
    const timeoutMs = options.timeoutMs ?? this.readyTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    const name = `probe/${this.id.toString("hex")}/${this.probeCount++}`;
    const part = controlPart(name);
    this.sub.subscribe(part);
    try {
      await this.probe(name, part, deadline);
      await this.waitLinked(deadline);
    } catch (err) {
      if (err instanceof BusTimeoutError) {
        throw new BusTimeoutError(
          `${this.url}: ready(${topic ? `"${topic.name}"` : ""}) timed out after ${timeoutMs} ms: no answer from a hub ` +
            `(start one with \`omniloop bus --bind ${this.url}\`, or open one bus with { hub: true })`,
        );
      }
      throw err;
    } finally {
      this.probes.delete(name);
      if (!this.closed) this.sub.unsubscribe(part);
    }
  }

  stats(): Record<string, TopicStats> {
    return this.topics.snapshot();
  }

  /** Completes every stream, closes the sockets (queued messages get `lingerMs` to leave) and
   * the hosted hub, if any. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const entry of this.incoming.values()) entry.subject.complete();
    this.problemSubject.complete();
    this.pub.close();
    this.sub.close();
    await Promise.all(this.loops);
    for (const wake of this.linkWaiters) wake();
    await this.hub?.close();
  }

  private async receiveLoop(): Promise<void> {
    while (!this.closed) {
      let parts: Buffer[];
      try {
        parts = await this.sub.receive();
      } catch (err) {
        if (this.closed) return;
        this.problemSubject.next({ kind: "error", reason: `receive failed: ${String(err)}` });
        await sleep(10); // never spin on a failing socket
        continue;
      }
      this.handle(parts);
    }
  }

  private handle(parts: Buffer[]): void {
    const frame = parseFrame(parts);
    if (frame.kind === "control") {
      this.probes.get(frame.name)?.();
      return;
    }
    if (frame.kind === "malformed") {
      this.malformed(frame.topic, frame.reason);
      return;
    }
    const entry = this.incoming.get(frame.topic);
    if (!entry) return; // a frame already in flight for a subscription we never made: not ours
    if (frame.type !== entry.type) {
      this.malformed(frame.topic, `type ${JSON.stringify(frame.type)}, expected ${entry.type} (the topic's type on this bus)`);
      return;
    }
    const missed = entry.gaps.observe(frame.publisher, frame.seq);
    if (missed > 0) this.drop(frame.topic, entry.stats, `sequence gap from publisher ${frame.publisher}`, missed);
    let message: unknown;
    try {
      message = decodePayload(entry.type, frame.payload);
    } catch (err) {
      this.malformed(frame.topic, err instanceof Error ? err.message : String(err));
      return;
    }
    entry.stats.received++;
    entry.subject.next(message);
  }

  /** Reads the hub's subscriptions on the publisher socket: 0x01 + empty prefix is the hub's
   * subscribe-to-everything (linked); 0x00 + empty is its loss (immediate: the pipe went away). */
  private async linkLoop(): Promise<void> {
    while (!this.closed) {
      let parts: Buffer[];
      try {
        parts = await this.pub.receive();
      } catch (err) {
        if (this.closed) return;
        this.problemSubject.next({ kind: "error", reason: `link receive failed: ${String(err)}` });
        await sleep(10);
        continue;
      }
      const msg = parts[0];
      if (!msg || msg.length !== 1) continue; // a subscriber's topic, forwarded by the hub: not needed
      this.linked = msg[0] === 1;
      if (this.linked) {
        for (const wake of this.linkWaiters.splice(0)) wake();
      }
    }
  }

  private probe(name: string, part: Buffer, deadline: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let interval = 1;
      this.probes.set(name, () => {
        clearTimeout(timer);
        resolve();
      });
      const attempt = (): void => {
        if (this.closed) return reject(new BusClosedError(`${this.url}: closed while waiting in ready()`));
        if (Date.now() > deadline) return reject(new BusTimeoutError("probe"));
        // A probe lost before the link is up is simply sent again on the next attempt.
        this.pub.send([part, PROBE_TYPE, encodeHeader(this.id, 0), EMPTY]).catch(() => undefined);
        timer = setTimeout(attempt, interval);
        interval = Math.min(50, interval * 2);
      };
      attempt();
    });
  }

  private waitLinked(deadline: number): Promise<void> {
    if (this.linked) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new BusTimeoutError("link")), Math.max(0, deadline - Date.now()));
      this.linkWaiters.push(() => {
        clearTimeout(timer);
        if (this.closed) reject(new BusClosedError(`${this.url}: closed while waiting in ready()`));
        else resolve();
      });
    });
  }

  private malformed(topic: string | undefined, reason: string): void {
    const stats = topic === undefined ? undefined : this.topics.statsOf(topic);
    if (stats) stats.malformed++;
    this.problemSubject.next({ kind: "malformed", topic, reason });
  }

  private drop(topic: string, stats: TopicStats, reason: string, count = 1): void {
    stats.dropped += count;
    this.problemSubject.next({ kind: "dropped", topic, count, reason });
  }

  private assertOpen(what: string): void {
    if (this.closed) throw new BusClosedError(`cannot ${what}: the bus ${this.url} is closed`);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
