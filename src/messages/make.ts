// Message constructors with ROS 2's defaults (zero stamps, empty frames, identity rotations, empty
// optional arrays), for the simulator, teleop and tests. Each returns a message that passes
// validateMessage; options are one object, only the fields that matter are required.
import { bytesPerPixel } from "./encodings.ts";
import type {
  BoolMsg,
  CompressedImage,
  Detection2D,
  Detection2DArray,
  Detection3D,
  Detection3DArray,
  Duration,
  Float64MultiArray,
  Header,
  Image,
  JointState,
  JointTrajectory,
  ObjectHypothesisWithPose,
  Pose,
  Quaternion,
  StringMsg,
  Time,
  Twist,
  Vector3,
} from "./types.ts";

type Numbers = ArrayLike<number>;
const f64 = (v: Numbers | undefined): Float64Array => (v instanceof Float64Array ? v : Float64Array.from(v ?? []));

export const time = (sec = 0, nanosec = 0): Time => ({ sec, nanosec });
export const duration = (sec = 0, nanosec = 0): Duration => ({ sec, nanosec });

export function header(stamp: Time = time(), frame_id = ""): Header {
  return { stamp: { sec: stamp.sec, nanosec: stamp.nanosec }, frame_id };
}

export const vector3 = (x = 0, y = 0, z = 0): Vector3 => ({ x, y, z });
export const quaternion = (x = 0, y = 0, z = 0, w = 1): Quaternion => ({ x, y, z, w });

/** A rotation of `angle` rad about z (the table's yaw). */
export function yaw(angle: number): Quaternion {
  return quaternion(0, 0, Math.sin(angle / 2), Math.cos(angle / 2));
}

export function pose(position: Partial<Vector3> = {}, orientation: Quaternion = quaternion()): Pose {
  return { position: vector3(position.x, position.y, position.z), orientation: { ...orientation } };
}

export interface Stamped {
  stamp?: Time;
  frame_id?: string;
}

export interface JointStateOptions extends Stamped {
  name: string[];
  position: Numbers;
  velocity?: Numbers; // default: empty (not measured)
  effort?: Numbers;
}

export function jointState(o: JointStateOptions): JointState {
  return { header: header(o.stamp, o.frame_id), name: o.name.slice(), position: f64(o.position), velocity: f64(o.velocity), effort: f64(o.effort) };
}

export interface ImageOptions extends Stamped {
  width: number;
  height: number;
  encoding?: string; // default rgb8
  /** Bytes per row; default width × bytes per pixel (no padding). */
  step?: number;
  is_bigendian?: number;
  /** Default: zeros, step × height bytes. */
  data?: Uint8Array;
}

export function image(o: ImageOptions): Image {
  const encoding = o.encoding ?? "rgb8";
  const bpp = bytesPerPixel(encoding);
  if (bpp === undefined) throw new RangeError(`image(): unknown encoding ${JSON.stringify(encoding)}`);
  const step = o.step ?? o.width * bpp;
  return {
    header: header(o.stamp, o.frame_id),
    height: o.height,
    width: o.width,
    encoding,
    is_bigendian: o.is_bigendian ?? 0,
    step,
    data: o.data ?? new Uint8Array(step * o.height),
  };
}

export function compressedImage(format: string, data: Uint8Array, stamped: Stamped = {}): CompressedImage {
  return { header: header(stamped.stamp, stamped.frame_id), format, data };
}

/** One dimension labelled `label` (default "joints"), as ros2_control's forward controllers expect. */
export function float64MultiArray(data: Numbers, label = "joints"): Float64MultiArray {
  const values = f64(data);
  return { layout: { dim: [{ label, size: values.length, stride: values.length }], data_offset: 0 }, data: values };
}

export const stringMsg = (data: string): StringMsg => ({ data });
export const boolMsg = (data: boolean): BoolMsg => ({ data });

export function twist(linear: Partial<Vector3> = {}, angular: Partial<Vector3> = {}): Twist {
  return { linear: vector3(linear.x, linear.y, linear.z), angular: vector3(angular.x, angular.y, angular.z) };
}

export interface TrajectoryOptions extends Stamped {
  joint_names: string[];
  /** One entry per point: positions and the time from the trajectory's start. */
  points: { positions: Numbers; time_from_start: Duration; velocities?: Numbers }[];
}

export function jointTrajectory(o: TrajectoryOptions): JointTrajectory {
  return {
    header: header(o.stamp, o.frame_id),
    joint_names: o.joint_names.slice(),
    points: o.points.map((p) => ({
      positions: f64(p.positions),
      velocities: f64(p.velocities),
      accelerations: new Float64Array(0),
      effort: new Float64Array(0),
      time_from_start: { ...p.time_from_start },
    })),
  };
}

function hypothesis(class_id: string, score: number, p: Pose): ObjectHypothesisWithPose {
  return { hypothesis: { class_id, score }, pose: { pose: p, covariance: new Float64Array(36) } };
}

export interface Detection3DOptions extends Stamped {
  class_id: string;
  score?: number; // default 1
  position: Vector3;
  size?: Vector3; // default 0 × 0 × 0
  orientation?: Quaternion;
  id?: string;
}

/** One detection with one hypothesis; the hypothesis pose and the box centre are the same pose. */
export function detection3D(o: Detection3DOptions): Detection3D {
  const center = pose(o.position, o.orientation);
  return {
    header: header(o.stamp, o.frame_id),
    results: [hypothesis(o.class_id, o.score ?? 1, pose(o.position, o.orientation))],
    bbox: { center, size: vector3(o.size?.x, o.size?.y, o.size?.z) },
    id: o.id ?? "",
  };
}

export function detection3DArray(detections: Detection3D[], stamped: Stamped = {}): Detection3DArray {
  return { header: header(stamped.stamp, stamped.frame_id), detections };
}

export interface Detection2DOptions extends Stamped {
  class_id: string;
  score?: number; // default 1
  cx: number; // box centre, pixels
  cy: number;
  w: number; // box size, pixels
  h: number;
  id?: string;
}

export function detection2D(o: Detection2DOptions): Detection2D {
  return {
    header: header(o.stamp, o.frame_id),
    results: [hypothesis(o.class_id, o.score ?? 1, pose())],
    bbox: { center: { position: { x: o.cx, y: o.cy }, theta: 0 }, size_x: o.w, size_y: o.h },
    id: o.id ?? "",
  };
}

export function detection2DArray(detections: Detection2D[], stamped: Stamped = {}): Detection2DArray {
  return { header: header(stamped.stamp, stamped.frame_id), detections };
}
