// The .msg definitions parse, carry every dependency once, and every message type round-trips
// through CDR bit-exactly with the typed arrays our conventions promise.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "@foxglove/rosmsg";
import { DEFINITION_SEPARATOR, fullDefinition } from "../../src/messages/definitions.ts";
import { ROS_TYPE_NAMES } from "../../src/messages/types.ts";
import { CdrError, cdrCodec, cdrCodecFor } from "../../src/log/cdr.ts";
import { SAMPLES } from "./fixtures.ts";

test("every type's definition parses as ros2msg with each dependency exactly once", () => {
  for (const type of ROS_TYPE_NAMES) {
    const text = fullDefinition(type);
    const defs = parse(text, { ros2: true });
    const names = defs.slice(1).map((d) => d.name);
    assert.equal(new Set(names).size, names.length, `${type}: a dependency repeats`);
    for (const d of defs) for (const f of d.definitions) {
      if (f.isComplex) assert.ok(names.includes(f.type), `${type}: field ${f.name} of ${d.name ?? "root"} needs ${f.type}, not included`);
    }
    assert.ok(!text.includes("MSG: builtin_interfaces/Time\n") || text.includes(DEFINITION_SEPARATOR));
  }
});

test("Detection3DArray's definition is vision_msgs 4.x (hypothesis + pose, string id, no tracking fields)", () => {
  const defs = parse(fullDefinition("vision_msgs/msg/Detection3DArray"), { ros2: true });
  const det = defs.find((d) => d.name === "vision_msgs/Detection3D")!;
  assert.deepEqual(det.definitions.map((f) => f.name), ["header", "results", "bbox", "id"]);
  const hyp = defs.find((d) => d.name === "vision_msgs/ObjectHypothesisWithPose")!;
  assert.deepEqual(hyp.definitions.map((f) => `${f.type} ${f.name}`), ["vision_msgs/ObjectHypothesis hypothesis", "geometry_msgs/PoseWithCovariance pose"]);
});

test("every message type round-trips through CDR bit-exactly, typed arrays and all", () => {
  for (const type of ROS_TYPE_NAMES) {
    const codec = cdrCodecFor(type);
    const back = codec.decode(codec.encode(SAMPLES[type]));
    assert.deepStrictEqual(back, SAMPLES[type], type);
  }
});

test("a message read from a log owns its bytes: its arrays are no view into the chunk", async () => {
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { Recorder } = await import("../../src/log/recorder.ts");
  const { openLog } = await import("../../src/log/reader.ts");
  const dir = mkdtempSync(join(tmpdir(), "omniloop-cdr-"));
  try {
    const rec = await Recorder.open({ out: join(dir, "a.mcap"), timer: false });
    for (let i = 0; i < 3; i++) rec.write({ name: "/img", type: "sensor_msgs/msg/Image" }, SAMPLES["sensor_msgs/msg/Image"], BigInt(i));
    rec.close();
    const codec = cdrCodecFor("sensor_msgs/msg/Image");
    for await (const m of (await openLog(join(dir, "a.mcap"))).messages()) {
      const img = codec.decode(m.data) as { data: Uint8Array };
      assert.equal(img.data.buffer.byteLength, m.data.byteLength, "the message's own buffer, not the chunk's");
      assert.equal(img.data[1], 37);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bad input names the type and what was wrong", () => {
  const codec = cdrCodecFor("sensor_msgs/msg/JointState");
  assert.throws(() => codec.decode(new Uint8Array(2)), /sensor_msgs\/msg\/JointState: 2 bytes is shorter than a CDR header/);
  assert.throws(() => codec.decode(Uint8Array.of(0, 1, 0, 0, 255, 255, 255, 127)), (e: unknown) => e instanceof CdrError && /do not decode as CDR/.test((e as Error).message));
  assert.throws(() => cdrCodec("x/msg/Bad", "floot64 x\nnot a field at all"), /schema of x\/msg\/Bad does not parse as ros2msg/);
  assert.throws(() => fullDefinition("nav_msgs/msg/Odometry"), /unknown message type nav_msgs\/msg\/Odometry/);
});
