// The in-process bus: synchronous delivery, typed topics, checks, counters, closing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { BusClosedError, TopicTypeError } from "../../src/bus/errors.ts";
import { MemoryBus } from "../../src/bus/memory.ts";
import { topic } from "../../src/bus/types.ts";
import { jointStateFor, omnitokenFor } from "./fixtures/messages.ts";

const JOINTS = topic("/joint_states", "sensor_msgs/msg/JointState");
const TASK = topic("/omniloop/task", "std_msgs/msg/String");
const OBS = topic("/omniloop/observation", "omniloop/msg/Omnitoken");

test("delivery is synchronous: the subscriber has the message when publish() returns", () => {
  const bus = new MemoryBus();
  const got: string[] = [];
  bus.subscribe(TASK).subscribe((m) => got.push(m.data));
  bus.publish(TASK, { data: "touch the red block" });
  assert.deepEqual(got, ["touch the red block"]);
});

test("every subscriber of a topic gets each message, in order; other topics stay apart", () => {
  const bus = new MemoryBus();
  const a: number[] = [];
  const b: number[] = [];
  bus.subscribe(JOINTS).subscribe((m) => a.push(m.position[0]!));
  bus.subscribe(JOINTS).subscribe((m) => b.push(m.position[0]!));
  bus.subscribe(TASK).subscribe(() => assert.fail("a JointState reached /omniloop/task"));
  for (let i = 0; i < 5; i++) bus.publish(JOINTS, jointStateFor(i));
  assert.deepEqual(a, [0, 1, 2, 3, 4]);
  assert.deepEqual(b, [0, 1, 2, 3, 4]);
});

test("a hot stream: a late subscriber sees only what comes after it", () => {
  const bus = new MemoryBus();
  bus.publish(TASK, { data: "early" });
  const got: string[] = [];
  bus.subscribe(TASK).subscribe((m) => got.push(m.data));
  bus.publish(TASK, { data: "late" });
  assert.deepEqual(got, ["late"]);
});

test("a topic's type is fixed by its first use, publish or subscribe", () => {
  const bus = new MemoryBus();
  bus.subscribe(TASK);
  assert.throws(() => bus.publish(topic("/omniloop/task", "std_msgs/msg/Bool"), { data: true }), (err: Error) => {
    assert.ok(err instanceof TopicTypeError);
    assert.equal(err.message, 'topic "/omniloop/task" carries std_msgs/msg/String on this bus (fixed by its first use); cannot publish std_msgs/msg/Bool on it');
    return true;
  });
  assert.throws(() => bus.subscribe(topic("/omniloop/task", "omniloop/msg/Omnitoken")), /cannot subscribe omniloop\/msg\/Omnitoken on it/);
});

test("bad topics are refused with the name and what was expected", () => {
  const bus = new MemoryBus();
  assert.throws(() => bus.subscribe(topic("", "std_msgs/msg/String")), /topic name: expected a non-empty string, found ""/);
  assert.throws(() => bus.subscribe(topic("/a\0b", "std_msgs/msg/String")), /must not contain a NUL character/);
  assert.throws(() => bus.subscribe(topic("/a", "std_msgs/msg/Int8" as never)), /topic "\/a": unknown message type "std_msgs\/msg\/Int8"; known: sensor_msgs\/msg\/Image, /);
});

test("messages are checked and normalised as on every transport", () => {
  const bus = new MemoryBus();
  const got: unknown[] = [];
  bus.subscribe(JOINTS).subscribe((m) => got.push(m.position));
  // Plain number arrays (from JSON, rclnodejs) become typed arrays.
  bus.publish(JOINTS, { header: { stamp: { sec: 0, nanosec: 0 }, frame_id: "" }, name: ["a"], position: [1.5], velocity: [], effort: [] } as never);
  assert.deepEqual(got, [Float64Array.of(1.5)]);
  assert.throws(() => bus.publish(JOINTS, { ...jointStateFor(0), position: Float64Array.of(1) }), /invalid sensor_msgs\/msg\/JointState: position/);
  assert.throws(() => bus.publish(OBS, { step: -1 } as never), /publish on "\/omniloop\/observation":.*step: expected a non-negative integer, got -1/s);
  bus.publish(OBS, omnitokenFor(3));
  assert.deepEqual(bus.stats()["/joint_states"], { published: 1, received: 1, malformed: 0, dropped: 0 });
  assert.deepEqual(bus.stats()["/omniloop/observation"], { published: 1, received: 0, malformed: 0, dropped: 0 });
});

test("stats() is a snapshot, and received counts only messages someone was listening for", () => {
  const bus = new MemoryBus();
  bus.publish(TASK, { data: "unheard" });
  const before = bus.stats();
  const sub = bus.subscribe(TASK).subscribe();
  bus.publish(TASK, { data: "heard" });
  sub.unsubscribe();
  bus.publish(TASK, { data: "unheard again" });
  assert.deepEqual(before["/omniloop/task"], { published: 1, received: 0, malformed: 0, dropped: 0 });
  assert.deepEqual(bus.stats()["/omniloop/task"], { published: 3, received: 1, malformed: 0, dropped: 0 });
});

test("ready() resolves at once; close() completes the streams and later calls throw", async () => {
  const bus = new MemoryBus();
  let completed = false;
  bus.subscribe(TASK).subscribe({ complete: () => (completed = true) });
  await bus.ready(TASK);
  await bus.ready();
  await bus.close();
  await bus.close();
  assert.ok(completed);
  assert.throws(() => bus.publish(TASK, { data: "x" }), BusClosedError);
  assert.throws(() => bus.subscribe(TASK), /cannot subscribe to "\/omniloop\/task": this memory bus is closed/);
});
