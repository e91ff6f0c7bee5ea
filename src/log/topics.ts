// The default topics (docs/CONVENTIONS.md) with their types, and `--topics` parsing: a known
// topic by name, any other as NAME:TYPE.
import type { BusTypeName, Topic } from "../bus/types.ts";
import { BUS_TYPE_NAMES } from "../bus/topics.ts";
import { LogError } from "./errors.ts";

export const DEFAULT_TOPICS: readonly Topic[] = [
  { name: "/camera/image_raw", type: "sensor_msgs/msg/Image" },
  { name: "/detections", type: "vision_msgs/msg/Detection3DArray" },
  { name: "/joint_states", type: "sensor_msgs/msg/JointState" },
  { name: "/omniloop/task", type: "std_msgs/msg/String" },
  { name: "/arm_controller/joint_trajectory", type: "trajectory_msgs/msg/JointTrajectory" },
  { name: "/forward_position_controller/commands", type: "std_msgs/msg/Float64MultiArray" },
  { name: "/omniloop/estop", type: "std_msgs/msg/Bool" },
  { name: "/omniloop/said", type: "std_msgs/msg/String" },
  { name: "/omniloop/episode", type: "std_msgs/msg/String" },
  { name: "/omniloop/surprise", type: "std_msgs/msg/Float64MultiArray" },
  { name: "/omniloop/holds", type: "std_msgs/msg/String" },
  { name: "/omniloop/observation", type: "omniloop/msg/Omnitoken" },
  { name: "/omniloop/prediction", type: "omniloop/msg/Omnitoken" },
];

export class TopicArgError extends LogError {}

/** "a,b:pkg/msg/T" → topics; an empty or absent list means every default topic. */
export function parseTopics(arg: string | undefined): Topic[] {
  const items = (arg ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) return [...DEFAULT_TOPICS];
  return items.map((item) => {
    const colon = item.indexOf(":");
    if (colon < 0) {
      const known = DEFAULT_TOPICS.find((t) => t.name === item);
      if (!known) {
        throw new TopicArgError(
          `--topics: "${item}" is not a default topic, so its type is unknown; write it as ${item}:TYPE (one of ${BUS_TYPE_NAMES.join(", ")})`,
        );
      }
      return known;
    }
    const name = item.slice(0, colon);
    const type = item.slice(colon + 1);
    if (!(BUS_TYPE_NAMES as readonly string[]).includes(type)) {
      throw new TopicArgError(`--topics: "${item}": unknown type "${type}"; known: ${BUS_TYPE_NAMES.join(", ")}`);
    }
    return { name, type: type as BusTypeName };
  });
}
