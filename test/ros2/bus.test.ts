// The ROS 2 bus through its seam with rclnodejs: messages of the exact shapes rclnodejs delivers are
// checked and delivered; malformed ones are counted and dropped; omnitokens travel as
// UInt8MultiArray frames; each topic gets its QoS from configuration.
import assert from "node:assert/strict";
import { test } from "node:test";
import { firstValueFrom, take, toArray } from "rxjs";
import { Ros2Bus } from "../../src/bus/ros2/bus.ts";
import { OMNITOKEN_ROS_TYPE } from "../../src/bus/ros2/convert.ts";
import { QOS_PRESETS } from "../../src/bus/ros2/qos.ts";
import { topic } from "../../src/bus/types.ts";
import { MessageError } from "../../src/messages/validate.ts";
import { loadCard } from "../../src/omnitoken/card.ts";
import { absentToken, tokensEqual } from "../../src/omnitoken/token.ts";
import { FakeGraph } from "./fixtures/graph.ts";
import * as delivered from "./fixtures/delivered.ts";

const IMAGE = topic("/camera/image_raw", "sensor_msgs/msg/Image");
const JOINTS = topic("/joint_states", "sensor_msgs/msg/JointState");
const DETECTIONS = topic("/detections", "vision_msgs/msg/Detection3DArray");
const COMMAND = topic("/forward_position_controller/commands", "std_msgs/msg/Float64MultiArray");
const TOKENS = topic("/omniloop/observation", "omniloop/msg/Omnitoken");

function setup() {
  const graph = new FakeGraph();
  const problems: string[] = [];
  const bus = new Ros2Bus(graph.node(), {
    qosOf: (t) => (t.name === IMAGE.name || t.name === JOINTS.name || t.name === DETECTIONS.name ? QOS_PRESETS.sensor_data : QOS_PRESETS.reliable),
    onProblem: (p) => problems.push(`${p.kind} ${p.topic}: ${p.reason}`),
  });
  return { graph, bus, problems };
}

test("messages as rclnodejs delivers them arrive checked, in the message model's shapes", async () => {
  const { graph, bus } = setup();
  const got = {
    image: firstValueFrom(bus.subscribe(IMAGE)),
    joints: firstValueFrom(bus.subscribe(JOINTS)),
    detections: firstValueFrom(bus.subscribe(DETECTIONS)),
  };
  graph.publishFrom("sensor_msgs/msg/Image", IMAGE.name, delivered.image, QOS_PRESETS.sensor_data);
  graph.publishFrom("sensor_msgs/msg/JointState", JOINTS.name, delivered.jointState, QOS_PRESETS.reliable);
  graph.publishFrom("vision_msgs/msg/Detection3DArray", DETECTIONS.name, delivered.detections, QOS_PRESETS.sensor_data);
  const image = await got.image;
  assert.ok(image.data instanceof Uint8Array);
  assert.deepEqual([image.width, image.height, image.encoding, image.step], [2, 2, "rgb8", 6]);
  const joints = await got.joints;
  assert.ok(joints.position instanceof Float64Array);
  assert.deepEqual([...joints.position], [0.1, -0.2, 0.05]);
  assert.deepEqual(joints.name, ["shoulder_joint", "elbow_joint", "lift_joint"]);
  const det = await got.detections;
  assert.equal(det.detections[0]!.results[0]!.hypothesis.class_id, "red_block");
  assert.ok(det.detections[0]!.results[0]!.pose.covariance instanceof Float64Array);
  assert.equal(bus.stats()[IMAGE.name]!.received, 1);
});

test("rclnodejs's plain mode (number[] instead of typed arrays) is converted to the model's typed arrays", async () => {
  const { graph, bus } = setup();
  const got = firstValueFrom(bus.subscribe(JOINTS));
  graph.publishFrom("sensor_msgs/msg/JointState", JOINTS.name, { ...delivered.jointState, position: [0.1, -0.2, 0.05], velocity: [], effort: [] }, QOS_PRESETS.reliable);
  const joints = await got;
  assert.ok(joints.position instanceof Float64Array && joints.velocity instanceof Float64Array);
});

test("a malformed message is counted and dropped, with the field named; the next good one arrives", async () => {
  const { graph, bus, problems } = setup();
  const got = firstValueFrom(bus.subscribe(JOINTS).pipe(take(1), toArray()));
  graph.publishFrom("sensor_msgs/msg/JointState", JOINTS.name, { ...delivered.jointState, position: Float64Array.of(0.1) }, QOS_PRESETS.reliable);
  graph.publishFrom("sensor_msgs/msg/JointState", JOINTS.name, delivered.jointState, QOS_PRESETS.reliable);
  assert.equal((await got).length, 1);
  assert.deepEqual(bus.stats()[JOINTS.name], { published: 0, received: 1, malformed: 1, dropped: 0 });
  assert.equal(problems.length, 1);
  assert.equal(problems[0], "malformed /joint_states: invalid sensor_msgs/msg/JointState: position: expected 3 values (one per name) or none, got 1");
});

test("each topic's publisher and subscription get the configured QoS; a best-effort camera reaches a sensor-data subscription only", () => {
  const { graph, bus } = setup();
  bus.subscribe(IMAGE);
  bus.publish(COMMAND, { layout: { dim: [], data_offset: 0 }, data: Float64Array.of(0.1, 0.2, 0.3) });
  assert.deepEqual(graph.entity("subscription", IMAGE.name)?.qos, QOS_PRESETS.sensor_data);
  assert.deepEqual(graph.entity("publisher", COMMAND.name), { kind: "publisher", rosType: "std_msgs/msg/Float64MultiArray", topic: COMMAND.name, qos: QOS_PRESETS.reliable });
  assert.equal(graph.publishFrom("sensor_msgs/msg/Image", IMAGE.name, delivered.image, QOS_PRESETS.sensor_data), 1);
  // a reliable e-stop subscription does not hear a best-effort publisher (DDS matching), by design
  bus.subscribe(topic("/omniloop/estop", "std_msgs/msg/Bool"));
  assert.equal(graph.publishFrom("std_msgs/msg/Bool", "/omniloop/estop", delivered.estop, QOS_PRESETS.sensor_data), 0);
  assert.equal(graph.publishFrom("std_msgs/msg/Bool", "/omniloop/estop", delivered.estop, QOS_PRESETS.reliable), 1);
});

test("a message that is not its type's is refused at publish, naming the field; nothing reaches rclnodejs", () => {
  const { graph, bus } = setup();
  assert.throws(() => bus.publish(COMMAND, { layout: { dim: [], data_offset: 0 }, data: "nope" } as never), (err: unknown) => {
    assert.ok(err instanceof MessageError);
    assert.equal(err.message, 'invalid std_msgs/msg/Float64MultiArray: data: expected a Float64Array (or an array of numbers), got string "nope"');
    return true;
  });
  assert.equal(graph.sent.get(COMMAND.name), undefined);
});

test("omnitokens travel as std_msgs/msg/UInt8MultiArray frames and come back bit-exact", async () => {
  const { graph, bus } = setup();
  const card = loadCard("test/fixtures/models/micro/card.json");
  const token = absentToken(card, 7, { sec: 1, nanosec: 2 });
  token.columns.action = { origin: "observed", data: Float32Array.of(0.25, -0.5, Number.NaN) };
  const got = firstValueFrom(bus.subscribe(TOKENS));
  bus.publish(TOKENS, token);
  assert.equal(graph.entity("publisher", TOKENS.name)?.rosType, OMNITOKEN_ROS_TYPE);
  const sent = graph.sent.get(TOKENS.name)![0] as { data: Uint8Array; layout: { dim: { label: string }[] } };
  assert.ok(sent.data instanceof Uint8Array);
  assert.equal(sent.layout.dim[0]!.label, "omnitoken");
  assert.ok(tokensEqual(await got, token));
  // garbage in the byte array is malformed, not a crash
  graph.publishFrom(OMNITOKEN_ROS_TYPE, TOKENS.name, { layout: { dim: [], data_offset: 0 }, data: Uint8Array.of(1, 2, 3) }, QOS_PRESETS.reliable);
  assert.equal(bus.stats()[TOKENS.name]!.malformed, 1);
});

test("close destroys every rclnodejs entity and completes the streams", async () => {
  const { graph, bus } = setup();
  const done = firstValueFrom(bus.subscribe(JOINTS).pipe(toArray()));
  bus.publish(COMMAND, { layout: { dim: [], data_offset: 0 }, data: Float64Array.of(1) });
  await bus.close();
  assert.deepEqual(await done, []);
  assert.deepEqual(graph.entities, []);
  assert.throws(() => bus.publish(COMMAND, { layout: { dim: [], data_offset: 0 }, data: Float64Array.of(1) }), /the ROS 2 bus of node \/omniloop is closed/);
});
