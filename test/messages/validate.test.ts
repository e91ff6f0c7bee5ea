import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as make from "../../src/messages/make.ts";
import type { RosTypeName } from "../../src/messages/types.ts";
import { MessageError, validateMessage } from "../../src/messages/validate.ts";

/** A JSON-like copy (typed arrays → plain arrays), as a message arrives from JSON or rclnodejs. */
function plain(v: unknown): unknown {
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

/** Asserts validateMessage(type, msg) throws a MessageError with exactly `message`. */
function rejects(type: RosTypeName, msg: unknown, message: string): void {
  assert.throws(
    () => validateMessage(type, msg),
    (err: unknown) => {
      assert.ok(err instanceof MessageError, `expected a MessageError, got ${String(err)}`);
      assert.equal(err.message, message);
      return true;
    },
  );
}

const stamp = make.time(12, 500);
const rgb = () => make.image({ width: 4, height: 2, encoding: "rgb8", stamp, frame_id: "camera" });
const joints = () => make.jointState({ name: ["a", "b"], position: [0.1, 0.2] });
const dets3 = () =>
  make.detection3DArray([make.detection3D({ class_id: "red_block", score: 0.9, position: make.vector3(0.1, 0.2, 0.3), size: make.vector3(0.05, 0.05, 0.05) })], { frame_id: "table" });
const dets2 = () => make.detection2DArray([make.detection2D({ class_id: "cup", score: 0.5, cx: 10, cy: 20, w: 4, h: 6 })]);

describe("validateMessage accepts", () => {
  const samples: [RosTypeName, unknown][] = [
    ["sensor_msgs/msg/Image", rgb()],
    ["sensor_msgs/msg/CompressedImage", make.compressedImage("jpeg", Uint8Array.of(0xff, 0xd8))],
    ["sensor_msgs/msg/JointState", joints()],
    ["vision_msgs/msg/Detection3DArray", dets3()],
    ["vision_msgs/msg/Detection2DArray", dets2()],
    ["std_msgs/msg/String", make.stringMsg("touch the red block")],
    ["std_msgs/msg/Bool", make.boolMsg(true)],
    ["std_msgs/msg/Float64MultiArray", make.float64MultiArray([1, 2, 3])],
    ["trajectory_msgs/msg/JointTrajectory", make.jointTrajectory({ joint_names: ["a"], points: [{ positions: [1], time_from_start: make.duration(0, 1e8) }] })],
    ["geometry_msgs/msg/Twist", make.twist({ x: 0.1 }, { z: -0.2 })],
    ["diagnostic_msgs/msg/DiagnosticArray", { header: make.header(), status: [{ level: 1, name: "loop", message: "late", hardware_id: "", values: [{ key: "k", value: "v" }] }] }],
  ];
  for (const [type, msg] of samples) {
    it(`${type} from make.ts, and its JSON-shaped copy normalised back`, () => {
      assert.deepEqual(validateMessage(type, msg), msg);
      // Plain arrays come back as the typed arrays of the message model.
      assert.deepEqual(validateMessage(type, plain(msg)), msg);
    });
  }

  it("keeps typed arrays of the right kind without copying, drops undeclared fields", () => {
    const msg = { ...joints(), extra: 1 };
    const out = validateMessage("sensor_msgs/msg/JointState", msg);
    assert.equal(out.position, msg.position);
    assert.ok(!("extra" in out));
    const img = rgb();
    assert.equal(validateMessage("sensor_msgs/msg/Image", img).data, img.data);
  });

  it("converts a Float32Array to Float64Array and accepts a Buffer as uint8[]", () => {
    const js = validateMessage("sensor_msgs/msg/JointState", { ...joints(), position: Float32Array.of(0.5, 0.25) });
    assert.ok(js.position instanceof Float64Array);
    assert.deepEqual(Array.from(js.position), [0.5, 0.25]);
    const img = validateMessage("sensor_msgs/msg/Image", { ...rgb(), data: Buffer.alloc(24) });
    assert.equal(img.data.length, 24);
  });

  it("accepts padded rows, extra trailing data, empty velocity/effort and NaN velocity", () => {
    validateMessage("sensor_msgs/msg/Image", make.image({ width: 3, height: 2, encoding: "rgb8", step: 12 }));
    validateMessage("sensor_msgs/msg/Image", { ...rgb(), data: new Uint8Array(100) });
    validateMessage("sensor_msgs/msg/JointState", make.jointState({ name: ["a"], position: [0], velocity: [NaN], effort: [] }));
  });

  it("accepts a quaternion a little off unit (float32 round trip) and any yaw", () => {
    const msg = dets3();
    msg.detections[0]!.bbox.center.orientation = { x: 0, y: 0, z: 0.7071, w: 0.7071 };
    validateMessage("vision_msgs/msg/Detection3DArray", msg);
    msg.detections[0]!.bbox.center.orientation = make.yaw(2.5);
    validateMessage("vision_msgs/msg/Detection3DArray", msg);
  });
});

describe("validateMessage rejects", () => {
  it("an unknown type and a non-object", () => {
    assert.throws(() => validateMessage("sensor_msgs/msg/Imu" as RosTypeName, {}), /invalid sensor_msgs\/msg\/Imu: unknown message type; omniloop speaks sensor_msgs\/msg\/Image, /);
    rejects("std_msgs/msg/String", null, "invalid std_msgs/msg/String: expected an object, got null");
    rejects("std_msgs/msg/String", [1], "invalid std_msgs/msg/String: expected an object, got an array of 1");
  });

  it("missing fields and wrong JS types", () => {
    rejects("std_msgs/msg/String", {}, "invalid std_msgs/msg/String: data: missing field");
    rejects("std_msgs/msg/String", { data: 3 }, "invalid std_msgs/msg/String: data: expected a string, got number 3");
    rejects("std_msgs/msg/Bool", { data: "true" }, `invalid std_msgs/msg/Bool: data: expected a boolean, got string "true"`);
    const { header: _h, ...headless } = rgb();
    rejects("sensor_msgs/msg/Image", headless, "invalid sensor_msgs/msg/Image: header: missing field");
    rejects("sensor_msgs/msg/Image", { ...rgb(), width: "4" }, `invalid sensor_msgs/msg/Image: width: expected a uint32 (an integer in [0, 4294967295]), got string "4"`);
    rejects("sensor_msgs/msg/Image", { ...rgb(), data: "abc" }, `invalid sensor_msgs/msg/Image: data: expected a Uint8Array (or an array of bytes), got string "abc"`);
    rejects("sensor_msgs/msg/Image", { ...rgb(), data: [0, 256] }, "invalid sensor_msgs/msg/Image: data[1]: expected a byte (an integer in [0, 255]), got number 256");
    rejects("sensor_msgs/msg/JointState", { ...joints(), position: "0.1,0.2" }, `invalid sensor_msgs/msg/JointState: position: expected a Float64Array (or an array of numbers), got string "0.1,0.2"`);
    rejects("sensor_msgs/msg/JointState", { ...joints(), position: [0.1, "x"] }, `invalid sensor_msgs/msg/JointState: position[1]: expected a number, got string "x"`);
    rejects("sensor_msgs/msg/JointState", { ...joints(), name: ["a", 2] }, "invalid sensor_msgs/msg/JointState: name[1]: expected a string, got number 2");
  });

  it("bad stamps", () => {
    const m = rgb();
    rejects("sensor_msgs/msg/Image", { ...m, header: { ...m.header, stamp: { sec: 1, nanosec: 1e9 } } }, "invalid sensor_msgs/msg/Image: header.stamp.nanosec: expected nanoseconds below one second (an integer in [0, 999999999]), got number 1000000000");
    rejects("sensor_msgs/msg/Image", { ...m, header: { ...m.header, stamp: { sec: 1.5, nanosec: 0 } } }, "invalid sensor_msgs/msg/Image: header.stamp.sec: expected an int32 (an integer in [-2147483648, 2147483647]), got number 1.5");
  });

  it("images: encoding, endianness flag, step, data size", () => {
    rejects("sensor_msgs/msg/Image", { ...rgb(), encoding: "RGB8" }, `invalid sensor_msgs/msg/Image: encoding: unknown image encoding "RGB8" (did you mean "rgb8"?); expected a sensor_msgs encoding such as rgb8, bgr8, rgba8, bgra8, mono8, mono16, 16UC1, 32FC1`);
    rejects("sensor_msgs/msg/Image", { ...rgb(), encoding: "jpeg" }, `invalid sensor_msgs/msg/Image: encoding: unknown image encoding "jpeg"; expected a sensor_msgs encoding such as rgb8, bgr8, rgba8, bgra8, mono8, mono16, 16UC1, 32FC1`);
    rejects("sensor_msgs/msg/Image", { ...rgb(), is_bigendian: 2 }, "invalid sensor_msgs/msg/Image: is_bigendian: expected 0 or 1 (an integer in [0, 1]), got number 2");
    rejects("sensor_msgs/msg/Image", { ...rgb(), step: 4 }, "invalid sensor_msgs/msg/Image: step: expected at least 12 (width 4 × 3 bytes per pixel of rgb8), got 4");
    rejects("sensor_msgs/msg/Image", { ...rgb(), data: new Uint8Array(23) }, "invalid sensor_msgs/msg/Image: data: expected at least 24 bytes (step 12 × height 2), got 23");
    const mono16 = make.image({ width: 4, height: 2, encoding: "mono16" });
    rejects("sensor_msgs/msg/Image", { ...mono16, step: 7 }, "invalid sensor_msgs/msg/Image: step: expected at least 8 (width 4 × 2 bytes per pixel of mono16), got 7");
  });

  it("compressed images without format or data", () => {
    const c = make.compressedImage("jpeg", Uint8Array.of(1));
    rejects("sensor_msgs/msg/CompressedImage", { ...c, format: " " }, `invalid sensor_msgs/msg/CompressedImage: format: expected a format such as "jpeg", "png" or "rgb8; jpeg compressed bgr8", got ""`);
    rejects("sensor_msgs/msg/CompressedImage", { ...c, data: new Uint8Array(0) }, "invalid sensor_msgs/msg/CompressedImage: data: expected the compressed bytes, got none");
  });

  it("joint states: NaN/Inf positions, length mismatches, duplicate names", () => {
    rejects("sensor_msgs/msg/JointState", { ...joints(), position: [0.1, NaN] }, `invalid sensor_msgs/msg/JointState: position[1]: expected a finite number (joint "b"), got NaN`);
    rejects("sensor_msgs/msg/JointState", { ...joints(), position: [Infinity, 0] }, `invalid sensor_msgs/msg/JointState: position[0]: expected a finite number (joint "a"), got Infinity`);
    rejects("sensor_msgs/msg/JointState", { ...joints(), position: [0.1] }, "invalid sensor_msgs/msg/JointState: position: expected 2 values (one per name) or none, got 1");
    rejects("sensor_msgs/msg/JointState", { ...joints(), velocity: [1, 2, 3] }, "invalid sensor_msgs/msg/JointState: velocity: expected 2 values (one per name) or none, got 3");
    rejects("sensor_msgs/msg/JointState", { ...joints(), name: ["a", "a"] }, `invalid sensor_msgs/msg/JointState: name[1]: duplicate name "a" (also [0])`);
  });

  it("detections: NaN in a pose, non-unit quaternion, negative size, bad covariance, bad score", () => {
    const bad = (edit: (m: ReturnType<typeof dets3>) => void) => {
      const m = dets3();
      edit(m);
      return m;
    };
    const T = "vision_msgs/msg/Detection3DArray";
    rejects(T, bad((m) => (m.detections[0]!.bbox.center.position.y = NaN)), `invalid ${T}: detections[0].bbox.center.position.y: expected a finite number, got NaN`);
    rejects(T, bad((m) => (m.detections[0]!.results[0]!.pose.pose.position.x = -Infinity)), `invalid ${T}: detections[0].results[0].pose.pose.position.x: expected a finite number, got -Infinity`);
    rejects(
      T,
      bad((m) => (m.detections[0]!.bbox.center.orientation = { x: 0, y: 0, z: 0, w: 2 })),
      `invalid ${T}: detections[0].bbox.center.orientation: expected a unit quaternion (|q|² within 0.01 of 1), got |q|² = 4; normalise it`,
    );
    rejects(
      T,
      bad((m) => (m.detections[0]!.results[0]!.pose.pose.orientation = { x: 0, y: 0, z: 0, w: 0 })),
      `invalid ${T}: detections[0].results[0].pose.pose.orientation: expected a unit quaternion (|q|² within 0.01 of 1), got |q|² = 0; the identity rotation is (x 0, y 0, z 0, w 1)`,
    );
    rejects(T, bad((m) => (m.detections[0]!.bbox.size.z = -0.1)), `invalid ${T}: detections[0].bbox.size.z: expected a number ≥ 0, got -0.1`);
    rejects(T, bad((m) => (m.detections[0]!.results[0]!.pose.covariance = new Float64Array(6))), `invalid ${T}: detections[0].results[0].pose.covariance: expected 36 values (float64[36], a row-major 6×6 matrix), got 6`);
    rejects(T, bad((m) => (m.detections[0]!.results[0]!.hypothesis.score = NaN)), `invalid ${T}: detections[0].results[0].hypothesis.score: expected a finite number, got NaN`);
    rejects(T, bad((m) => (m.detections[0]!.id = 7 as unknown as string)), `invalid ${T}: detections[0].id: expected a string, got number 7`);
    const T2 = "vision_msgs/msg/Detection2DArray";
    const d2 = dets2();
    d2.detections[0]!.bbox.size_x = -1;
    rejects(T2, d2, `invalid ${T2}: detections[0].bbox.size_x: expected a number ≥ 0, got -1`);
    rejects(T2, { ...dets2(), detections: {} }, `invalid ${T2}: detections: expected an array, got an object`);
  });

  it("commands: NaN in arrays, trajectory lengths and times, twist NaN", () => {
    // NaN is "not measured" in a metric array; commands are checked where they are applied.
    assert.ok(Number.isNaN(validateMessage("std_msgs/msg/Float64MultiArray", make.float64MultiArray([0, NaN])).data[1]));
    const traj = (points: { positions: number[]; time_from_start: { sec: number; nanosec: number } }[]) =>
      make.jointTrajectory({ joint_names: ["a", "b"], points });
    const T = "trajectory_msgs/msg/JointTrajectory";
    rejects(T, traj([{ positions: [1], time_from_start: make.duration(1) }]), `invalid ${T}: points[0].positions: expected 2 values (one per name) or none, got 1`);
    rejects(T, traj([{ positions: [1, NaN], time_from_start: make.duration(1) }]), `invalid ${T}: points[0].positions[1]: expected a finite number (joint "b"), got NaN`);
    rejects(
      T,
      traj([
        { positions: [1, 2], time_from_start: make.duration(1) },
        { positions: [1, 2], time_from_start: make.duration(1) },
      ]),
      `invalid ${T}: points[1].time_from_start: expected a time after the previous point's (1 s), got 1 s`,
    );
    rejects(T, { ...traj([]), joint_names: ["a", "a"] }, `invalid ${T}: joint_names[1]: duplicate name "a" (also [0])`);
    rejects("geometry_msgs/msg/Twist", make.twist({ x: NaN }), "invalid geometry_msgs/msg/Twist: linear.x: expected a finite number, got NaN");
    rejects("geometry_msgs/msg/Twist", { linear: make.vector3() }, "invalid geometry_msgs/msg/Twist: angular: expected an object, got nothing (field missing)");
  });

  it("diagnostics: level out of range", () => {
    rejects(
      "diagnostic_msgs/msg/DiagnosticArray",
      { header: make.header(), status: [{ level: 4, name: "", message: "", hardware_id: "", values: [] }] },
      "invalid diagnostic_msgs/msg/DiagnosticArray: status[0].level: expected a level (OK=0, WARN=1, ERROR=2, STALE=3) (an integer in [0, 3]), got number 4",
    );
  });

  it("names the type, field and reason on the error object", () => {
    try {
      validateMessage("sensor_msgs/msg/JointState", { ...joints(), position: [0, NaN] });
      assert.fail("expected a throw");
    } catch (err) {
      assert.ok(err instanceof MessageError);
      assert.equal(err.name, "MessageError");
      assert.equal(err.type, "sensor_msgs/msg/JointState");
      assert.equal(err.field, "position[1]");
      assert.equal(err.reason, `expected a finite number (joint "b"), got NaN`);
    }
  });
});
