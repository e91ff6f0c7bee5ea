// The loop's topics (docs/CONVENTIONS.md), each remappable by configuration.
import { topic, type Topic } from "../bus/types.ts";

export interface LoopTopics {
  image: Topic<"sensor_msgs/msg/Image">;
  detections: Topic<"vision_msgs/msg/Detection3DArray">;
  joints: Topic<"sensor_msgs/msg/JointState">;
  estop: Topic<"std_msgs/msg/Bool">;
  trajectory: Topic<"trajectory_msgs/msg/JointTrajectory">;
  forward: Topic<"std_msgs/msg/Float64MultiArray">;
  twist: Topic<"geometry_msgs/msg/Twist">;
  said: Topic<"std_msgs/msg/String">;
  surprise: Topic<"std_msgs/msg/Float64MultiArray">;
  holds: Topic<"std_msgs/msg/String">;
  observation: Topic<"omniloop/msg/Omnitoken">;
  prediction: Topic<"omniloop/msg/Omnitoken">;
}

export const DEFAULT_LOOP_TOPICS: LoopTopics = {
  image: topic("/camera/image_raw", "sensor_msgs/msg/Image"),
  detections: topic("/detections", "vision_msgs/msg/Detection3DArray"),
  joints: topic("/joint_states", "sensor_msgs/msg/JointState"),
  estop: topic("/omniloop/estop", "std_msgs/msg/Bool"),
  trajectory: topic("/arm_controller/joint_trajectory", "trajectory_msgs/msg/JointTrajectory"),
  forward: topic("/forward_position_controller/commands", "std_msgs/msg/Float64MultiArray"),
  twist: topic("/cmd_vel", "geometry_msgs/msg/Twist"),
  said: topic("/omniloop/said", "std_msgs/msg/String"),
  surprise: topic("/omniloop/surprise", "std_msgs/msg/Float64MultiArray"),
  holds: topic("/omniloop/holds", "std_msgs/msg/String"),
  observation: topic("/omniloop/observation", "omniloop/msg/Omnitoken"),
  prediction: topic("/omniloop/prediction", "omniloop/msg/Omnitoken"),
};
