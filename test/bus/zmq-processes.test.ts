// The ZeroMQ bus between separate processes: a hub in this process, a publisher and a subscriber
// each in its own (fixtures/). Delivery, order, bit-exactness, garbage, and visible HWM drops.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ZmqBus } from "../../src/bus/zmq.ts";
import { GARBAGE } from "./fixtures/garbage.ts";
import { freePortPair } from "./fixtures/ports.ts";
import { spawnFixture } from "./fixtures/spawn.ts";
import type { TopicStats } from "../../src/bus/types.ts";

interface SubscriberReport {
  received: number;
  contentErrors: number;
  outOfOrder: number;
  last: number;
  malformed: { topic?: string; reason: string }[];
  done: { sent: number };
  stats: Record<string, TopicStats>;
}

let url: string;
let hub: ZmqBus;

before(async () => {
  url = `zmq://127.0.0.1:${await freePortPair()}`;
  hub = await ZmqBus.open(url, { hub: true });
});
after(() => hub.close());

async function run(pubArgs: object, subArgs: object): Promise<{ sub: SubscriberReport; pub: { sent: number; stats: Record<string, TopicStats> } }> {
  const subscriber = spawnFixture("subscriber.ts", { url, ...subArgs });
  assert.equal(await subscriber.nextLine(), "ready");
  const publisher = spawnFixture("publisher.ts", { url, ...pubArgs });
  const [pubLine, subLine] = await Promise.all([publisher.nextLine(), subscriber.nextLine()]);
  await Promise.all([publisher.exited, subscriber.exited]);
  return { pub: JSON.parse(pubLine) as never, sub: JSON.parse(subLine) as SubscriberReport };
}

test("10,000 JointStates and Omnitokens arrive in order, bit-exact, none lost; garbage is counted and survived", async (t) => {
  const t0 = performance.now();
  const { pub, sub } = await run({ count: 10_000, burst: 10, pauseMs: 1, garbage: true }, {});
  t.diagnostic(`received ${sub.received} of ${pub.sent} in ${((performance.now() - t0) / 1000).toFixed(1)} s (processes included)`);
  assert.equal(pub.sent, 10_000);
  assert.deepEqual(pub.stats["/joint_states"], { published: 5000, received: 0, malformed: 0, dropped: 0 });
  assert.equal(sub.received, 10_000);
  assert.equal(sub.contentErrors, 0);
  assert.equal(sub.outOfOrder, 0);
  assert.equal(sub.last, 9999);
  assert.deepEqual(sub.stats["/joint_states"], { published: 0, received: 5000, malformed: 7, dropped: 0 });
  assert.deepEqual(sub.stats["/omniloop/observation"], { published: 0, received: 5000, malformed: 1, dropped: 0 });
  // Each garbage frame was reported once, with its reason, on its topic; the unsubscribed one never came.
  assert.equal(sub.malformed.length, GARBAGE.length);
  for (const g of GARBAGE) {
    assert.ok(
      sub.malformed.some((m) => m.topic === g.topic && g.reason.test(m.reason)),
      `no malformed report matching ${g.reason} on ${g.topic}; got ${JSON.stringify(sub.malformed)}`,
    );
  }
});

test("a stalled subscriber loses messages at the high-water mark, and counts every one as dropped", async (t) => {
  // hwm 20 on the subscriber (the hub's is 1000): 2000 Omnitokens/JointStates (~13 KB each) in one
  // burst while the subscriber is blocked for 800 ms overflow its queue and the TCP buffers.
  const { pub, sub } = await run({ count: 2000, burst: 2000, hwm: 20, finalPauseMs: 1200 }, { hwm: 20, stallMs: 800 });
  assert.equal(pub.sent, 2002);
  const dropped = Object.values(sub.stats).reduce((n, s) => n + s.dropped, 0);
  t.diagnostic(`received ${sub.received}, dropped ${dropped}, of ${pub.sent}`);
  assert.ok(dropped > 0, `expected drops, stats ${JSON.stringify(sub.stats)}`);
  // Every message is either received or counted as dropped: nothing vanishes unseen.
  assert.equal(sub.received + dropped, pub.sent);
  assert.equal(sub.contentErrors, 0);
  assert.equal(sub.outOfOrder, 0);
  assert.equal(sub.last, 2001);
});
