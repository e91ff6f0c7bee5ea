// The launch files without ROS 2 (its launch packages are not installable here): they are valid
// Python, they reference only files that exist in the repository, and the Gazebo bridge names the
// topics the node's configuration uses, with the message types the node speaks.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { loadRunConfig } from "../../src/bus/ros2/config.ts";
import { loadCard } from "../../src/omnitoken/card.ts";

const launchFiles = readdirSync("launch").filter((f) => f.endsWith(".launch.py")).map((f) => join("launch", f));

interface Checked {
  compiles: boolean;
  error: string | null;
  repo_files: string[];
  unrouted: string[];
}

const checked = JSON.parse(execFileSync("python3", ["test/launch/check_launch.py", ...launchFiles], { encoding: "utf8" })) as Record<string, Checked>;

interface BridgeEntry {
  ros_topic_name: string;
  gz_topic_name: string;
  ros_type_name: string;
  gz_type_name: string;
  direction: "GZ_TO_ROS" | "ROS_TO_GZ" | "BIDIRECTIONAL";
}

test("both launch files exist and compile as Python", () => {
  assert.deepEqual(launchFiles.sort(), ["launch/gazebo.launch.py", "launch/omniloop.launch.py"]);
  for (const f of launchFiles) assert.ok(checked[f]!.compiles, checked[f]!.error ?? f);
});

test("every file a launch file references exists in the repository, and all go through repo_file", () => {
  for (const f of launchFiles) {
    const c = checked[f]!;
    assert.ok(c.repo_files.length > 0, `${f} references repository files`);
    for (const ref of c.repo_files) assert.ok(existsSync(ref), `${f} references ${ref}, which does not exist`);
    assert.deepEqual(c.unrouted, [], `${f}: file names outside repo_file()`);
  }
  assert.ok(checked["launch/gazebo.launch.py"]!.repo_files.includes("sim/robot/scara.urdf"), "Gazebo spawns the simulator's URDF");
  assert.ok(checked["launch/omniloop.launch.py"]!.repo_files.includes("launch/omniloop.yaml"));
});

test("the node's parameter files load, and their model cards exist", () => {
  for (const f of ["launch/omniloop.yaml", "launch/gazebo.yaml"]) {
    const c = loadRunConfig(f);
    assert.ok(existsSync(c.model.card), `${f}: model.card ${c.model.card} exists`);
  }
});

test("the Gazebo bridge carries the camera, joint states and joint commands on the node's topics, with the node's types", () => {
  const node = loadRunConfig("launch/gazebo.yaml");
  const bridge = parse(readFileSync("launch/gz_bridge.yaml", "utf8")) as BridgeEntry[];
  const on = (topic: string) => bridge.find((b) => b.ros_topic_name === topic);
  const camera = on(node.topics.pixels);
  assert.deepEqual(camera && [camera.ros_type_name, camera.gz_type_name, camera.direction], ["sensor_msgs/msg/Image", "gz.msgs.Image", "GZ_TO_ROS"]);
  const joints = on(node.topics.action);
  assert.deepEqual(joints && [joints.ros_type_name, joints.gz_type_name, joints.direction], ["sensor_msgs/msg/JointState", "gz.msgs.Model", "GZ_TO_ROS"]);
  assert.equal(node.command.mode, "joint_trajectory");
  const commands = on(node.command.topic);
  assert.deepEqual(commands && [commands.ros_type_name, commands.gz_type_name, commands.direction], ["trajectory_msgs/msg/JointTrajectory", "gz.msgs.JointTrajectory", "ROS_TO_GZ"]);
  // the gz side: the camera sensor's topic in the world, the robot plugins' topics in the launch file
  const world = readFileSync("launch/worlds/omniloop_blocks.sdf", "utf8");
  assert.ok(world.includes(`<topic>${camera!.gz_topic_name}</topic>`), "the world's camera publishes where the bridge reads");
  const launch = readFileSync("launch/gazebo.launch.py", "utf8");
  const robot = /^ROBOT = "([^"]+)"$/m.exec(launch)?.[1];
  assert.equal(joints!.gz_topic_name, `/${robot}/joint_states`);
  assert.equal(commands!.gz_topic_name, `/${robot}/joint_trajectory`);
  assert.match(launch, /<topic>\/%s\/joint_states<\/topic>/);
  assert.match(launch, /<topic>\/%s\/joint_trajectory<\/topic>/);
});

test("the joints Gazebo drives are the sim card's, and the URDF has each of them", () => {
  const urdf = readFileSync("sim/robot/scara.urdf", "utf8");
  const card = loadCard("sim/card.json");
  const action = card.columns.find((c) => c.kind === "action");
  assert.ok(action && action.kind === "action");
  for (const j of action.action.joints) assert.match(urdf, new RegExp(`<joint name="${j.name}" type="(revolute|prismatic)"`), j.name);
  // the node's model (launch/gazebo.yaml) commands the same joints
  const model = loadCard(loadRunConfig("launch/gazebo.yaml").model.card);
  const modelAction = model.columns.find((c) => c.kind === "action");
  assert.deepEqual(modelAction?.kind === "action" && modelAction.action.joints.map((j) => j.name), action.action.joints.map((j) => j.name));
});
