// The ZeroMQ bus within one process (two buses and a hub): topic filtering, typed topics,
// readiness, loopback refusal, closing. The cross-process behaviour is in zmq-processes.test.ts.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { firstValueFrom, take, toArray } from "rxjs";
import { XSubscriber } from "zeromq";
import { BusClosedError, BusError, BusTimeoutError, RemoteAddressError, TopicTypeError } from "../../src/bus/errors.ts";
import { topic } from "../../src/bus/types.ts";
import { ZmqBus, type BusProblem } from "../../src/bus/zmq.ts";
import { ZmqHub } from "../../src/bus/zmq-hub.ts";
import { omnitokenFor } from "./fixtures/messages.ts";
import { freePortPair } from "./fixtures/ports.ts";

const A = topic("/a", "std_msgs/msg/String");
const AB = topic("/ab", "std_msgs/msg/String");

let url: string;
let host: ZmqBus; // hosts the hub
let peer: ZmqBus; // connects over TCP

before(async () => {
  url = `zmq://127.0.0.1:${await freePortPair()}`;
  host = await ZmqBus.open(url, { hub: true });
  peer = await ZmqBus.open(url);
  await Promise.all([host.ready(), peer.ready()]);
});
after(async () => {
  await peer.close();
  await host.close();
});

test("a subscription to /a receives /a only, not /ab (exact topics)", async () => {
  const got = firstValueFrom(peer.subscribe(A).pipe(take(2), toArray()));
  await peer.ready(A);
  host.publish(AB, { data: "wrong topic" });
  host.publish(A, { data: "one" });
  host.publish(A, { data: "two" });
  assert.deepEqual(await got, [{ data: "one" }, { data: "two" }]);
  assert.equal(peer.stats()["/ab"], undefined);
  assert.deepEqual(peer.stats()["/a"], { published: 0, received: 2, malformed: 0, dropped: 0 });
});

test("a bus receives its own publications, as a ROS 2 node does", async () => {
  const t = topic("/self", "std_msgs/msg/Bool");
  const got = firstValueFrom(host.subscribe(t));
  await host.ready(t);
  host.publish(t, { data: true });
  assert.deepEqual(await got, { data: true });
});

test("a frame of another type than the subscriber's topic is malformed, counted and reported", async () => {
  const asBool = topic("/typed", "std_msgs/msg/Bool");
  const asString = topic("/typed", "std_msgs/msg/String");
  const problem = firstValueFrom(peer.problems);
  peer.subscribe(asBool);
  await peer.ready(asBool);
  host.publish(asString, { data: "not a bool" });
  assert.deepEqual(await problem, {
    kind: "malformed",
    topic: "/typed",
    reason: 'type "std_msgs/msg/String", expected std_msgs/msg/Bool (the topic\'s type on this bus)',
  } satisfies BusProblem);
  assert.equal(peer.stats()["/typed"]!.malformed, 1);
  // On one bus, the type is fixed by first use.
  assert.throws(() => peer.publish(asString, { data: "x" }), TopicTypeError);
  assert.throws(
    () => peer.publish(asString, { data: "x" }),
    /topic "\/typed" carries std_msgs\/msg\/Bool on this bus \(fixed by its first use\); cannot publish std_msgs\/msg\/String on it/,
  );
});

test("publishing an invalid message throws at the publisher, before anything is sent", () => {
  const js = topic("/js", "sensor_msgs/msg/JointState");
  const bad = { header: { stamp: { sec: 0, nanosec: 0 }, frame_id: "" }, name: ["a"], position: Float64Array.of(NaN), velocity: new Float64Array(0), effort: new Float64Array(0) };
  assert.throws(() => host.publish(js, bad), /invalid sensor_msgs\/msg\/JointState: position/);
  assert.equal(host.stats()["/js"]!.published, 0);
});

test("without a hub, ready() times out naming the fix, and publications are counted as dropped", async () => {
  const lonely = await ZmqBus.open(`zmq://127.0.0.1:${await freePortPair()}`);
  try {
    const problems: BusProblem[] = [];
    lonely.problems.subscribe((p) => problems.push(p));
    lonely.publish(A, { data: "nobody hears this" });
    assert.deepEqual(lonely.stats()["/a"], { published: 1, received: 0, malformed: 0, dropped: 1 });
    assert.deepEqual(problems, [{ kind: "dropped", topic: "/a", count: 1, reason: "not connected to the hub yet (await bus.ready() before publishing)" }]);
    await assert.rejects(lonely.ready(A, { timeoutMs: 150 }), (err: Error) => {
      assert.ok(err instanceof BusTimeoutError);
      assert.match(err.message, /ready\("\/a"\) timed out after 150 ms: no answer from a hub \(start one with `omniloop bus --bind zmq:\/\/127\.0\.0\.1:\d+`/);
      return true;
    });
  } finally {
    await lonely.close();
  }
});

test("a publisher whose queue to the hub is full refuses more and counts each refusal as dropped", async () => {
  // A "hub" that subscribes to everything and never reads: the publisher's queue (hwm 5) and the
  // TCP buffers fill up, then publish() refuses at once instead of blocking or growing memory.
  const port = await freePortPair();
  const stuck = new XSubscriber({ receiveHighWaterMark: 1, linger: 0 });
  await stuck.bind(`tcp://127.0.0.1:${port}`);
  await stuck.send(Buffer.from([1]));
  const bus = await ZmqBus.open(`zmq://127.0.0.1:${port}`, { hwm: 5 });
  try {
    const ping = topic("/ping", "std_msgs/msg/Bool");
    for (let i = 0; i < 400 && (bus.stats()["/ping"]?.dropped ?? 1) === (bus.stats()["/ping"]?.published ?? 1); i++) {
      bus.publish(ping, { data: true }); // dropped ("not connected") until the link is up
      // libzmq attaches a new peer (and sends it the subscription) when the socket is used: use it.
      await stuck.send(Buffer.from([1]));
      await new Promise((r) => setTimeout(r, 5));
    }
    const reasons = new Set<string>();
    bus.problems.subscribe((p) => p.kind === "dropped" && reasons.add(p.reason));
    const obs = topic("/obs", "omniloop/msg/Omnitoken");
    const token = omnitokenFor(1);
    for (let i = 0; i < 3000; i++) bus.publish(obs, token); // ~39 MB: more than the TCP buffers hold
    await new Promise((r) => setTimeout(r, 10)); // refusals are counted as their send() promises settle
    const stats = bus.stats()["/obs"]!;
    assert.equal(stats.published, 3000);
    assert.ok(stats.dropped > 0 && stats.dropped < 3000, `dropped ${stats.dropped} of 3000`);
    assert.deepEqual([...reasons], ["the queue to the hub is full (high-water mark)"]);
  } finally {
    await bus.close();
    stuck.close();
  }
});

test("non-loopback addresses are refused without allowRemote, for binding and for connecting", async () => {
  await assert.rejects(ZmqBus.open("zmq://0.0.0.0:7600", { hub: true }), (err: Error) => {
    assert.ok(err instanceof RemoteAddressError);
    assert.equal(
      err.message,
      "zmq://0.0.0.0:7600: refusing to bind a non-loopback address (bus traffic is unencrypted); pass allowRemote: true (--allow-remote) to accept that, or use 127.0.0.1",
    );
    return true;
  });
  await assert.rejects(ZmqHub.start("zmq://192.168.1.20:7600"), RemoteAddressError);
  await assert.rejects(ZmqBus.open("zmq://10.0.0.7:7600"), /refusing to connect a non-loopback address/);
  await assert.rejects(ZmqBus.open("zmq://[fe80::1]:7600"), /zmq:\/\/\[fe80::1\]:7600: refusing to connect/);
  // Opting in is allowed (a connect is lazy: nothing needs to answer for open() to succeed).
  const remote = await ZmqBus.open("zmq://10.255.255.1:7600", { allowRemote: true });
  await remote.close();
  // Loopback spellings are accepted without opting in.
  for (const h of ["localhost", "127.0.0.2", "[::1]"]) await (await ZmqBus.open(`zmq://${h}:7600`)).close();
});

test("a second hub on the same URL fails, naming the port in use", async () => {
  await assert.rejects(ZmqBus.open(url, { hub: true }), (err: Error) => {
    assert.ok(err instanceof BusError);
    assert.match(err.message, /cannot bind tcp:\/\/127\.0\.0\.1:\d+ for publishers: the port is in use \(is a hub already running there\?/);
    return true;
  });
});

test("bad options are refused with the option named", async () => {
  await assert.rejects(ZmqBus.open(url, { hwm: 0 }), /hwm: expected a positive integer \(messages\), found 0/);
  await assert.rejects(ZmqBus.open("memory://"), /ZmqBus.open\("memory:\/\/"\): expected zmq:\/\/HOST:PORT/);
});

test("close() completes the streams, is idempotent, and later calls throw BusClosedError", async () => {
  const bus = await ZmqBus.open(url);
  const completed = firstValueFrom(bus.subscribe(A).pipe(toArray()));
  await bus.close();
  await bus.close();
  assert.deepEqual(await completed, []);
  assert.throws(() => bus.publish(A, { data: "late" }), BusClosedError);
  assert.throws(() => bus.subscribe(A), /cannot subscribe to "\/a": the bus zmq:\/\/127\.0\.0\.1:\d+ is closed/);
  await assert.rejects(bus.ready(), BusClosedError);
});
