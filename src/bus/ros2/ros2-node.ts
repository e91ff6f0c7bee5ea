// The node on a live ROS 2 graph: an rclnodejs lifecycle node (its GetState/ChangeState services, so
// `ros2 lifecycle set /omniloop configure` and launch files drive it), the ROS 2 bus over it, and
// the omniloop node behind the lifecycle bridge. Only this file and seam.ts touch rclnodejs; it is
// loaded only when `--bus ros2` is chosen.
import type { Bus } from "../types.ts";
import type * as rcl from "rclnodejs";
import { Ros2Bus } from "./bus.ts";
import type { RunConfig } from "./config.ts";
import { loadRclnodejs, type Rclnodejs } from "./environment.ts";
import type { LifecycleState, LifecycleTransition } from "./lifecycle.ts";
import { bridgeDecision, mirrorPath } from "./lifecycle-bridge.ts";
import { OmniloopNode, type Log, type PolicyFactory, type StartRecording } from "./node.ts";
import { rclnodejsSeam } from "./seam.ts";
import { nodeTopics, qosOfTopic } from "./topic-map.ts";

// lifecycle_msgs/msg/Transition's callback return codes (rclnodejs declares them as an ambient const
// enum, which isolated modules cannot read).
const SUCCESS = 97 as rcl.lifecycle.CallbackReturnCode;
const FAILURE = 98 as rcl.lifecycle.CallbackReturnCode;

const LABELS: Record<string, LifecycleState> = { unconfigured: "unconfigured", inactive: "inactive", active: "active", finalized: "finalized" };

export interface Ros2Node {
  node: OmniloopNode;
  /** The node's ROS 2 bus (a viewer can attach to it). */
  bus: Bus;
  /** Drive the ROS lifecycle to active (the launch file's autostart). */
  autostart(): Promise<void>;
  close(): Promise<void>;
}

export async function startRos2Node(o: { config: RunConfig; makePolicy: PolicyFactory; startRecording?: StartRecording; log: Log }): Promise<Ros2Node> {
  const rclnodejs: Rclnodejs = await loadRclnodejs(process.env, undefined, o.log);
  const [namespace, name] = splitName(o.config.node);
  const ros = new rclnodejs.lifecycle.LifecycleNode(name, namespace);
  const bus = new Ros2Bus(rclnodejsSeam(rclnodejs, ros), {
    qosOf: qosOfTopic(o.config, nodeTopics(o.config).roles),
    onProblem: (p) => o.log(`${p.kind} on ${p.topic}: ${p.reason}`),
  });
  const node = new OmniloopNode({ config: o.config, bus, makePolicy: o.makePolicy, ...(o.startRecording ? { startRecording: o.startRecording } : {}), log: o.log });
  const core = node.lifecycle;
  const rosState = (): LifecycleState => LABELS[ros.currentState.asMessage().label.toLowerCase()] ?? "unconfigured";
  const callback = (t: LifecycleTransition) => (): rcl.lifecycle.CallbackReturnCode => {
    const decision = bridgeDecision(core, rosState(), t);
    if (decision === "queue") core.trigger(t).catch((err: unknown) => o.log(String(err instanceof Error ? err.message : err)));
    if (decision === "refuse") o.log(`ROS 2 asked to ${t} while the node is headed for ${core.target}: refused`);
    return decision === "refuse" ? FAILURE : SUCCESS;
  };
  ros.registerOnConfigure(callback("configure"));
  ros.registerOnActivate(callback("activate"));
  ros.registerOnDeactivate(callback("deactivate"));
  ros.registerOnCleanup(callback("cleanup"));
  ros.registerOnShutdown(callback("shutdown"));
  // The node fell back (its work failed): bring the ROS state to where it is, so `ros2 lifecycle
  // get` tells the truth.
  core.onEvent((e) => {
    if (e.kind !== "error") return;
    setImmediate(() => {
      for (const t of mirrorPath(rosState(), core.state)) ros[t]();
    });
  });
  ros.spin();
  return {
    node,
    bus,
    async autostart() {
      ros.configure();
      ros.activate();
    },
    async close() {
      await node.close();
      if (rosState() !== "finalized") ros.shutdown();
      await bus.close();
      ros.destroy();
      rclnodejs.shutdown();
    },
  };
}

function splitName(full: string): [string, string] {
  const parts = full.replace(/^\/+/, "").split("/");
  const name = parts.pop()!;
  return [parts.length ? `/${parts.join("/")}` : "", name];
}
