// The node's parameter file (ROS 2 YAML) → its configuration: the shipped launch/omniloop.yaml,
// ROS 2's node-name matching, QoS defaults and overrides, and errors that name the parameter.
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadRunConfig, runConfig } from "../../src/bus/ros2/config.ts";
import { Ros2ConfigError } from "../../src/bus/ros2/errors.ts";
import { parseParams } from "../../src/bus/ros2/params.ts";
import { QOS_PRESETS } from "../../src/bus/ros2/qos.ts";
import { nodeTopics } from "../../src/bus/ros2/topic-map.ts";

const cfg = (yaml: string, node = "omniloop") => runConfig(parseParams(yaml, node, "test.yaml"), "test.yaml", node);
const minimal = "omniloop:\n  ros__parameters:\n    model:\n      card: m/card.json\n";

test("launch/omniloop.yaml: the shipped configuration loads with the conventions' topics", () => {
  const c = loadRunConfig("launch/omniloop.yaml");
  assert.equal(c.model.card, "test/fixtures/models/tiny/card.json");
  assert.equal(c.model.provider, "auto");
  assert.equal(c.policy, undefined);
  assert.equal(c.controlRateHz, undefined, "0 means the card's rate");
  assert.deepEqual(c.command, { topic: "/forward_position_controller/commands", mode: "float64_multi_array" });
  assert.equal(c.topics.pixels, "/camera/image_raw");
  assert.equal(c.topics.action, "/joint_states");
  assert.equal(c.topics.diagnostics, "/diagnostics");
  assert.deepEqual(c.qos.pixels, QOS_PRESETS.sensor_data);
  assert.deepEqual(c.qos.command, QOS_PRESETS.reliable);
});

test("defaults: sensor data for camera, detections and joint states; reliable for commands and e-stop", () => {
  const c = cfg(minimal);
  for (const r of ["pixels", "objects", "action"] as const) assert.equal(c.qos[r].reliability, "best_effort", r);
  for (const r of ["command", "estop", "task", "diagnostics"] as const) assert.equal(c.qos[r].reliability, "reliable", r);
  assert.deepEqual(c.command, { topic: "/forward_position_controller/commands" });
  assert.equal(c.episode.maxSeconds, 60);
  assert.equal(c.safety.maxVelocity, 1);
});

test("QoS per role: a preset, then fields over it", () => {
  const c = cfg(`${minimal}    qos:\n      pixels: reliable\n      command:\n        depth: 1\n        durability: transient_local\n`);
  assert.deepEqual(c.qos.pixels, QOS_PRESETS.reliable);
  assert.deepEqual(c.qos.command, { reliability: "reliable", durability: "transient_local", history: "keep_last", depth: 1 });
});

test("ROS 2 node matching: /** for every node, then the node's own entry (namespaced too) overrides", () => {
  const yaml = `/**:\n  ros__parameters:\n    control_rate_hz: 5.0\n    model:\n      card: a.json\n/robot/omniloop:\n  ros__parameters:\n    model:\n      card: b.json\n`;
  const c = cfg(yaml, "/robot/omniloop");
  assert.equal(c.controlRateHz, 5);
  assert.equal(c.model.card, "b.json");
  assert.equal(c.node, "/robot/omniloop");
});

test("the topic map: the command topic takes the configured name in the loop's mode; roles give QoS", () => {
  const c = cfg(`${minimal}    command:\n      mode: joint_trajectory\n    topics:\n      action: /robot/joint_states\n`);
  const t = nodeTopics(c);
  assert.equal(t.loop.trajectory.name, "/arm_controller/joint_trajectory");
  assert.equal(t.loop.joints.name, "/robot/joint_states");
  assert.equal(t.roles.get("/robot/joint_states"), "action");
  assert.equal(t.roles.get("/arm_controller/joint_trajectory"), "command");
});

test("errors name the file, the parameter, the expectation and the value", () => {
  const fails = (yaml: string, message: string | RegExp) =>
    assert.throws(() => cfg(yaml), (err: unknown) => {
      assert.ok(err instanceof Ros2ConfigError, String(err));
      if (typeof message === "string") assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    });
  fails(`${minimal}    control_rate_hz: fast\n`, 'test.yaml: parameter control_rate_hz: expected a number ≥ 0, found "fast"');
  fails(`${minimal}    command:\n      mode: position\n`, 'test.yaml: parameter command.mode: expected float64_multi_array, joint_trajectory, twist (or "" for the card\'s), found "position"');
  fails(`${minimal}    topics:\n      pixels: camera/image_raw\n`, 'test.yaml: parameter topics.pixels: expected an absolute ROS 2 topic name such as "/joint_states", found "camera/image_raw"');
  fails(`${minimal}    qos:\n      pixels: fast\n`, 'test.yaml: parameter qos.pixels: expected a preset (sensor_data, reliable, latched), found "fast"');
  fails(`${minimal}    safety:\n      max_velocty: 2.0\n`, /^test\.yaml: unknown parameter safety\.max_velocty \(did you mean safety\.max_velocity/);
  fails("omniloop:\n  ros__parameters:\n    control_rate_hz: 10.0\n", "test.yaml: parameter model.card: required (the model card JSON; its onnx file sits beside it)");
  fails("other_node:\n  ros__parameters:\n    a: 1\n", 'test.yaml: no parameters for node "omniloop" (expected an entry "omniloop:" or "/**:" with ros__parameters; found "other_node")');
  fails("omniloop: [1, 2\n", /^test\.yaml: not valid YAML: /);
  fails("omniloop:\n  parameters:\n    a: 1\n", 'test.yaml: entry "omniloop": expected { ros__parameters: { … } }, found a map');
});
