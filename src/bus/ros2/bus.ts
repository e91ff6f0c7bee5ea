// The ROS 2 bus: the Bus interface over a ROS 2 node (through the rclnodejs seam). Every topic gets
// its QoS from `qosOf` (configuration, with robot-sane defaults: qos.ts). Messages are checked both
// ways: one that fails to convert is counted as malformed and dropped, never delivered, never fatal.
import { Subject, type Observable } from "rxjs";
import { BusClosedError } from "../errors.ts";
import { TopicTable } from "../topics.ts";
import type { Bus, BusMessageTypes, BusTypeName, Topic, TopicStats } from "../types.ts";
import { fromRos, rosTypeOf, toRos } from "./convert.ts";
import { QOS_PRESETS, type QosProfile } from "./qos.ts";
import type { RosNodeSeam, RosPublisher, RosSubscription } from "./seam.ts";

export interface Ros2BusOptions {
  /** The QoS of a topic, by its name and what this bus does with it. Default: reliable. */
  qosOf?: (topic: Topic, use: "publish" | "subscribe") => QosProfile;
  /** Each malformed or dropped message, as it happens (stats() has the totals). */
  onProblem?: (problem: { kind: "malformed" | "dropped"; topic: string; reason: string }) => void;
}

interface Incoming {
  subject: Subject<unknown>;
  subscription: RosSubscription;
}

export class Ros2Bus implements Bus {
  readonly transport = "ros2";
  private readonly seam: RosNodeSeam;
  private readonly o: Ros2BusOptions;
  private readonly topics = new TopicTable();
  private readonly publishers = new Map<string, RosPublisher>();
  private readonly incoming = new Map<string, Incoming>();
  private closed = false;

  constructor(seam: RosNodeSeam, options: Ros2BusOptions = {}) {
    this.seam = seam;
    this.o = options;
  }

  publish<K extends BusTypeName>(topic: Topic<K>, message: BusMessageTypes[K]): void {
    this.assertOpen(`publish on "${topic.name}"`);
    const stats = this.topics.use(topic, "publish");
    const ros = toRos(topic.type, message, `publish on "${topic.name}"`); // throws on a bad message, as every bus does
    let publisher = this.publishers.get(topic.name);
    if (!publisher) {
      publisher = this.seam.createPublisher(rosTypeOf(topic.type), topic.name, this.qos(topic, "publish"));
      this.publishers.set(topic.name, publisher);
    }
    stats.published++;
    try {
      publisher.publish(ros);
    } catch (err) {
      // rcl refused it (context shut down, middleware error): counted, the loop goes on.
      this.problem("dropped", topic.name, stats, err instanceof Error ? err.message : String(err));
    }
  }

  subscribe<K extends BusTypeName>(topic: Topic<K>): Observable<BusMessageTypes[K]> {
    this.assertOpen(`subscribe to "${topic.name}"`);
    const stats = this.topics.use(topic, "subscribe");
    let entry = this.incoming.get(topic.name);
    if (!entry) {
      const subject = new Subject<unknown>();
      const where = `message on "${topic.name}" (${rosTypeOf(topic.type)})`;
      const subscription = this.seam.createSubscription(rosTypeOf(topic.type), topic.name, this.qos(topic, "subscribe"), (raw) => {
        let message: BusMessageTypes[K];
        try {
          message = fromRos(topic.type, raw, where);
        } catch (err) {
          this.problem("malformed", topic.name, stats, err instanceof Error ? err.message : String(err));
          return;
        }
        stats.received++;
        subject.next(message);
      });
      entry = { subject, subscription };
      this.incoming.set(topic.name, entry);
    }
    return entry.subject.asObservable() as Observable<BusMessageTypes[K]>;
  }

  /** ROS 2 discovery has no "subscription is live end to end" signal for future publishers: this
   * creates the subscription (so DDS starts matching) and resolves. */
  async ready(topic?: Topic): Promise<void> {
    this.assertOpen("ready()");
    if (topic) this.subscribe(topic);
  }

  stats(): Record<string, TopicStats> {
    return this.topics.snapshot();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const { subject, subscription } of this.incoming.values()) {
      subscription.destroy();
      subject.complete();
    }
    for (const p of this.publishers.values()) p.destroy();
    this.incoming.clear();
    this.publishers.clear();
  }

  private qos(topic: Topic, use: "publish" | "subscribe"): QosProfile {
    return this.o.qosOf?.(topic, use) ?? QOS_PRESETS.reliable;
  }

  private problem(kind: "malformed" | "dropped", topic: string, stats: TopicStats, reason: string): void {
    stats[kind]++;
    this.o.onProblem?.({ kind, topic, reason });
  }

  private assertOpen(what: string): void {
    if (this.closed) throw new BusClosedError(`cannot ${what}: the ROS 2 bus of node ${this.seam.name} is closed`);
  }
}
