// Message validation: `validateMessage(type, msg)` checks an untrusted value (from JSON, msgpack,
// rclnodejs, a log) against its ROS 2 type and returns it normalised — a fresh object holding only
// the declared fields, plain number arrays converted to the typed arrays of the message model
// (typed arrays already of the right kind are kept, not copied). The first problem throws a
// MessageError naming the field.
//
// Beyond JS types, the checks a robot needs: image step/data sizes against the encoding, finite
// poses and joint positions, unit quaternions, JointState/JointTrajectory array lengths against the
// names, unique joint names, increasing trajectory times. Velocity and effort may be NaN: drivers
// mark an unmeasured value that way. Float64MultiArray data may hold NaN too: it carries metrics
// ("not measured this tick") as well as commands, and a command's finiteness is checked where it
// is applied (the safety filter before sending, the actuator on receipt).
import { MessageError } from "./errors.ts";
import { bytesPerPixel, encodingHint } from "./encodings.ts";
import {
  allFinite,
  bool,
  fail,
  float64Array,
  int,
  list,
  nested,
  record,
  str,
  stringArray,
  uint32,
  uint8Array,
  unique,
  type Ctx,
  type Obj,
} from "./fields.ts";
import type {
  CompressedImage,
  DiagnosticArray,
  Float64MultiArray,
  Image,
  JointState,
  JointTrajectory,
  JointTrajectoryPoint,
  RosMessageTypes,
  RosTypeName,
} from "./types.ts";
import { ROS_TYPE_NAMES } from "./types.ts";
import { detection2D, detection3D, duration, header, vector3 } from "./validate-geometry.ts";

export { MessageError } from "./errors.ts";
export { QUATERNION_TOLERANCE } from "./validate-geometry.ts";

type Validators = { [K in RosTypeName]: (ctx: Ctx, o: Obj) => RosMessageTypes[K] };

const VALIDATORS: Validators = {
  "sensor_msgs/msg/Image": image,
  "sensor_msgs/msg/CompressedImage": compressedImage,
  "sensor_msgs/msg/JointState": jointState,
  "vision_msgs/msg/Detection2DArray": (ctx, o) => ({
    header: header(ctx, o, ""),
    detections: list(ctx, o, "detections", "", (v, p) => detection2D(ctx, v, p)),
  }),
  "vision_msgs/msg/Detection3DArray": (ctx, o) => ({
    header: header(ctx, o, ""),
    detections: list(ctx, o, "detections", "", (v, p) => detection3D(ctx, v, p)),
  }),
  "std_msgs/msg/String": (ctx, o) => ({ data: str(ctx, o, "data", "") }),
  "std_msgs/msg/Bool": (ctx, o) => ({ data: bool(ctx, o, "data", "") }),
  "std_msgs/msg/Float64MultiArray": float64MultiArray,
  "trajectory_msgs/msg/JointTrajectory": jointTrajectory,
  "geometry_msgs/msg/Twist": (ctx, o) => ({ linear: vector3(ctx, o.linear, "linear"), angular: vector3(ctx, o.angular, "angular") }),
  "diagnostic_msgs/msg/DiagnosticArray": diagnosticArray,
};

/** Checks `msg` as a `type` message; returns it normalised, or throws MessageError naming the field. */
export function validateMessage<K extends RosTypeName>(type: K, msg: unknown): RosMessageTypes[K] {
  const validator = Object.hasOwn(VALIDATORS, type) ? VALIDATORS[type] : undefined;
  if (!validator) throw new MessageError(String(type), "", `unknown message type; omniloop speaks ${ROS_TYPE_NAMES.join(", ")}`);
  const ctx: Ctx = { type };
  return validator(ctx, record(ctx, msg, ""));
}

function image(ctx: Ctx, o: Obj): Image {
  const height = uint32(ctx, o, "height", "");
  const width = uint32(ctx, o, "width", "");
  const encoding = str(ctx, o, "encoding", "");
  const bpp = bytesPerPixel(encoding);
  if (bpp === undefined) {
    const hint = encodingHint(encoding);
    fail(ctx, "encoding", `unknown image encoding ${JSON.stringify(encoding)}${hint ? ` (did you mean "${hint}"?)` : ""}; expected a sensor_msgs encoding such as rgb8, bgr8, rgba8, bgra8, mono8, mono16, 16UC1, 32FC1`);
  }
  const is_bigendian = int(ctx, o, "is_bigendian", "", 0, 1, "0 or 1");
  const step = uint32(ctx, o, "step", "");
  if (step < width * bpp) fail(ctx, "step", `expected at least ${width * bpp} (width ${width} × ${bpp} bytes per pixel of ${encoding}), got ${step}`);
  const data = uint8Array(ctx, o, "data", "");
  if (data.length < step * height) fail(ctx, "data", `expected at least ${step * height} bytes (step ${step} × height ${height}), got ${data.length}`);
  return { header: header(ctx, o, ""), height, width, encoding, is_bigendian, step, data };
}

function compressedImage(ctx: Ctx, o: Obj): CompressedImage {
  const format = str(ctx, o, "format", "");
  if (format.trim() === "") fail(ctx, "format", `expected a format such as "jpeg", "png" or "rgb8; jpeg compressed bgr8", got ""`);
  const data = uint8Array(ctx, o, "data", "");
  if (data.length === 0) fail(ctx, "data", "expected the compressed bytes, got none");
  return { header: header(ctx, o, ""), format, data };
}

/** ROS's rule for JointState and trajectory points: each array is empty or one entry per name. */
function perName(ctx: Ctx, values: Float64Array, path: string, names: readonly string[]): void {
  if (values.length !== 0 && values.length !== names.length) {
    fail(ctx, path, `expected ${names.length} values (one per name) or none, got ${values.length}`);
  }
}

function jointState(ctx: Ctx, o: Obj): JointState {
  const name = stringArray(ctx, o, "name", "");
  unique(ctx, name, "name");
  const position = float64Array(ctx, o, "position", "");
  const velocity = float64Array(ctx, o, "velocity", "");
  const effort = float64Array(ctx, o, "effort", "");
  perName(ctx, position, "position", name);
  perName(ctx, velocity, "velocity", name);
  perName(ctx, effort, "effort", name);
  allFinite(ctx, position, "position", name);
  return { header: header(ctx, o, ""), name, position, velocity, effort };
}

function float64MultiArray(ctx: Ctx, o: Obj): Float64MultiArray {
  const layout = nested(ctx, o, "layout", "");
  const dim = list(ctx, layout, "dim", "layout", (v, p) => {
    const d = record(ctx, v, p);
    return { label: str(ctx, d, "label", p), size: uint32(ctx, d, "size", p), stride: uint32(ctx, d, "stride", p) };
  });
  const data = float64Array(ctx, o, "data", "");
  return { layout: { dim, data_offset: uint32(ctx, layout, "data_offset", "layout") }, data };
}

function jointTrajectory(ctx: Ctx, o: Obj): JointTrajectory {
  const joint_names = stringArray(ctx, o, "joint_names", "");
  unique(ctx, joint_names, "joint_names");
  let previous = -Infinity;
  const points = list(ctx, o, "points", "", (v, p): JointTrajectoryPoint => {
    const q = record(ctx, v, p);
    const point: JointTrajectoryPoint = {
      positions: float64Array(ctx, q, "positions", p),
      velocities: float64Array(ctx, q, "velocities", p),
      accelerations: float64Array(ctx, q, "accelerations", p),
      effort: float64Array(ctx, q, "effort", p),
      time_from_start: duration(ctx, q.time_from_start, `${p}.time_from_start`),
    };
    for (const key of ["positions", "velocities", "accelerations", "effort"] as const) {
      perName(ctx, point[key], `${p}.${key}`, joint_names);
      allFinite(ctx, point[key], `${p}.${key}`, joint_names);
    }
    // Controllers reject a trajectory whose points do not move forward in time.
    const t = point.time_from_start.sec + point.time_from_start.nanosec / 1e9;
    if (!(t > previous)) fail(ctx, `${p}.time_from_start`, `expected a time after the previous point's (${previous} s), got ${t} s`);
    previous = t;
    return point;
  });
  return { header: header(ctx, o, ""), joint_names, points };
}

function diagnosticArray(ctx: Ctx, o: Obj): DiagnosticArray {
  return {
    header: header(ctx, o, ""),
    status: list(ctx, o, "status", "", (v, p) => {
      const s = record(ctx, v, p);
      return {
        level: int(ctx, s, "level", p, 0, 3, "a level (OK=0, WARN=1, ERROR=2, STALE=3)"),
        name: str(ctx, s, "name", p),
        message: str(ctx, s, "message", p),
        hardware_id: str(ctx, s, "hardware_id", p),
        values: list(ctx, s, "values", p, (kv, kp) => {
          const r = record(ctx, kv, kp);
          return { key: str(ctx, r, "key", kp), value: str(ctx, r, "value", kp) };
        }),
      };
    }),
  };
}

