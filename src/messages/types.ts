// The message model: TypeScript shapes of the ROS 2 messages omniloop moves, field for field
// (names exactly as in the .msg definitions, so rclnodejs, CDR and our transports agree).
// Array conventions: uint8[] → Uint8Array, float64[] → Float64Array, float32[] → Float32Array,
// string[] → string[], message[] → T[]. The same conventions as @foxglove/rosmsg2-serialization's
// CDR reader, so a message read from a log is the same object shape we publish.

/** builtin_interfaces/msg/Time */
export interface Time {
  sec: number; // int32
  nanosec: number; // uint32
}

/** builtin_interfaces/msg/Duration */
export interface Duration {
  sec: number; // int32
  nanosec: number; // uint32
}

/** std_msgs/msg/Header */
export interface Header {
  stamp: Time;
  frame_id: string;
}

/** sensor_msgs/msg/Image */
export interface Image {
  header: Header;
  height: number; // uint32, rows
  width: number; // uint32, columns
  encoding: string; // rgb8, bgr8, rgba8, bgra8, mono8, mono16, ...
  is_bigendian: number; // uint8
  step: number; // uint32, bytes per row (≥ width × bytes per pixel: rows may be padded)
  data: Uint8Array; // step × height bytes
}

/** sensor_msgs/msg/CompressedImage */
export interface CompressedImage {
  header: Header;
  format: string; // "jpeg", "png", or rosbag-style "rgb8; jpeg compressed bgr8"
  data: Uint8Array;
}

/** sensor_msgs/msg/JointState */
export interface JointState {
  header: Header;
  name: string[];
  position: Float64Array;
  velocity: Float64Array;
  effort: Float64Array;
}

/** geometry_msgs/msg/Vector3 */
export interface Vector3 {
  x: number;
  y: number;
  z: number;
}

/** geometry_msgs/msg/Point */
export type Point = Vector3;

/** geometry_msgs/msg/Quaternion */
export interface Quaternion {
  x: number;
  y: number;
  z: number;
  w: number;
}

/** geometry_msgs/msg/Pose */
export interface Pose {
  position: Point;
  orientation: Quaternion;
}

/** geometry_msgs/msg/PoseWithCovariance */
export interface PoseWithCovariance {
  pose: Pose;
  covariance: Float64Array; // float64[36], row-major 6×6
}

/** geometry_msgs/msg/Twist */
export interface Twist {
  linear: Vector3;
  angular: Vector3;
}

/** vision_msgs/msg/ObjectHypothesis (vision_msgs ≥ 4, the Humble/Jazzy layout) */
export interface ObjectHypothesis {
  class_id: string;
  score: number; // float64
}

/** vision_msgs/msg/ObjectHypothesisWithPose */
export interface ObjectHypothesisWithPose {
  hypothesis: ObjectHypothesis;
  pose: PoseWithCovariance;
}

/** vision_msgs/msg/Point2D */
export interface Point2D {
  x: number;
  y: number;
}

/** vision_msgs/msg/Pose2D */
export interface Pose2D {
  position: Point2D;
  theta: number;
}

/** vision_msgs/msg/BoundingBox2D */
export interface BoundingBox2D {
  center: Pose2D;
  size_x: number;
  size_y: number;
}

/** vision_msgs/msg/BoundingBox3D */
export interface BoundingBox3D {
  center: Pose;
  size: Vector3;
}

/** vision_msgs/msg/Detection2D */
export interface Detection2D {
  header: Header;
  results: ObjectHypothesisWithPose[];
  bbox: BoundingBox2D;
  id: string;
}

/** vision_msgs/msg/Detection2DArray */
export interface Detection2DArray {
  header: Header;
  detections: Detection2D[];
}

/** vision_msgs/msg/Detection3D */
export interface Detection3D {
  header: Header;
  results: ObjectHypothesisWithPose[];
  bbox: BoundingBox3D;
  id: string;
}

/** vision_msgs/msg/Detection3DArray */
export interface Detection3DArray {
  header: Header;
  detections: Detection3D[];
}

/** std_msgs/msg/String */
export interface StringMsg {
  data: string;
}

/** std_msgs/msg/Bool */
export interface BoolMsg {
  data: boolean;
}

/** trajectory_msgs/msg/JointTrajectoryPoint */
export interface JointTrajectoryPoint {
  positions: Float64Array;
  velocities: Float64Array;
  accelerations: Float64Array;
  effort: Float64Array;
  time_from_start: Duration;
}

/** trajectory_msgs/msg/JointTrajectory */
export interface JointTrajectory {
  header: Header;
  joint_names: string[];
  points: JointTrajectoryPoint[];
}

/** std_msgs/msg/MultiArrayDimension */
export interface MultiArrayDimension {
  label: string;
  size: number; // uint32
  stride: number; // uint32
}

/** std_msgs/msg/MultiArrayLayout */
export interface MultiArrayLayout {
  dim: MultiArrayDimension[];
  data_offset: number; // uint32
}

/** std_msgs/msg/Float64MultiArray */
export interface Float64MultiArray {
  layout: MultiArrayLayout;
  data: Float64Array;
}

/** diagnostic_msgs/msg/KeyValue */
export interface KeyValue {
  key: string;
  value: string;
}

/** diagnostic_msgs/msg/DiagnosticStatus */
export interface DiagnosticStatus {
  level: number; // byte: OK=0, WARN=1, ERROR=2, STALE=3
  name: string;
  message: string;
  hardware_id: string;
  values: KeyValue[];
}

/** diagnostic_msgs/msg/DiagnosticArray */
export interface DiagnosticArray {
  header: Header;
  status: DiagnosticStatus[];
}

/** Every ROS 2 message type omniloop speaks, by its full ROS 2 name. */
export interface RosMessageTypes {
  "sensor_msgs/msg/Image": Image;
  "sensor_msgs/msg/CompressedImage": CompressedImage;
  "sensor_msgs/msg/JointState": JointState;
  "vision_msgs/msg/Detection2DArray": Detection2DArray;
  "vision_msgs/msg/Detection3DArray": Detection3DArray;
  "std_msgs/msg/String": StringMsg;
  "std_msgs/msg/Bool": BoolMsg;
  "std_msgs/msg/Float64MultiArray": Float64MultiArray;
  "trajectory_msgs/msg/JointTrajectory": JointTrajectory;
  "geometry_msgs/msg/Twist": Twist;
  "diagnostic_msgs/msg/DiagnosticArray": DiagnosticArray;
}

export type RosTypeName = keyof RosMessageTypes;

export const ROS_TYPE_NAMES: readonly RosTypeName[] = [
  "sensor_msgs/msg/Image",
  "sensor_msgs/msg/CompressedImage",
  "sensor_msgs/msg/JointState",
  "vision_msgs/msg/Detection2DArray",
  "vision_msgs/msg/Detection3DArray",
  "std_msgs/msg/String",
  "std_msgs/msg/Bool",
  "std_msgs/msg/Float64MultiArray",
  "trajectory_msgs/msg/JointTrajectory",
  "geometry_msgs/msg/Twist",
  "diagnostic_msgs/msg/DiagnosticArray",
];

export function isRosTypeName(name: string): name is RosTypeName {
  return (ROS_TYPE_NAMES as readonly string[]).includes(name);
}
