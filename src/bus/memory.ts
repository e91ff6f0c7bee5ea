// The in-process bus: one rxjs Subject per topic, delivery synchronous inside publish(). Nothing
// queues, so nothing is ever dropped; messages are checked exactly as the networked transports
// check them, so code that runs here runs on ZeroMQ. Subscribers receive the publisher's object
// itself (no copy): treat received messages as read-only.
import { Subject, type Observable } from "rxjs";
import { BusClosedError } from "./errors.ts";
import { checkMessage } from "./payload.ts";
import { TopicTable } from "./topics.ts";
import type { Bus, BusMessageTypes, BusTypeName, Topic, TopicStats } from "./types.ts";

export class MemoryBus implements Bus {
  readonly transport = "memory";
  private readonly topics = new TopicTable();
  private readonly subjects = new Map<string, Subject<unknown>>();
  private closed = false;

  publish<K extends BusTypeName>(topic: Topic<K>, message: BusMessageTypes[K]): void {
    this.assertOpen("publish on", topic);
    const stats = this.topics.use(topic, "publish");
    const checked = checkMessage(topic.type, message, `publish on "${topic.name}"`);
    stats.published++;
    const subject = this.subjects.get(topic.name);
    if (subject?.observed) {
      stats.received++;
      subject.next(checked);
    }
  }

  subscribe<K extends BusTypeName>(topic: Topic<K>): Observable<BusMessageTypes[K]> {
    this.assertOpen("subscribe to", topic);
    this.topics.use(topic, "subscribe");
    let subject = this.subjects.get(topic.name);
    if (!subject) {
      subject = new Subject<unknown>();
      this.subjects.set(topic.name, subject);
    }
    return subject.asObservable() as Observable<BusMessageTypes[K]>;
  }

  /** In-process subscriptions are live as soon as they are made. */
  async ready(topic?: Topic): Promise<void> {
    if (topic) this.subscribe(topic);
  }

  stats(): Record<string, TopicStats> {
    return this.topics.snapshot();
  }

  /** Completes every subscriber's stream; later calls on this bus throw BusClosedError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const subject of this.subjects.values()) subject.complete();
    this.subjects.clear();
  }

  private assertOpen(verb: string, topic: Topic): void {
    if (this.closed) throw new BusClosedError(`cannot ${verb} "${topic.name}": this memory bus is closed`);
  }
}
