// The real-time simulator is its own process on the ZeroMQ bus, and a second process (this test)
// drives it as it would drive a robot: it reads /joint_states, sends position commands and a
// joint trajectory, sees the arm follow, and sees a malformed command refused without harm.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer, type AddressInfo, type Server } from "node:net";
import { after, test } from "node:test";
import { firstValueFrom, filter, timeout } from "rxjs";
import { ZmqBus } from "../../src/bus/zmq.ts";
import { topic } from "../../src/bus/types.ts";
import { duration, float64MultiArray, jointTrajectory } from "../../src/messages/make.ts";
import type { JointState } from "../../src/messages/types.ts";

/** Two consecutive free loopback ports (the hub binds PORT and PORT + 1). */
async function freePorts(): Promise<number> {
  const listen = (port: number) =>
    new Promise<Server | undefined>((resolve) => {
      const s = createServer();
      s.once("error", () => resolve(undefined));
      s.listen(port, "127.0.0.1", () => resolve(s));
    });
  for (let i = 0; i < 50; i++) {
    const a = await listen(0);
    if (!a) continue;
    const port = (a.address() as AddressInfo).port;
    const b = await listen(port + 1);
    await new Promise((r) => a.close(r));
    if (b) {
      await new Promise((r) => b.close(r));
      return port;
    }
  }
  throw new Error("no two consecutive free ports");
}

const JOINTS = topic("/joint_states", "sensor_msgs/msg/JointState");
const FORWARD = topic("/forward_position_controller/commands", "std_msgs/msg/Float64MultiArray");
const TRAJECTORY = topic("/arm_controller/joint_trajectory", "trajectory_msgs/msg/JointTrajectory");
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test("a second process drives the real-time sim over ZeroMQ", { timeout: 30_000 }, async () => {
  const url = `zmq://127.0.0.1:${await freePorts()}`;
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "sim", "--realtime", "--bus", url, "--hub", "--no-camera", "--seed", "3", "--task", "reach"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (s: string) => (stderr += s));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  cleanups.push(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  const deadline = Date.now() + 15_000;
  while (!stderr.includes("real time on")) {
    if (child.exitCode !== null || Date.now() > deadline) assert.fail(`the sim did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }

  const bus = await ZmqBus.open(url);
  cleanups.push(() => bus.close());
  await bus.ready(JOINTS);
  await bus.ready();
  let latest: JointState | undefined;
  bus.subscribe(JOINTS).subscribe((m) => (latest = m));
  const reaches = (goal: number[], tol: number) =>
    firstValueFrom(bus.subscribe(JOINTS).pipe(filter((m) => goal.every((g, i) => Math.abs(m.position[i]! - g) < tol)), timeout(5000)));

  const first = await firstValueFrom(bus.subscribe(JOINTS).pipe(timeout(5000)));
  assert.deepEqual(first.name, ["shoulder_joint", "elbow_joint", "lift_joint"]);
  const stampMs = first.header.stamp.sec * 1000 + first.header.stamp.nanosec / 1e6;
  assert.ok(Math.abs(stampMs - Date.now()) < 2000, "stamps follow the wall clock");

  const q0 = [...first.position];
  const goal = [q0[0]! + 0.3, q0[1]! - 0.3, 0.06];
  // Send the command the way the loop does: one per control tick, small steps.
  for (let k = 1; k <= 5; k++) {
    bus.publish(FORWARD, float64MultiArray(q0.map((v, i) => v + ((goal[i]! - v) * k) / 5)));
    await new Promise((r) => setTimeout(r, 100));
  }
  await reaches(goal, 0.005);

  bus.publish(FORWARD, float64MultiArray([1, 2])); // malformed: two values for three joints
  const back = [q0[0]!, q0[1]!, 0.09];
  bus.publish(TRAJECTORY, jointTrajectory({ joint_names: ["lift_joint", "elbow_joint", "shoulder_joint"], points: [{ positions: [back[2]!, back[1]!, back[0]!], time_from_start: duration(0, 800_000_000) }] }));
  await reaches(back, 0.005);
  assert.match(stderr, /ignored a command on \/forward_position_controller\/commands: Float64MultiArray data has 2 values, expected 3/);
  assert.ok(latest && latest.position.length === 3);

  child.kill("SIGTERM");
  assert.equal(await exited, 0, stderr);
  assert.match(stderr, /\d+ commands taken, 1 malformed/);
});
