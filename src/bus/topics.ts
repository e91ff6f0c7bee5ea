// A bus's table of topics: each topic's type is fixed by its first use (publish or subscribe) on
// that bus, and each topic keeps its counters. Shared by every transport.
import { ROS_TYPE_NAMES } from "../messages/types.ts";
import { TopicTypeError } from "./errors.ts";
import type { BusTypeName, Topic, TopicStats } from "./types.ts";

export const OMNITOKEN_TYPE = "omniloop/msg/Omnitoken" as const;

export const BUS_TYPE_NAMES: readonly BusTypeName[] = [...ROS_TYPE_NAMES, OMNITOKEN_TYPE];

export function isBusTypeName(name: string): name is BusTypeName {
  return (BUS_TYPE_NAMES as readonly string[]).includes(name);
}

export function emptyStats(): TopicStats {
  return { published: 0, received: 0, malformed: 0, dropped: 0 };
}

export class TopicTable {
  private readonly entries = new Map<string, { type: BusTypeName; stats: TopicStats }>();

  /** The topic's counters, fixing its type on first use; throws when the type disagrees. */
  use(topic: Topic, verb: "publish" | "subscribe"): TopicStats {
    const entry = this.entries.get(topic.name);
    if (entry) {
      if (entry.type !== topic.type) {
        throw new TopicTypeError(
          `topic "${topic.name}" carries ${entry.type} on this bus (fixed by its first use); cannot ${verb} ${String(topic.type)} on it`,
        );
      }
      return entry.stats;
    }
    checkTopic(topic);
    const stats = emptyStats();
    this.entries.set(topic.name, { type: topic.type, stats });
    return stats;
  }

  typeOf(name: string): BusTypeName | undefined {
    return this.entries.get(name)?.type;
  }

  /** The counters of a topic already in use, or undefined. */
  statsOf(name: string): TopicStats | undefined {
    return this.entries.get(name)?.stats;
  }

  /** A snapshot: later traffic does not change the returned objects. */
  snapshot(): Record<string, TopicStats> {
    const out: Record<string, TopicStats> = {};
    for (const [name, { stats }] of this.entries) out[name] = { ...stats };
    return out;
  }
}

function checkTopic(topic: Topic): void {
  if (typeof topic.name !== "string" || topic.name.length === 0) {
    throw new TopicTypeError(`topic name: expected a non-empty string, found ${JSON.stringify(topic.name)}`);
  }
  // NUL ends a topic on the ZeroMQ wire (so "/a" never matches "/ab"); names never need one.
  if (topic.name.includes("\0")) {
    throw new TopicTypeError(`topic name ${JSON.stringify(topic.name)}: must not contain a NUL character`);
  }
  if (typeof topic.type !== "string" || !isBusTypeName(topic.type)) {
    throw new TopicTypeError(
      `topic "${topic.name}": unknown message type ${JSON.stringify(topic.type)}; known: ${BUS_TYPE_NAMES.join(", ")}`,
    );
  }
}
