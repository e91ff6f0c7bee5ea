// A log as episodes of control ticks (docs/CONVENTIONS.md): one pass in log order, episodes from
// `/omniloop/episode` events (or the whole log as one episode when it has none), and at each tick —
// the card's control rate, from the episode's start — the latest message of each mapped topic
// encoded into an observation omnitoken (a column older than the staleness bound is absent), plus
// the latest commanded action. Every source message is passed through too, so import can copy
// them around the ticks in order. Messages that cannot be decoded are counted per topic with the
// reason; their column is absent at that tick.
import type { ActionColumnSpec, ModelCard } from "../omnitoken/card-types.ts";
import { columnOf } from "../omnitoken/card.ts";
import type { Omnitoken } from "../omnitoken/types.ts";
import { encodeObservation, type ObservationInputs } from "../encoders/observation.ts";
import { commandToAction, type ActionCommand } from "../encoders/command.ts";
import { decodeCompressedImage } from "../encoders/compressed.ts";
import type { CompressedImage, StringMsg } from "../messages/types.ts";
import { ByteTokenizer } from "../omnitoken/tokenizer.ts";
import { decoderFor, type Decoder } from "./decode.ts";
import { nsToStamp } from "./layout.ts";
import type { LogMessage, LogReader } from "./reader.ts";
import type { TopicMap } from "./topic-map.ts";

export interface EpisodeInfo {
  index: number;
  start: bigint;
  end?: bigint;
  /** The task name and seed from the start event, when the log has them. */
  task?: string;
  seed?: number;
  /** The command in words: the start event's, else the episode's task message, else the map's. */
  command: string;
  outcome: string;
}

export interface Tick {
  episode: EpisodeInfo;
  /** Tick index within the episode (0-based). */
  index: number;
  time: bigint;
  observation: Omnitoken;
  /** The commanded action at this tick, normalised like the action column; null when none. */
  command: Float32Array | null;
}

export type SampleEvent =
  | { type: "message"; message: LogMessage }
  | { type: "start"; episode: EpisodeInfo }
  | { type: "tick"; tick: Tick }
  | { type: "end"; episode: EpisodeInfo };

export interface Undecodable {
  topic: string;
  type: string;
  count: number;
  reason: string;
}

export class SampleStats {
  readonly undecodable = new Map<string, Undecodable>();
  ticks = 0;
  episodes = 0;
  count(topic: string, type: string, reason: string): void {
    const u = this.undecodable.get(topic) ?? { topic, type, count: 0, reason };
    u.count++;
    this.undecodable.set(topic, u);
  }
}

interface Latest {
  message: LogMessage;
  decoded?: unknown;
  failed?: boolean;
}

interface EpisodeEvent {
  event?: string;
  seed?: number;
  task?: string;
  command?: string;
  outcome?: string;
}

export async function* sampleEpisodes(log: LogReader, card: ModelCard, map: TopicMap, stats = new SampleStats()): AsyncGenerator<SampleEvent> {
  const rate = map.rate_hz ?? card.control_rate_hz;
  const periodNs = 1e9 / rate;
  const staleNs = BigInt(Math.round(map.stale_s * 1e9));
  const actionSpec = columnOf(card, "action");
  const tok = new ByteTokenizer(card.tokenizer);
  const columnTopics = new Map<string, string>(); // topic → column name
  for (const [column, topic] of Object.entries(map.columns)) columnTopics.set(topic, column);
  const commandTopics = new Set(map.commands);
  const summary = await log.summary();
  const explicit = map.episode !== undefined && summary.topics.some((t) => t.topic === map.episode && t.count > 0);

  const decoders = new Map<number, Decoder>();
  const decoderOf = (m: LogMessage) => {
    let d = decoders.get(m.channel.id);
    if (!d) decoders.set(m.channel.id, (d = decoderFor(m.channel)));
    return d;
  };
  const decode = (m: LogMessage): unknown => {
    const d = decoderOf(m);
    if (!d.ok) {
      stats.count(m.channel.topic, m.channel.type, d.reason);
      return undefined;
    }
    try {
      return d.decode(m.data);
    } catch (err) {
      stats.count(m.channel.topic, m.channel.type, (err as Error).message);
      return undefined;
    }
  };

  const latest = new Map<string, Latest>();
  let lastCommand: { time: bigint; action: Float32Array } | undefined;
  let lastTaskText: string | undefined;
  let episode: EpisodeInfo | undefined;
  let episodeTaskText: string | undefined;
  let tickIndex = 0;
  let index = 0;

  const tickTime = () => episode!.start + BigInt(Math.round(tickIndex * periodNs));

  async function makeTick(time: bigint): Promise<Tick> {
    const inputs: ObservationInputs = {};
    const sources = new Map<keyof ObservationInputs, Latest>();
    for (const [topic, column] of columnTopics) {
      const l = latest.get(topic);
      if (!l || l.message.logTime < time - staleNs || l.failed) continue;
      if (l.decoded === undefined) {
        let value = decode(l.message);
        if (value !== undefined && l.message.channel.type === "sensor_msgs/msg/CompressedImage") {
          try {
            value = await decodeCompressedImage(value as CompressedImage);
          } catch (err) {
            stats.count(topic, l.message.channel.type, (err as Error).message);
            value = undefined;
          }
        }
        if (value === undefined) {
          l.failed = true;
          continue;
        }
        l.decoded = value;
      }
      const kind = card.columns.find((c) => c.name === column)?.kind;
      const key = kind === "pixels" ? "image" : kind === "objects" ? "detections" : kind === "action" ? "joints" : undefined;
      if (!key) continue;
      (inputs as Record<string, unknown>)[key] = l.decoded;
      sources.set(key, l);
    }
    const command = lastCommand && lastCommand.time >= time - staleNs ? lastCommand.action : null;
    const step = tok.command(commandText()).length + tickIndex;
    inputs.command = commandText();
    let observation: Omnitoken;
    try {
      observation = encodeObservation(card, inputs, step, nsToStamp(time));
    } catch {
      // Some input does not fit the card (a joint it lacks, an image encoding it cannot read):
      // find which, one at a time, count it once per message, and leave its column absent.
      for (const [key, l] of sources) {
        try {
          encodeObservation(card, { [key]: inputs[key], command: inputs.command }, step, nsToStamp(time));
        } catch (err) {
          stats.count(l.message.channel.topic, l.message.channel.type, (err as Error).message);
          l.failed = true;
          delete inputs[key];
        }
      }
      observation = encodeObservation(card, inputs, step, nsToStamp(time));
    }
    stats.ticks++;
    return { episode: episode!, index: tickIndex++, time, observation, command };
  }

  function commandText(): string {
    return episode?.command || episodeTaskText || lastTaskText || map.command_text || "";
  }

  function open(start: bigint, ev: EpisodeEvent): SampleEvent {
    episode = {
      index: index++,
      start,
      ...(ev.task !== undefined ? { task: ev.task } : {}),
      ...(ev.seed !== undefined ? { seed: ev.seed } : {}),
      command: ev.command ?? "",
      outcome: "unknown",
    };
    episodeTaskText = undefined;
    tickIndex = 0;
    stats.episodes++;
    return { type: "start", episode };
  }

  function close(end: bigint, outcome?: string): SampleEvent {
    const e = episode!;
    e.end = end;
    e.command = commandText();
    if (outcome) e.outcome = outcome;
    episode = undefined;
    return { type: "end", episode: e };
  }

  let lastTime: bigint | undefined;
  for await (const m of log.messages()) {
    if (!explicit && !episode) yield open(m.logTime, {});
    while (episode && tickTime() < m.logTime) yield { type: "tick", tick: await makeTick(tickTime()) };
    const topic = m.channel.topic;
    if (explicit && topic === map.episode) {
      const decoded = decode(m);
      const parsed = decoded === undefined ? undefined : parseEvent(decoded);
      if (typeof parsed === "string") stats.count(topic, m.channel.type, `episode event ${parsed}`);
      const ev = typeof parsed === "object" ? parsed : undefined;
      if (ev?.event === "start") {
        if (episode) yield close(m.logTime);
        yield open(m.logTime, ev);
      } else if (ev?.event === "end" && episode) {
        while (tickTime() <= m.logTime) yield { type: "tick", tick: await makeTick(tickTime()) };
        if (ev.command && !episode.command) episode.command = ev.command;
        yield close(m.logTime, ev.outcome);
      }
    } else if (topic === map.task) {
      const s = decode(m) as StringMsg | undefined;
      if (s && typeof s.data === "string") {
        lastTaskText = s.data;
        if (episode) episodeTaskText ??= s.data;
      }
    } else if (columnTopics.has(topic)) {
      latest.set(topic, { message: m });
    } else if (commandTopics.has(topic) && actionSpec) {
      const action = commandAction(m, decode(m), actionSpec, stats);
      if (action) lastCommand = { time: m.logTime, action };
    }
    lastTime = m.logTime;
    yield { type: "message", message: m };
  }
  if (episode && lastTime !== undefined) {
    while (tickTime() <= lastTime) yield { type: "tick", tick: await makeTick(tickTime()) };
    yield close(lastTime);
  }
}

function parseEvent(msg: unknown): EpisodeEvent | string {
  const data = (msg as StringMsg | undefined)?.data;
  if (typeof data !== "string") return "not a std_msgs/String";
  try {
    const v = JSON.parse(data) as unknown;
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as EpisodeEvent) : `not a JSON object: ${data.slice(0, 40)}`;
  } catch (err) {
    return `not JSON (${(err as Error).message}): ${data.slice(0, 40)}`;
  }
}

function commandAction(m: LogMessage, decoded: unknown, spec: ActionColumnSpec, stats: SampleStats): Float32Array | undefined {
  if (decoded === undefined) return undefined;
  const type = m.channel.type;
  if (type !== "std_msgs/msg/Float64MultiArray" && type !== "trajectory_msgs/msg/JointTrajectory" && type !== "geometry_msgs/msg/Twist") {
    stats.count(m.channel.topic, type, `a command topic of type ${type}; expected JointTrajectory, Float64MultiArray or Twist`);
    return undefined;
  }
  try {
    return commandToAction({ type, message: decoded } as ActionCommand, spec);
  } catch (err) {
    stats.count(m.channel.topic, type, (err as Error).message);
    return undefined;
  }
}
