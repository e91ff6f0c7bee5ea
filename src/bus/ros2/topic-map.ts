// The topic map: which topic feeds which column, where commands go, and each topic's QoS by its role.
// From the node's configuration to the loop's topics (src/loop/topics.ts), so the loop stays
// unaware of ROS 2 and of configuration files.
import { topic, type Topic } from "../types.ts";
import { DEFAULT_LOOP_TOPICS, type LoopTopics } from "../../loop/topics.ts";
import type { RunConfig } from "./config.ts";
import { QOS_PRESETS, type QosProfile, type TopicRole } from "./qos.ts";

export interface NodeTopics {
  loop: LoopTopics;
  task: Topic<"std_msgs/msg/String">;
  episode: Topic<"std_msgs/msg/String">;
  diagnostics: Topic<"diagnostic_msgs/msg/DiagnosticArray">;
  /** The role of every topic name above, for its QoS. */
  roles: Map<string, TopicRole>;
}

export function nodeTopics(c: RunConfig): NodeTopics {
  const t = c.topics;
  const loop: LoopTopics = {
    ...DEFAULT_LOOP_TOPICS,
    image: topic(t.pixels, "sensor_msgs/msg/Image"),
    detections: topic(t.objects, "vision_msgs/msg/Detection3DArray"),
    joints: topic(t.action, "sensor_msgs/msg/JointState"),
    estop: topic(t.estop, "std_msgs/msg/Bool"),
    said: topic(t.said, "std_msgs/msg/String"),
    surprise: topic(t.surprise, "std_msgs/msg/Float64MultiArray"),
    holds: topic(t.holds, "std_msgs/msg/String"),
    observation: topic(t.observation, "omniloop/msg/Omnitoken"),
    prediction: topic(t.prediction, "omniloop/msg/Omnitoken"),
  };
  // The command topic: whichever mode the loop publishes in takes the configured name.
  loop.trajectory = topic(c.command.topic, "trajectory_msgs/msg/JointTrajectory");
  loop.forward = topic(c.command.topic, "std_msgs/msg/Float64MultiArray");
  loop.twist = topic(c.command.topic, "geometry_msgs/msg/Twist");
  const roles = new Map<string, TopicRole>();
  const role = (name: string, r: TopicRole) => {
    if (!roles.has(name)) roles.set(name, r);
  };
  role(c.command.topic, "command");
  for (const [r, name] of Object.entries(t)) role(name, r as TopicRole);
  return {
    loop,
    task: topic(t.task, "std_msgs/msg/String"),
    episode: topic(t.episode, "std_msgs/msg/String"),
    diagnostics: topic(t.diagnostics, "diagnostic_msgs/msg/DiagnosticArray"),
    roles,
  };
}

/** QoS of a topic by its role (configured or default); topics with no role (a recorder's extras) are reliable. */
export function qosOfTopic(c: RunConfig, roles: ReadonlyMap<string, TopicRole>): (t: Topic) => QosProfile {
  return (t) => {
    const r = roles.get(t.name);
    return r ? c.qos[r] : QOS_PRESETS.reliable;
  };
}
