// The simulator's topics, as docs/CONVENTIONS.md names them (remappable through SimConfig.topics).
import { topic, type Topic } from "../src/bus/types.ts";

export interface SimTopics {
  image: Topic<"sensor_msgs/msg/Image">;
  detections: Topic<"vision_msgs/msg/Detection3DArray">;
  jointStates: Topic<"sensor_msgs/msg/JointState">;
  task: Topic<"std_msgs/msg/String">;
  episode: Topic<"std_msgs/msg/String">;
  trajectory: Topic<"trajectory_msgs/msg/JointTrajectory">;
  forward: Topic<"std_msgs/msg/Float64MultiArray">;
  estop: Topic<"std_msgs/msg/Bool">;
}

export const DEFAULT_TOPICS: SimTopics = {
  image: topic("/camera/image_raw", "sensor_msgs/msg/Image"),
  detections: topic("/detections", "vision_msgs/msg/Detection3DArray"),
  jointStates: topic("/joint_states", "sensor_msgs/msg/JointState"),
  task: topic("/omniloop/task", "std_msgs/msg/String"),
  episode: topic("/omniloop/episode", "std_msgs/msg/String"),
  trajectory: topic("/arm_controller/joint_trajectory", "trajectory_msgs/msg/JointTrajectory"),
  forward: topic("/forward_position_controller/commands", "std_msgs/msg/Float64MultiArray"),
  estop: topic("/omniloop/estop", "std_msgs/msg/Bool"),
};

/** Frame ids the simulator stamps. */
export const FRAMES = { table: "table", camera: "camera_optical_frame", base: "base_link" } as const;
