// `omniloop run` as a user runs it: choosing ROS 2 without a sourced ROS 2 fails at once, saying what
// to source and install; a bad parameter file names the parameter.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";

const run = async (args: string[], env: NodeJS.ProcessEnv) => {
  try {
    await promisify(execFile)(process.execPath, ["--import", "tsx", "src/cli/main.ts", "run", ...args], { encoding: "utf8", env, timeout: 30_000 });
    return { code: 0, stderr: "" };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
};

test("run --bus ros2 without ROS 2, and run with a bad parameter, fail at once with what to do", async () => {
  const env = { ...process.env };
  delete env.ROS_DISTRO;
  delete env.AMENT_PREFIX_PATH;
  const bad = join(mkdtempSync(join(tmpdir(), "omniloop-run-")), "bad.yaml");
  writeFileSync(bad, "omniloop:\n  ros__parameters:\n    model:\n      card: m.json\n    command:\n      mode: velocity\n");
  const [ros, config] = await Promise.all([run(["--config", "launch/omniloop.yaml", "--bus", "ros2"], env), run(["--config", bad, "--bus", "zmq"], env)]);
  assert.equal(ros.code, 2);
  assert.match(ros.stderr, /^omniloop: run: the ROS 2 transport needs a sourced ROS 2 environment \(ROS_DISTRO and AMENT_PREFIX_PATH are not set\): source your ROS 2 installation first/m);
  assert.equal(config.code, 2);
  assert.equal(config.stderr.trim(), `omniloop: run: ${bad}: parameter command.mode: expected float64_multi_array, joint_trajectory, twist (or "" for the card's), found "velocity"`);
});
