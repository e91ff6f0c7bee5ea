// Child process for crash.test.ts: records joints at 100 Hz and a camera at 30 Hz with the real
// recorder (its flush timer on), printing the log time of every message it has handed over, until
// it is killed.
import { Recorder } from "../../src/log/recorder.ts";
import { SAMPLES } from "./fixtures.ts";

const out = process.argv[2]!;
const rec = await Recorder.open({ out, flushIntervalMs: 500 });
const image = { ...SAMPLES["sensor_msgs/msg/Image"], height: 48, width: 64, step: 192, data: new Uint8Array(48 * 192).fill(9) };
let tick = 0;
setInterval(() => {
  const now = BigInt(Date.now()) * 1_000_000n;
  rec.write({ name: "/joint_states", type: "sensor_msgs/msg/JointState" }, SAMPLES["sensor_msgs/msg/JointState"], now);
  if (tick++ % 3 === 0) rec.write({ name: "/camera/image_raw", type: "sensor_msgs/msg/Image" }, image, now);
  process.stdout.write(`${now}\n`);
}, 10);
