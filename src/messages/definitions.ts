// The ROS 2 (Humble) .msg definitions of every message type omniloop speaks, vision_msgs 4.x
// layout, field for field (comments dropped). `fullDefinition(type)` gives rosbag2's concatenated
// `ros2msg` schema text: the root .msg, then each dependency once, after a line of 80 `=` and a
// `MSG: pkg/Type` line — what rosbag2 writes into an MCAP Schema record, so rosbag2 and Foxglove
// read our logs, and what the .db3 reader falls back on (a .db3 stores no definitions).
import type { RosTypeName } from "./types.ts";

/** Each .msg file by its short resource name (`pkg/Type`). Field types are written as the real
 * files write them: unqualified within their own package. */
const MSG_FILES: Record<string, string> = {
  "builtin_interfaces/Time": "int32 sec\nuint32 nanosec\n",
  "builtin_interfaces/Duration": "int32 sec\nuint32 nanosec\n",
  "std_msgs/Header": "builtin_interfaces/Time stamp\nstring frame_id\n",
  "std_msgs/String": "string data\n",
  "std_msgs/Bool": "bool data\n",
  "std_msgs/MultiArrayDimension": "string label\nuint32 size\nuint32 stride\n",
  "std_msgs/MultiArrayLayout": "MultiArrayDimension[] dim\nuint32 data_offset\n",
  "std_msgs/Float64MultiArray": "MultiArrayLayout layout\nfloat64[] data\n",
  "sensor_msgs/Image":
    "std_msgs/Header header\nuint32 height\nuint32 width\nstring encoding\nuint8 is_bigendian\nuint32 step\nuint8[] data\n",
  "sensor_msgs/CompressedImage": "std_msgs/Header header\nstring format\nuint8[] data\n",
  "sensor_msgs/JointState":
    "std_msgs/Header header\nstring[] name\nfloat64[] position\nfloat64[] velocity\nfloat64[] effort\n",
  "geometry_msgs/Vector3": "float64 x\nfloat64 y\nfloat64 z\n",
  "geometry_msgs/Point": "float64 x\nfloat64 y\nfloat64 z\n",
  "geometry_msgs/Quaternion": "float64 x 0\nfloat64 y 0\nfloat64 z 0\nfloat64 w 1\n",
  "geometry_msgs/Pose": "Point position\nQuaternion orientation\n",
  "geometry_msgs/PoseWithCovariance": "Pose pose\nfloat64[36] covariance\n",
  "geometry_msgs/Twist": "Vector3 linear\nVector3 angular\n",
  "vision_msgs/ObjectHypothesis": "string class_id\nfloat64 score\n",
  "vision_msgs/ObjectHypothesisWithPose": "ObjectHypothesis hypothesis\ngeometry_msgs/PoseWithCovariance pose\n",
  "vision_msgs/Point2D": "float64 x\nfloat64 y\n",
  "vision_msgs/Pose2D": "Point2D position\nfloat64 theta\n",
  "vision_msgs/BoundingBox2D": "Pose2D center\nfloat64 size_x\nfloat64 size_y\n",
  "vision_msgs/BoundingBox3D": "geometry_msgs/Pose center\ngeometry_msgs/Vector3 size\n",
  "vision_msgs/Detection2D":
    "std_msgs/Header header\nObjectHypothesisWithPose[] results\nBoundingBox2D bbox\nstring id\n",
  "vision_msgs/Detection2DArray": "std_msgs/Header header\nDetection2D[] detections\n",
  "vision_msgs/Detection3D":
    "std_msgs/Header header\nObjectHypothesisWithPose[] results\nBoundingBox3D bbox\nstring id\n",
  "vision_msgs/Detection3DArray": "std_msgs/Header header\nDetection3D[] detections\n",
  "trajectory_msgs/JointTrajectoryPoint":
    "float64[] positions\nfloat64[] velocities\nfloat64[] accelerations\nfloat64[] effort\n" +
    "builtin_interfaces/Duration time_from_start\n",
  "trajectory_msgs/JointTrajectory": "std_msgs/Header header\nstring[] joint_names\nJointTrajectoryPoint[] points\n",
  "diagnostic_msgs/KeyValue": "string key\nstring value\n",
  "diagnostic_msgs/DiagnosticStatus":
    "byte OK=0\nbyte WARN=1\nbyte ERROR=2\nbyte STALE=3\n" +
    "byte level\nstring name\nstring message\nstring hardware_id\nKeyValue[] values\n",
  "diagnostic_msgs/DiagnosticArray": "std_msgs/Header header\nDiagnosticStatus[] status\n",
};

const PRIMITIVES = new Set([
  "bool", "byte", "char", "int8", "uint8", "int16", "uint16", "int32", "uint32",
  "int64", "uint64", "float32", "float64", "string", "wstring",
]);

export const DEFINITION_SEPARATOR = "=".repeat(80);

/** `sensor_msgs/msg/Image` → `sensor_msgs/Image` (the name .msg files and `MSG:` lines use). */
export function shortTypeName(type: string): string {
  return type.replace("/msg/", "/");
}

/** The complex types one .msg file refers to, as short names, in order of first appearance. */
function dependencies(short: string): string[] {
  const pkg = short.split("/")[0]!;
  const text = MSG_FILES[short];
  if (text === undefined) throw new Error(`definitions: no .msg for ${short}`);
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const word = line.trim().split(/\s+/)[0];
    if (!word || line.includes("=")) continue; // blank, or a constant
    const base = word.replace(/\[\d*\]$/, "").replace(/<=\d+$/, "");
    if (PRIMITIVES.has(base)) continue;
    const dep = base.includes("/") ? base : `${pkg}/${base}`;
    if (!out.includes(dep)) out.push(dep);
  }
  return out;
}

/** rosbag2's concatenated ros2msg text for `type` (full `pkg/msg/Type` or short `pkg/Type`). */
export function fullDefinition(type: string): string {
  const root = shortTypeName(type);
  if (MSG_FILES[root] === undefined) throw new Error(`definitions: unknown message type ${type}`);
  const order: string[] = [];
  const visit = (t: string) => {
    for (const dep of dependencies(t)) {
      if (dep === root || order.includes(dep)) continue;
      order.push(dep);
      visit(dep);
    }
  };
  visit(root);
  return [MSG_FILES[root]!.trimEnd(), ...order.map((d) => `${DEFINITION_SEPARATOR}\nMSG: ${d}\n${MSG_FILES[d]!.trimEnd()}`)].join(
    "\n",
  ) + "\n";
}

/** Whether omniloop carries a definition for `type` (full or short name). */
export function hasDefinition(type: string): boolean {
  return MSG_FILES[shortTypeName(type)] !== undefined;
}

/** The ros2msg schema of every bus message type, by its full name. */
export function allDefinitions(types: readonly RosTypeName[]): Record<string, string> {
  return Object.fromEntries(types.map((t) => [t, fullDefinition(t)]));
}
