// Real logs for the view tests: model-driven episodes in the simulator (lockstep, the tiny test
// model: random weights, so the arm wanders and episodes time out — real loop output all the same),
// recorded the way a run records them: raw topics through the project's recorder, the derived view
// channels and the camera model through recordView.
import { join } from "node:path";
import { MemoryBus } from "../../src/bus/memory.ts";
import type { Topic } from "../../src/bus/types.ts";
import { runSimEpisode, type SimEpisodeOutcome } from "../../src/cli/sim-loop.ts";
import { recordBus } from "../../src/log/bus-recorder.ts";
import { Recorder } from "../../src/log/recorder.ts";
import { topic } from "../../src/bus/types.ts";
import { detection3D, detection3DArray, float64MultiArray, image, jointState, stringMsg } from "../../src/messages/make.ts";
import { loadCard } from "../../src/omnitoken/card.ts";
import { timeToNs } from "../../src/messages/time.ts";
import { OnnxPolicy } from "../../src/policy/onnx-policy.ts";
import { recordView } from "../../src/view/record-view.ts";
import { SOURCE_TOPICS } from "../../src/view/view-topics.ts";
import { Sim } from "../../sim/lockstep.ts";
import type { TaskName } from "../../sim/episode.ts";

export const TINY = { card: "test/fixtures/models/tiny/card.json", model: "test/fixtures/models/tiny/model.onnx", provider: "cpu" as const };

export async function loadTiny(): Promise<OnnxPolicy> {
  return OnnxPolicy.load(TINY);
}

/** A simulator whose episodes end after `seconds` (fewer ticks: fast tests). */
export function shortSim(seconds: number): Promise<Sim> {
  return Sim.create({ timeoutS: { reach: seconds, push: seconds } });
}

/** Records `episodes` (seed, task) into one MCAP at `dir/name`; returns its path and outcomes. */
export async function recordEpisodes(
  dir: string,
  name: string,
  episodes: { seed: number; task: TaskName }[],
  o: { seconds?: number; policy?: OnnxPolicy; withCamera?: boolean } = {},
): Promise<{ file: string; outcomes: SimEpisodeOutcome[] }> {
  const policy = o.policy ?? (await loadTiny());
  const sim = await shortSim(o.seconds ?? 2);
  const file = join(dir, name);
  // Log time is simulated time, as a lockstep recording keeps it: the latest sensor stamp.
  const tap = new MemoryBus();
  let simNs = 0n;
  tap.subscribe(sim.config.topics.jointStates).subscribe((m) => (simNs = timeToNs(m.header.stamp)));
  const now = () => simNs;
  const recorder = await Recorder.open({ out: file, card: policy.card, timer: false, now });
  const raw = recordBus(tap, SOURCE_TOPICS as Topic[], recorder);
  const view = recordView(tap, recorder, { card: policy.card, now, ...(o.withCamera === false ? {} : { camera: sim.camera }) });
  const outcomes = [];
  for (const e of episodes) outcomes.push(await runSimEpisode(sim, e.seed, e.task, { policy, tap }));
  view.stop();
  await raw.stop();
  sim.close();
  return { file, outcomes };
}

const card = loadCard(TINY.card);
const names = ["shoulder_joint", "elbow_joint", "lift_joint"];
const T = {
  episode: topic("/omniloop/episode", "std_msgs/msg/String"),
  joints: topic("/joint_states", "sensor_msgs/msg/JointState"),
  forward: topic("/forward_position_controller/commands", "std_msgs/msg/Float64MultiArray"),
  holds: topic("/omniloop/holds", "std_msgs/msg/String"),
  said: topic("/omniloop/said", "std_msgs/msg/String"),
  surprise: topic("/omniloop/surprise", "std_msgs/msg/Float64MultiArray"),
  image: topic("/camera/image_raw", "sensor_msgs/msg/Image"),
  detections: topic("/detections", "vision_msgs/msg/Detection3DArray"),
};
const ms = (x: number) => BigInt(x) * 1_000_000n;

/** Two episodes written message by message with known values at known log times (no camera
 * model): reach succeeds at 0.25 s with a hold, words and a frame; push times out. */
export async function writeHandLog(file: string): Promise<string> {
  const rec = await Recorder.open({ out: file, card, timer: false });
  const start = 1_700_000_000_000n * 1_000_000n; // log times are absolute; the report counts from each start
  const at = (t: number) => start + ms(t);
  const event = (o: object) => stringMsg(JSON.stringify(o));
  rec.write(T.episode, event({ event: "start", seed: 3, task: "reach", command: "touch the red block" }), at(0));
  rec.write(T.joints, jointState({ name: names, position: [0.1, 0.2, 0.05] }), at(0));
  rec.write(T.forward, float64MultiArray([0.15, 0.25, 0.06]), at(100));
  rec.write(T.surprise, float64MultiArray([0.5, NaN, 0.1], "pixels,objects,action"), at(100));
  rec.write(T.joints, jointState({ name: names, position: [0.15, 0.25, 0.06] }), at(100));
  rec.write(T.image, image({ width: 8, height: 6, data: new Uint8Array(8 * 6 * 3).fill(200) }), at(100));
  rec.write(T.detections, detection3DArray([detection3D({ class_id: "red_block", position: { x: 0.1, y: -0.05, z: 0.02 } })], { frame_id: "table" }), at(100));
  rec.write(T.holds, event({ tick: 1, reasons: ["estop"] }), at(150));
  rec.write(T.said, stringMsg("done"), at(200));
  rec.write(T.episode, event({ event: "end", seed: 3, task: "reach", command: "touch the red block", outcome: "success", reason: "touched", duration_s: 0.25 }), at(250));
  rec.write(T.joints, jointState({ name: names, position: [0.2, 0.3, 0.07] }), at(260)); // the loop's last tick, after the verdict
  rec.write(T.episode, event({ event: "start", seed: 4, task: "push", command: "slide the blue block" }), at(1000));
  rec.write(T.joints, jointState({ name: names, position: [0, 0, 0.05] }), at(1000));
  rec.write(T.episode, event({ event: "end", outcome: "timeout", duration_s: 25 }), at(2000));
  rec.close();

  return file;
}
