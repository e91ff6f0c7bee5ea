// The camera-heavy stream both log benches record and replay: 640×480 rgb8 frames rendered by the
// simulator at 30 Hz (a push episode), the same frames with ±2 LSB of uniform sensor noise (which
// a real camera has and a renderer does not, and which makes compression work hard: zstd level 1
// still shrinks them to about 0.6), frames of uniformly random bytes (what already-compressed or
// encrypted payloads look like: nothing shrinks them, so adaptive compression stores them raw),
// and the arm's joint states at 100 Hz.
import type { MemoryBus } from "../../src/bus/memory.ts";
import type { Image, JointState } from "../../src/messages/types.ts";
import { Sim } from "../../sim/lockstep.ts";

export const IMAGE = { name: "/camera/image_raw", type: "sensor_msgs/msg/Image" } as const;
export const JOINTS = { name: "/joint_states", type: "sensor_msgs/msg/JointState" } as const;

/** 30 consecutive frames of the simulator's camera at 640×480. */
export async function simFrames(): Promise<Image[]> {
  const sim = await Sim.create({ camera: { width: 640, height: 480, rateHz: 30 } });
  const frames: Image[] = [];
  let tick = sim.reset(3, "push");
  while (frames.length < 30) {
    for (const m of tick.messages) if (m.topic.name === IMAGE.name) frames.push(m.message as Image);
    tick = sim.step([]);
  }
  return frames.slice(0, 30);
}

/** Each frame's bytes rewritten by `byte(original, r)`, r from one seeded xorshift32 stream. */
function perturbed(frames: Image[], seed: number, byte: (v: number, r: number) => number): Image[] {
  let s = seed;
  return frames.map((f) => {
    const data = new Uint8Array(f.data.length);
    for (let i = 0; i < data.length; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      data[i] = byte(f.data[i]!, s >>> 0);
    }
    return { ...f, data };
  });
}

/** The frames with ±2 LSB of seeded uniform noise (xorshift32). */
export function withNoise(frames: Image[]): Image[] {
  return perturbed(frames, 0x9e3779b9, (v, r) => Math.max(0, Math.min(255, v + (((r >>> 8) & 0xffff) % 5) - 2)));
}

/** The frames' shape with every byte uniformly random (xorshift32's top byte, seeded). */
export function randomFrames(frames: Image[]): Image[] {
  return perturbed(frames, 0x2545f491, (_, r) => r >>> 24);
}

/** The k-th joint state of a 300 Hz-stamped stream of the simulator arm's joints (sim/card.json). */
export const joint = (k: number): JointState => ({
  header: { stamp: { sec: Math.floor(k / 300), nanosec: (k % 300) * 3_333_333 }, frame_id: "" },
  name: ["shoulder_joint", "elbow_joint", "lift_joint"],
  position: Float64Array.of(Math.sin(k / 300), 0.2, -0.3),
  velocity: Float64Array.of(0, 0, 0),
  effort: new Float64Array(0),
});

/** Publishes `seconds` of the stream (frames at 30 Hz, joints at 100 Hz) on `bus` as fast as it
 * goes; returns how many messages were published. */
export function publishStream(bus: MemoryBus, frames: Image[], seconds: number): number {
  let published = 0;
  for (let k = 0; k < seconds * 300; k++) {
    if (k % 10 === 0) {
      bus.publish(IMAGE, frames[(k / 10) % frames.length]!);
      published++;
    }
    if (k % 3 === 0) {
      bus.publish(JOINTS, joint(k));
      published++;
    }
  }
  return published;
}
