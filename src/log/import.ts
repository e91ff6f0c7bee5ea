// `omniloop import BAG --map MAP.yaml --out LOG.mcap`: a rosbag2 recording (MCAP or .db3) → an
// omniloop log. Every message is copied as it is (CDR bytes untouched; a .db3's types get omniloop's
// definitions as schemas where it knows them), and at each control tick an observation omnitoken
// is added on /omniloop/observation, encoded from the topics the map names. Every message is
// also decoded once to check it: those that cannot be are counted per topic and reported (they
// are still copied, byte for byte).
import type { ModelCard } from "../omnitoken/card-types.ts";
import { fullDefinition, hasDefinition } from "../messages/definitions.ts";
import type { Compression } from "./compression.ts";
import { decoderFor, type Decoder } from "./decode.ts";
import { META_TOPIC_MAP, OMNITOKEN_TYPE, ROS2MSG } from "./layout.ts";
import type { LogChannel, LogReader, ReadReport } from "./reader.ts";
import { Recorder, type ChannelSpec } from "./recorder.ts";
import { SampleStats, sampleEpisodes, type Undecodable } from "./sampler.ts";
import type { TopicMap } from "./topic-map.ts";

export const OBSERVATION_TOPIC = { name: "/omniloop/observation", type: OMNITOKEN_TYPE } as const;

export interface ImportOptions {
  out: string;
  card: ModelCard;
  map: TopicMap;
  compression?: Compression;
  /** Called every so many messages (progress). */
  onMessage?: (count: number) => void;
}

export interface ImportResult {
  out: string;
  messages: number;
  byTopic: Record<string, number>;
  observations: number;
  /** Observations the source already had on /omniloop/observation, not copied (superseded). */
  replacedObservations: number;
  episodes: number;
  /** Messages that do not decode, per topic, with why (copied all the same). */
  undecodable: Undecodable[];
  /** Messages that decode but could not feed their column or the command (e.g. a command naming
   * joints the card lacks), per topic. */
  unusable: Undecodable[];
  read?: ReadReport;
}

const utf8 = new TextEncoder();

export async function importLog(log: LogReader, source: string, opts: ImportOptions): Promise<ImportResult> {
  const recorder = await Recorder.open({
    out: opts.out,
    card: opts.card,
    compression: opts.compression ?? "zstd",
    timer: false,
    config: { command: "import", source, map: opts.map },
  });
  recorder.metadata(META_TOPIC_MAP, { json: JSON.stringify(opts.map) });
  const specs = new Map<number, ChannelSpec>();
  const decoders = new Map<number, Decoder>();
  const undecodable = new Map<string, Undecodable>();
  const byTopic: Record<string, number> = {};
  const sampling = new SampleStats();
  let messages = 0;
  let observations = 0;
  let episodes = 0;
  let replaced = 0;
  try {
    for await (const ev of sampleEpisodes(log, opts.card, opts.map, sampling)) {
      if (ev.type === "tick") {
        recorder.write(OBSERVATION_TOPIC, ev.tick.observation, ev.tick.time);
        observations++;
      } else if (ev.type === "end") {
        episodes++;
      } else if (ev.type === "message") {
        const m = ev.message;
        if (m.channel.topic === OBSERVATION_TOPIC.name) {
          // The source's own observations are superseded by the ones encoded here for this card.
          replaced++;
          continue;
        }
        let spec = specs.get(m.channel.id);
        if (!spec) specs.set(m.channel.id, (spec = channelSpec(m.channel)));
        let d = decoders.get(m.channel.id);
        if (!d) decoders.set(m.channel.id, (d = decoderFor(m.channel)));
        const why = d.ok ? tryDecode(d.decode, m.data) : d.reason;
        if (why !== undefined) {
          const u = undecodable.get(m.channel.topic) ?? { topic: m.channel.topic, type: m.channel.type, count: 0, reason: why };
          u.count++;
          undecodable.set(m.channel.topic, u);
        }
        recorder.writeEncoded(spec, m.data, m.logTime, m.publishTime);
        byTopic[m.channel.topic] = (byTopic[m.channel.topic] ?? 0) + 1;
        if (++messages % 1000 === 0) opts.onMessage?.(messages);
      }
    }
  } finally {
    recorder.close();
  }
  // The sampler counts decode failures of the messages it sampled too; those are already above.
  const unusable = [...sampling.undecodable.values()].filter((u) => !undecodable.has(u.topic));
  return {
    out: opts.out,
    messages,
    byTopic,
    observations,
    replacedObservations: replaced,
    episodes,
    undecodable: [...undecodable.values()],
    unusable,
    read: log.readReport(),
  };
}

function tryDecode(decode: (d: Uint8Array) => unknown, data: Uint8Array): string | undefined {
  try {
    decode(data);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The output channel for a source channel: as it was, with omniloop's definition added when the
 * source carried no schema (a .db3) and omniloop knows the type. */
function channelSpec(c: LogChannel): ChannelSpec {
  if (c.schemaData.byteLength === 0 && c.messageEncoding === "cdr" && hasDefinition(c.type)) {
    return { topic: c.topic, schemaName: c.type, schemaEncoding: ROS2MSG, schemaData: utf8.encode(fullDefinition(c.type)), messageEncoding: c.messageEncoding };
  }
  return { topic: c.topic, schemaName: c.type, schemaEncoding: c.schemaEncoding, schemaData: c.schemaData, messageEncoding: c.messageEncoding };
}
