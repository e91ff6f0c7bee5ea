// Choosing the ROS 2 transport without ROS 2 fails at once, saying what to source and install.
// rclnodejs itself is never imported here (its import would try to build its native binding).
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkRosEnvironment, loadRclnodejs } from "../../src/bus/ros2/environment.ts";
import { Ros2UnavailableError } from "../../src/bus/ros2/errors.ts";

const ros = { ROS_DISTRO: "jazzy", AMENT_PREFIX_PATH: "/opt/ros/jazzy" };

test("no sourced ROS 2: the message names the variables, what to source and what to install", async () => {
  let imported = false;
  await assert.rejects(
    loadRclnodejs({}, async () => {
      imported = true;
      return {};
    }),
    (err: unknown) => {
      assert.ok(err instanceof Ros2UnavailableError);
      assert.equal(
        err.message,
        "the ROS 2 transport needs a sourced ROS 2 environment (ROS_DISTRO and AMENT_PREFIX_PATH are not set): source your ROS 2 installation first " +
          "(`source /opt/ros/jazzy/setup.bash`, or humble), then install rclnodejs with its install scripts (`npm install rclnodejs --foreground-scripts`: " +
          "it builds its native binding and generates the message bindings; package.json's \"allowScripts\" must allow rclnodejs on the robot)",
      );
      return true;
    },
  );
  assert.equal(imported, false, "rclnodejs is not even imported without ROS 2");
});

test("supported distributions are Humble and Jazzy; another one is accepted with a warning", async () => {
  assert.deepEqual(checkRosEnvironment(ros), { distro: "jazzy", supported: true });
  assert.deepEqual(checkRosEnvironment({ ...ros, ROS_DISTRO: "humble" }), { distro: "humble", supported: true });
  assert.deepEqual(checkRosEnvironment({ ...ros, ROS_DISTRO: "rolling" }), { distro: "rolling", supported: false });
  assert.throws(() => checkRosEnvironment({ ROS_DISTRO: "jazzy" }), /\(AMENT_PREFIX_PATH is not set\)/);
});

test("rclnodejs that cannot load, cannot init, or has no generated messages: each says what to do", async () => {
  await assert.rejects(loadRclnodejs(ros, async () => Promise.reject(new Error("Cannot find module 'rclnodejs'\nRequire stack: …"))), {
    name: "Ros2UnavailableError",
    message: /^rclnodejs could not be loaded \(Cannot find module 'rclnodejs'\): source your ROS 2 installation first/,
  });
  const fake = (init: () => Promise<void>, require: () => unknown) => async () => ({ init, require });
  await assert.rejects(loadRclnodejs(ros, fake(() => Promise.reject(new Error("rcl_init failed")), () => ({}))), {
    message: /^rclnodejs could not initialise ROS 2 on jazzy \(rcl_init failed\)/,
  });
  await assert.rejects(
    loadRclnodejs(ros, fake(async () => {}, () => {
      throw new Error("The message required does not exist: std_msgs, msg, String");
    })),
    {
      message:
        "rclnodejs has no generated message bindings (The message required does not exist: std_msgs, msg, String): with ROS 2 sourced, run `npx generate-ros-messages` (or reinstall rclnodejs with its scripts)",
    },
  );
  const warnings: string[] = [];
  const ok = await loadRclnodejs({ ...ros, ROS_DISTRO: "rolling" }, fake(async () => {}, () => ({})), (l) => warnings.push(l));
  assert.equal(typeof ok.init, "function");
  assert.deepEqual(warnings, ["ROS_DISTRO=rolling: omniloop is tested against humble and jazzy; message layouts may differ"]);
});
