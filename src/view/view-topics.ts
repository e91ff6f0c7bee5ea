// The topics a viewer sees: the bus topics served as they are (CDR with ros2msg schemas, as in a
// log), and the channels derived for people (`/omniloop/view/...`): what the model saw and
// predicted as images and joint states, surprise and holds as named numbers, a log of what
// happened, detections drawn on the camera image, the loop's timing and diagnostics.
import { topic, type Topic } from "../bus/types.ts";
import { DEFAULT_LOOP_TOPICS } from "../loop/topics.ts";

export const VIEW = {
  /** sensor_msgs/msg/Image: the pixels column of o_k, as the model saw it. */
  observedImage: "/omniloop/view/observed_image",
  /** sensor_msgs/msg/Image: the pixels column of p_{k+1}, what the model expects to see next. */
  predictedImage: "/omniloop/view/predicted_image",
  /** sensor_msgs/msg/JointState: p_{k+1}'s action column in joint units (before the safety filter). */
  predictedJoints: "/omniloop/view/predicted_joints",
  /** omniloop.Surprise (JSON): per-column surprise, named. */
  surprise: "/omniloop/view/surprise",
  /** omniloop.Holds (JSON): why the robot was held, per tick. */
  holds: "/omniloop/view/holds",
  /** foxglove.Log (JSON): episode events, the model's words, holds. */
  log: "/omniloop/view/log",
  /** foxglove.ImageAnnotations (JSON): detections (solid) and predicted objects (thin) on the camera image. */
  annotations: "/omniloop/view/annotations",
  /** omniloop.Step (JSON): policy step time and tick rate. */
  step: "/omniloop/view/step",
  /** diagnostic_msgs/msg/DiagnosticArray: bus counters, viewer queues and drops, loop timing. */
  diagnostics: "/omniloop/view/diagnostics",
} as const;

/** The bus topics a viewer serves by default: docs/CONVENTIONS.md's, plus the loop's outputs. */
export const SOURCE_TOPICS: readonly Topic[] = [
  DEFAULT_LOOP_TOPICS.image,
  DEFAULT_LOOP_TOPICS.detections,
  DEFAULT_LOOP_TOPICS.joints,
  topic("/omniloop/task", "std_msgs/msg/String"),
  topic("/omniloop/episode", "std_msgs/msg/String"),
  DEFAULT_LOOP_TOPICS.trajectory,
  DEFAULT_LOOP_TOPICS.forward,
  DEFAULT_LOOP_TOPICS.twist,
  DEFAULT_LOOP_TOPICS.estop,
  DEFAULT_LOOP_TOPICS.said,
  DEFAULT_LOOP_TOPICS.surprise,
  DEFAULT_LOOP_TOPICS.holds,
  DEFAULT_LOOP_TOPICS.observation,
  DEFAULT_LOOP_TOPICS.prediction,
];
