// The omniloop node on the ROS 2 transport, through the seam with rclnodejs, with a real model (the
// micro test model: random weights) in the real loop at its real rate: the model loads on
// configure, actuators are driven only while active, a task starts an episode, health goes out as
// DiagnosticArray, and a configure that fails says why.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Ros2Bus } from "../../src/bus/ros2/bus.ts";
import { runConfig, type RunConfig } from "../../src/bus/ros2/config.ts";
import { DIAGNOSTIC_LEVEL } from "../../src/bus/ros2/diagnostics.ts";
import { LifecycleError } from "../../src/bus/ros2/errors.ts";
import { OmniloopNode } from "../../src/bus/ros2/node.ts";
import { parseParams } from "../../src/bus/ros2/params.ts";
import { makePolicy } from "../../src/bus/ros2/policy-factory.ts";
import { QOS_PRESETS } from "../../src/bus/ros2/qos.ts";
import { nodeTopics, qosOfTopic } from "../../src/bus/ros2/topic-map.ts";
import { validateMessage } from "../../src/messages/validate.ts";
import type { DiagnosticArray } from "../../src/messages/types.ts";
import { FakeGraph } from "./fixtures/graph.ts";
import { detections, image } from "./fixtures/delivered.ts";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `cond` (a loaded machine stretches the loop's real-time ticks). */
async function waitFor(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(20);
  }
}

function config(card = "test/fixtures/models/micro/card.json"): RunConfig {
  const yaml = `omniloop:
  ros__parameters:
    model:
      card: ${card}
      provider: cpu
    episode:
      max_seconds: 0.5
    diagnostics:
      period_s: 0.1
`;
  return runConfig(parseParams(yaml, "omniloop", "node-test.yaml"), "node-test.yaml");
}

const COMMANDS = "/forward_position_controller/commands";
const nodes: OmniloopNode[] = [];
const timers: NodeJS.Timeout[] = [];
after(async () => {
  for (const t of timers) clearInterval(t);
  for (const n of nodes) await n.close();
});

function start(c: RunConfig) {
  const graph = new FakeGraph();
  const bus = new Ros2Bus(graph.node(), { qosOf: qosOfTopic(c, nodeTopics(c).roles) });
  const node = new OmniloopNode({ config: c, bus, makePolicy });
  nodes.push(node);
  // The robot: camera, detector and joint states at 20 Hz, as other nodes publishing on the graph.
  const robot = setInterval(() => {
    graph.publishFrom("sensor_msgs/msg/Image", "/camera/image_raw", image, QOS_PRESETS.sensor_data);
    graph.publishFrom("vision_msgs/msg/Detection3DArray", "/detections", detections, QOS_PRESETS.sensor_data);
    graph.publishFrom(
      "sensor_msgs/msg/JointState",
      "/joint_states",
      { header: { stamp: { sec: 0, nanosec: 0 }, frame_id: "" }, name: ["j0", "j1", "j2"], position: Float64Array.of(0.1, 0.2, 0.3), velocity: new Float64Array(0), effort: new Float64Array(0) },
      QOS_PRESETS.reliable,
    );
  }, 50);
  timers.push(robot);
  const commands = () => (graph.sent.get(COMMANDS) ?? []).length;
  const task = (text: string) => graph.publishFrom("std_msgs/msg/String", "/omniloop/task", { data: text }, QOS_PRESETS.reliable);
  const diagnostics = () => (graph.sent.get("/diagnostics") ?? []) as DiagnosticArray[];
  return { graph, node, commands, task, diagnostics };
}

const value = (d: DiagnosticArray, key: string) => d.status[0]!.values.find((v) => v.key === key)?.value;

test("configure loads the model; actuators are driven only while active; a task runs an episode", async () => {
  const { graph, node, commands, task, diagnostics } = start(config());
  await node.lifecycle.trigger("configure");
  assert.equal(node.state, "inactive");
  task("touch the red block");
  await sleep(300);
  assert.equal(commands(), 0, "inactive: the task waits, nothing is commanded");
  await node.lifecycle.trigger("activate");
  await waitFor(() => commands() > 0, "active: the pending task's episode drives the arm");
  assert.equal(graph.entity("publisher", COMMANDS)?.qos.reliability, "reliable", "commands are reliable");
  assert.equal(graph.entity("subscription", "/camera/image_raw")?.qos.reliability, "best_effort", "the camera is sensor data");
  // the episode ends after max_seconds and is reported on /omniloop/episode
  const events = () => (graph.sent.get("/omniloop/episode") ?? []).map((m) => JSON.parse((m as { data: string }).data) as { event: string; command: string });
  await waitFor(() => events().length >= 2, "the episode's start and end events");
  assert.deepEqual(events().map((e) => e.event).slice(0, 2), ["start", "end"]);
  assert.equal(events()[0]!.command, "touch the red block");
  // a new task runs; deactivate stops it: no command after the deactivation completes
  task("push the blue block");
  await waitFor(() => events().length >= 3, "the second task's episode starts");
  await node.lifecycle.trigger("deactivate");
  const stopped = commands();
  await sleep(300);
  assert.equal(commands(), stopped, "inactive again: nothing more is commanded");
  // health: a valid DiagnosticArray per period, naming the state
  const last = diagnostics().at(-1)!;
  validateMessage("diagnostic_msgs/msg/DiagnosticArray", last);
  assert.equal(value(last, "lifecycle_state"), "inactive");
  assert.equal(last.status[0]!.level, DIAGNOSTIC_LEVEL.OK);
  assert.equal(value(last, "model"), "micro-random");
  const driving = diagnostics().filter((d) => value(d, "lifecycle_state") === "active" && value(d, "episode") !== "");
  assert.ok(driving.length > 0, "reports while driving");
  assert.ok(
    driving.some((d) => Number(value(d, "loop_rate_hz")) > 0 && value(d, "step_ms_p50") !== "n/a"),
    "with the loop's rate and step latency",
  );
  await node.lifecycle.trigger("cleanup");
  assert.equal(node.state, "unconfigured");
});

test("a configure that fails leaves the node unconfigured and reports ERROR, naming the file", async () => {
  const { node, diagnostics } = start(config("test/fixtures/models/none/card.json"));
  await assert.rejects(node.lifecycle.trigger("configure"), (err: unknown) => {
    assert.ok(err instanceof LifecycleError);
    assert.match(err.message, /^lifecycle: configure failed \(unconfigured → unconfigured\): .*test\/fixtures\/models\/none\/card\.json/);
    return true;
  });
  assert.equal(node.state, "unconfigured");
  node.publishDiagnostics();
  const last = diagnostics().at(-1)!;
  assert.equal(last.status[0]!.level, DIAGNOSTIC_LEVEL.ERROR);
  assert.match(last.status[0]!.message, /^configure failed: .*none\/card\.json/);
});
