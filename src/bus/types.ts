// The bus (DESIGN §1): one interface, several transports (memory, zmq, ros2). The loop never knows
// which one it runs on. Streams are rxjs Observables; publishing never blocks.
import type { Observable } from "rxjs";
import type { RosMessageTypes } from "../messages/types.ts";
import type { Omnitoken } from "../omnitoken/types.ts";

/** Everything that can travel on a bus: the ROS 2 messages, plus omnitokens (observations and
 * predictions, for recording and remote policies). */
export interface BusMessageTypes extends RosMessageTypes {
  "omniloop/msg/Omnitoken": Omnitoken;
}

export type BusTypeName = keyof BusMessageTypes;

/** A typed topic: its name on the bus and its message type. */
export interface Topic<K extends BusTypeName = BusTypeName> {
  name: string;
  type: K;
}

export function topic<K extends BusTypeName>(name: string, type: K): Topic<K> {
  return { name, type };
}

/** Per-topic counters a transport keeps, so a user can see what was lost and why. */
export interface TopicStats {
  published: number;
  received: number;
  /** Frames that failed to decode or validate: counted and dropped, never delivered. */
  malformed: number;
  /** Messages dropped by back-pressure (high-water mark, bounded queues). */
  dropped: number;
}

export interface Bus {
  /** Short name of the transport: "memory", "zmq", "ros2". */
  readonly transport: string;
  publish<K extends BusTypeName>(topic: Topic<K>, message: BusMessageTypes[K]): void;
  /** A hot observable of the topic's messages from now on. */
  subscribe<K extends BusTypeName>(topic: Topic<K>): Observable<BusMessageTypes[K]>;
  /** Resolves once a subscription to `topic` is live end to end, so that anything published
   * after it resolves reaches this bus (subscribing to `topic` first if needed); without a topic,
   * once this bus's own publications reach the transport. Networked transports need this (ZeroMQ
   * subscriptions join asynchronously: the "slow joiner"); in-process ones resolve at once.
   * Rejects with BusTimeoutError after `timeoutMs` (transport default when absent). */
  ready(topic?: Topic, options?: { timeoutMs?: number }): Promise<void>;
  stats(): Record<string, TopicStats>;
  close(): Promise<void>;
}
