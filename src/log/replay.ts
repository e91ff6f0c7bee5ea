// Replay: re-publish a log on a bus at its recorded timing, at a rate factor, or as fast as
// possible, optionally for a time range and a topic subset. Deterministic: messages go out in the
// order the log stores them (the order they were recorded), every time. Each message is due at
// first + (logTime − logTime₀) / rate on the monotonic clock with absolute deadlines, so a late
// message never shifts the ones after it. A message that cannot be decoded, or whose type no bus
// carries, is counted per topic and reported, never dropped silently.
import type { Bus, BusTypeName, Topic } from "../bus/types.ts";
import { BUS_TYPE_NAMES } from "../bus/topics.ts";
import { decoderFor, type Decoder } from "./decode.ts";
import { LogError } from "./errors.ts";
import { secondsToNs } from "./layout.ts";
import type { LogReader, ReadReport } from "./reader.ts";

export interface ReplayOptions {
  /** Speed factor over recorded time (default 1). */
  rate?: number;
  /** Ignore recorded timing: publish as fast as the bus takes them. */
  max?: boolean;
  topics?: readonly string[];
  /** Seconds from the log's first message. */
  start?: number;
  end?: number;
  /** How long before a deadline to stop sleeping on a timer and yield-spin instead (default 5 ms):
   * a timer can wake a few ms late on a busy machine; spinning for the last stretch keeps the
   * process runnable and each message within about a millisecond of its due time. */
  spinMs?: number;
  /** The clock (default: the process's monotonic clock, sleeping as described above); tests pass
   * virtual time (src/loop/time-source.ts) to check the schedule exactly. */
  clock?: ReplayClock;
  signal?: AbortSignal;
  /** Called after each message is published (progress). */
  onMessage?: (topic: string, logTime: bigint) => void;
}

export interface ReplayClock {
  /** Monotonic nanoseconds. */
  now(): bigint;
  sleepUntil(ns: bigint): Promise<void>;
}

export interface SkippedTopic {
  topic: string;
  type: string;
  count: number;
  reason: string;
}

export interface ReplayResult {
  published: number;
  byTopic: Record<string, number>;
  /** Messages not published, per topic, with why. */
  skipped: SkippedTopic[];
  /** Log time covered, seconds. */
  logSeconds: number;
  wallSeconds: number;
  /** How late messages went out against their deadline (ms), median and max; 0 with --max. */
  lateMs: { median: number; max: number };
  read?: ReadReport;
  /** Messages the bus itself dropped (not connected yet, queue full), per topic, from its own counters. */
  busDropped: Record<string, number>;
  aborted: boolean;
}

export class ReplayError extends LogError {}

interface Route {
  topic?: Topic;
  decoder: Decoder;
}

export async function replay(log: LogReader, bus: Bus, opts: ReplayOptions = {}): Promise<ReplayResult> {
  const rate = opts.rate ?? 1;
  if (!(rate > 0) || !Number.isFinite(rate)) throw new ReplayError(`replay rate: expected a positive number, found ${rate}`);
  const spin = BigInt(Math.round((opts.spinMs ?? 5) * 1e6));
  const clock: ReplayClock = opts.clock ?? { now: hrnow, sleepUntil: (due) => sleepUntil(due, spin) };
  const now = () => clock.now();
  const range = await absoluteRange(log, opts);
  const routes = new Map<number, Route>();
  const skipped = new Map<string, SkippedTopic>();
  const byTopic: Record<string, number> = {};
  const late = new LatenessHistogram();
  let published = 0;
  let firstLog: bigint | undefined;
  let lastLog: bigint | undefined;
  let wall0 = 0n;
  const t0 = now();
  let aborted = false;

  const skip = (topic: string, type: string, reason: string) => {
    const s = skipped.get(topic) ?? { topic, type, count: 0, reason };
    s.count++;
    skipped.set(topic, s);
  };

  for await (const m of log.messages({ topics: opts.topics, ...range })) {
    if (opts.signal?.aborted) {
      aborted = true;
      break;
    }
    let route = routes.get(m.channel.id);
    if (!route) {
      const known = (BUS_TYPE_NAMES as readonly string[]).includes(m.channel.type);
      route = {
        decoder: decoderFor(m.channel),
        ...(known ? { topic: { name: m.channel.topic, type: m.channel.type as BusTypeName } } : {}),
      };
      routes.set(m.channel.id, route);
    }
    if (!route.topic) {
      skip(m.channel.topic, m.channel.type, `type ${m.channel.type || "(none)"} is not one the bus carries`);
      continue;
    }
    if (!route.decoder.ok) {
      skip(m.channel.topic, m.channel.type, route.decoder.reason);
      continue;
    }
    let message: unknown;
    try {
      message = route.decoder.decode(m.data);
    } catch (err) {
      skip(m.channel.topic, m.channel.type, (err as Error).message);
      continue;
    }
    if (firstLog === undefined) {
      firstLog = m.logTime;
      wall0 = now();
    }
    if (!opts.max && m.logTime > firstLog) {
      const due = wall0 + BigInt(Math.round(Number(m.logTime - firstLog) / rate));
      if (now() < due) await clock.sleepUntil(due);
      late.add(Number(now() - due) / 1e6);
    }
    try {
      bus.publish(route.topic, message as never);
    } catch (err) {
      skip(m.channel.topic, m.channel.type, `the bus refused it: ${(err as Error).message}`);
      continue;
    }
    published++;
    byTopic[m.channel.topic] = (byTopic[m.channel.topic] ?? 0) + 1;
    lastLog = m.logTime;
    opts.onMessage?.(m.channel.topic, m.logTime);
    // As fast as possible still lets a networked bus send what it queued: a turn of the event
    // loop per message, or ZeroMQ's high-water mark would drop most of a --max replay.
    if (opts.max) await yieldOnce();
  }
  const dropped: Record<string, number> = {};
  for (const [topic, s] of Object.entries(bus.stats())) if (byTopic[topic] && s.dropped > 0) dropped[topic] = s.dropped;
  return {
    published,
    byTopic,
    skipped: [...skipped.values()],
    logSeconds: firstLog !== undefined && lastLog !== undefined ? Number(lastLog - firstLog) / 1e9 : 0,
    wallSeconds: Number(now() - t0) / 1e9,
    lateMs: { median: late.median(), max: late.max },
    read: log.readReport(),
    busDropped: dropped,
    aborted,
  };
}

/** Lateness in 10 µs buckets up to 100 ms (and one for beyond): a median of a long replay without
 * keeping one number per message. */
class LatenessHistogram {
  readonly #buckets = new Uint32Array(10_001);
  #count = 0;
  max = 0;
  add(ms: number): void {
    this.#buckets[Math.min(10_000, Math.max(0, Math.floor(ms * 100)))]!++;
    this.#count++;
    if (ms > this.max) this.max = ms;
  }
  median(): number {
    let seen = 0;
    for (let i = 0; i < this.#buckets.length; i++) {
      seen += this.#buckets[i]!;
      if (seen * 2 > this.#count) return i / 100;
    }
    return 0;
  }
}

const hrnow = () => process.hrtime.bigint();
const yieldOnce = () => new Promise<void>((resolve) => setImmediate(resolve));

const BLOCKING_SPIN_NS = 1_000_000n;

/** Until monotonic time `due`: a timer for the bulk, yielding spins (sockets still serviced) until
 * the last millisecond, then a blocking spin — it allocates nothing, so no GC pause lands there. */
async function sleepUntil(due: bigint, spin: bigint): Promise<void> {
  const coarse = due - spin - hrnow();
  if (coarse > 0n) await new Promise<void>((resolve) => setTimeout(resolve, Number(coarse / 1_000_000n)));
  while (due - hrnow() > BLOCKING_SPIN_NS) await yieldOnce();
  while (hrnow() < due);
}

/** Relative seconds → absolute log times, anchored at the log's first message. */
async function absoluteRange(log: LogReader, opts: ReplayOptions): Promise<{ start?: bigint; end?: bigint }> {
  if (opts.start === undefined && opts.end === undefined) return {};
  if (opts.start !== undefined && opts.end !== undefined && opts.end < opts.start) {
    throw new ReplayError(`replay range: end ${opts.end} s is before start ${opts.start} s`);
  }
  const summary = await log.summary();
  let first = summary.start;
  if (first === undefined) {
    const it = log.messages();
    first = (await it.next()).value?.logTime;
    await it.return(undefined);
  }
  if (first === undefined) return {};
  return {
    ...(opts.start !== undefined ? { start: first + secondsToNs(opts.start) } : {}),
    ...(opts.end !== undefined ? { end: first + secondsToNs(opts.end) } : {}),
  };
}
