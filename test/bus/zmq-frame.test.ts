// The wire format's parser: each way a frame can be wrong has its reason.
import assert from "node:assert/strict";
import { test } from "node:test";
import { controlPart, encodeHeader, parseFrame, topicPart } from "../../src/bus/zmq-frame.ts";

const id = Buffer.from("0102030405060708", "hex");
const T = "sensor_msgs/msg/JointState";

test("a well-formed frame parses to topic, type, publisher, sequence and payload", () => {
  const payload = Buffer.from([1, 2, 3]);
  const frame = parseFrame([topicPart("/joint_states"), Buffer.from(T), encodeHeader(id, 2 ** 40 + 3), payload]);
  assert.deepEqual(frame, { kind: "message", topic: "/joint_states", type: T, publisher: "0102030405060708", seq: 2 ** 40 + 3, payload });
});

test("topic names are UTF-8 and end at the NUL", () => {
  const frame = parseFrame([topicPart("/käse/ß"), Buffer.from(T), encodeHeader(id, 0), Buffer.alloc(0)]);
  assert.equal(frame.kind === "message" && frame.topic, "/käse/ß");
});

test("a control frame starts with NUL and names its probe", () => {
  assert.deepEqual(parseFrame([controlPart("probe/ab/3"), Buffer.from("omniloop/probe")]), { kind: "control", name: "probe/ab/3" });
});

test("malformed frames say what is wrong, and which topic when they name one", () => {
  const ok = [topicPart("/a"), Buffer.from(T), encodeHeader(id, 0), Buffer.alloc(1)];
  const cases: [Buffer[], string | undefined, string][] = [
    [[], undefined, "empty first part (expected a topic name)"],
    [[Buffer.from("/a")], undefined, "first part has no NUL after the topic name"],
    [[Buffer.from("/a\0x"), ...ok.slice(1)], "/a", "first part: expected the topic name then NUL, found 1 bytes after the NUL"],
    [ok.slice(0, 3), "/a", "expected 4 parts [topic, type, publisher+sequence, payload], found 3"],
    [[...ok, Buffer.alloc(1)], "/a", "expected 4 parts [topic, type, publisher+sequence, payload], found 5"],
    [[ok[0]!, ok[1]!, Buffer.alloc(16), ok[3]!], "/a", "part 3 (publisher+sequence): expected 17 bytes, found 16"],
    [[ok[0]!, ok[1]!, Buffer.concat([Buffer.from([2]), Buffer.alloc(16)]), ok[3]!], "/a", "bus protocol version 2 is not supported (this build speaks version 1)"],
  ];
  for (const [parts, topic, reason] of cases) assert.deepEqual(parseFrame(parts), { kind: "malformed", topic, reason });
});
