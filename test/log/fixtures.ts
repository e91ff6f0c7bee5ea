// Sample messages of every ROS type omniloop speaks, with awkward values (NaN, -0, Infinity,
// empty arrays, unicode, padding-sensitive field orders), and a small card and omnitoken.
import type { RosMessageTypes, RosTypeName, Header } from "../../src/messages/types.ts";
import type { ModelCard } from "../../src/omnitoken/card-types.ts";
import type { Omnitoken } from "../../src/omnitoken/types.ts";

const header = (sec: number, frame = "table"): Header => ({ stamp: { sec, nanosec: 123_456_789 }, frame_id: frame });
const pose = { position: { x: 0.1, y: -0.2, z: 0.3 }, orientation: { x: 0, y: 0, z: 0.7071067811865476, w: 0.7071067811865476 } };
const covariance = Float64Array.from({ length: 36 }, (_, i) => (i % 7 === 0 ? 0.01 : 0));

export const SAMPLES: { [K in RosTypeName]: RosMessageTypes[K] } = {
  "sensor_msgs/msg/Image": {
    header: header(1, "camera"),
    height: 3,
    width: 2,
    encoding: "rgb8",
    is_bigendian: 0,
    step: 8, // padded rows: 2 px × 3 bytes + 2 bytes of padding
    data: Uint8Array.from({ length: 24 }, (_, i) => (i * 37) & 255),
  },
  "sensor_msgs/msg/CompressedImage": { header: header(2, "camera"), format: "png", data: Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]) },
  "sensor_msgs/msg/JointState": {
    header: header(3, ""),
    name: ["shoulder", "elbow", "wrist", "grïpper"],
    position: Float64Array.from([0.5, -0, Math.PI, NaN]),
    velocity: Float64Array.from([Infinity, -Infinity, 1e-300, 0]),
    effort: new Float64Array(0),
  },
  "vision_msgs/msg/Detection2DArray": {
    header: header(4, "camera"),
    detections: [
      {
        header: header(4, "camera"),
        results: [{ hypothesis: { class_id: "red_block", score: 0.93 }, pose: { pose, covariance } }],
        bbox: { center: { position: { x: 320.5, y: 240.25 }, theta: 0.1 }, size_x: 40, size_y: 30 },
        id: "0",
      },
      { header: header(4, "camera"), results: [], bbox: { center: { position: { x: 0, y: 0 }, theta: 0 }, size_x: 0, size_y: 0 }, id: "" },
    ],
  },
  "vision_msgs/msg/Detection3DArray": {
    header: header(5),
    detections: [
      {
        header: header(5),
        results: [
          { hypothesis: { class_id: "blue_block", score: 0.5 }, pose: { pose, covariance } },
          { hypothesis: { class_id: "other", score: 0.01 }, pose: { pose, covariance } },
        ],
        bbox: { center: pose, size: { x: 0.04, y: 0.04, z: 0.04 } },
        id: "7",
      },
    ],
  },
  "std_msgs/msg/String": { data: "touch the red block — ✓" },
  "std_msgs/msg/Bool": { data: true },
  "std_msgs/msg/Float64MultiArray": {
    layout: { dim: [{ label: "joints", size: 3, stride: 3 }], data_offset: 0 },
    data: Float64Array.from([0.1, 0.2, -0.3]),
  },
  "trajectory_msgs/msg/JointTrajectory": {
    header: header(6, ""),
    joint_names: ["a", "b"],
    points: [
      {
        positions: Float64Array.from([1, 2]),
        velocities: new Float64Array(0),
        accelerations: new Float64Array(0),
        effort: new Float64Array(0),
        time_from_start: { sec: 0, nanosec: 100_000_000 },
      },
    ],
  },
  "geometry_msgs/msg/Twist": { linear: { x: 0.1, y: 0, z: -0 }, angular: { x: 0, y: 0, z: 1.5 } },
  "diagnostic_msgs/msg/DiagnosticArray": {
    header: header(7, ""),
    status: [{ level: 2, name: "loop", message: "deadline missed", hardware_id: "gpu0", values: [{ key: "missed", value: "3" }] }],
  },
};

export const CARD: ModelCard = {
  schema_version: 1,
  name: "log-test",
  columns: [
    { name: "text", kind: "text", width: 1 },
    { name: "pixels", kind: "pixels", width: 4 * 4 * 3, image: { height: 4, width: 4, channels: 3 } },
    {
      name: "objects",
      kind: "objects",
      width: 2 * (1 + 2 + 3 + 1),
      objects: { max_objects: 2, classes: ["red_block", "other"], coords: ["x", "y", "z"], bounds: { min: [-1, -1, 0], max: [1, 1, 1] }, frame_id: "table" },
    },
    {
      name: "action",
      kind: "action",
      width: 2,
      action: {
        joints: [
          { name: "shoulder", min: -2, max: 2, unit: "rad" },
          { name: "elbow", min: -1, max: 3, unit: "rad" },
        ],
        command: { mode: "joint_trajectory" },
      },
    },
  ],
  tokenizer: { kind: "byte", vocab_size: 260, special: { PAD: 256, BOS: 257, EOS: 258, SEP: 259 } },
  context_length: 64,
  control_rate_hz: 10,
  kv_cache: { layers: 1, heads: 1, head_dim: 4, dtype: "float32" },
};

export function sampleToken(step: number): Omnitoken {
  return {
    step,
    stamp: { sec: 10 + step, nanosec: 5 },
    columns: {
      text: { origin: "observed", data: Int32Array.of(256) },
      pixels: { origin: "observed", data: Float32Array.from({ length: 48 }, (_, i) => i / 47) },
      objects: { origin: "absent", data: new Float32Array(14) },
      action: { origin: "predicted", data: Float32Array.of(-0.5, 0.25) },
    },
  };
}
