// Model-driven episodes in the built-in simulator, in lockstep: the simulator publishes its sensor
// messages on an in-process bus, the closed loop reads them and publishes commands on the same bus,
// and the lockstep clock runs the simulator one control period between ticks. The loop cannot tell
// this from a robot: it sees only topics.
import { MemoryBus } from "../bus/memory.ts";
import type { Bus, BusMessageTypes, BusTypeName, Topic } from "../bus/types.ts";
import { ClosedLoop, type EpisodeResult } from "../loop/closed-loop.ts";
import { LockstepClock } from "../loop/lockstep-clock.ts";
import { monotonicTime, VirtualTime } from "../loop/time-source.ts";
import type { Policy } from "../policy/types.ts";
import { Sim, type SimMessage } from "../../sim/lockstep.ts";
import type { SimCommand } from "../../sim/commands.ts";
import type { TaskName } from "../../sim/episode.ts";
import { TIMEOUT_S } from "../../sim/episode.ts";
import { Rng } from "../../sim/prng.ts";

export interface SimEpisodeOutcome {
  seed: number;
  task: TaskName;
  command: string;
  success: boolean;
  outcome: string;
  reason: string | null;
  /** Episode time (s) when the simulator judged it. */
  duration_s: number;
  loop: EpisodeResult;
  droppedFrames: number;
  /** With `linger`: seconds after the world's success that the model said it was done; null when
   * it did not within the linger (or no linger was asked for). */
  doneAfterS: number | null;
}

export interface SimLoopOptions {
  policy: Policy;
  /** Fraction of camera frames dropped before the loop sees them (seeded per episode). */
  dropFrames?: number;
  /** Also give every message to this bus (a recorder, a viewer); the loop's own bus stays private. */
  tap?: Bus;
  /** Asynchronous mode: act from rolled-out chunks of this many predictions. */
  chunkHorizon?: number;
  /** Hold each tick to the wall clock (a person is watching), instead of as fast as possible. */
  paceRealtime?: boolean;
  /** Called after the reset and after every simulated tick (e.g. to trace the tip for a snapshot). */
  onTick?: (sim: Sim) => void;
  /** false: the model's words never end an episode (ClosedLoop `listen`). */
  listen?: boolean;
  /** ClosedLoop confirmDone: control ticks in a row the model must start speaking on. */
  confirmDone?: number;
  /** Seconds to keep the loop running after the world judged a success, to see whether (and how
   * soon) the model says it is done, as a robot without a referee needs it to. The verdict, and
   * the episode's duration, stay those of the moment the world judged. Default 0. */
  linger?: number;
  /** Called with every simulator message (sim-time stamped) and, before each simulated tick, with
   * the commands the loop sent for it: what a lockstep recorder logs at simulation time. */
  onSimMessages?: (sim: Sim, messages: readonly SimMessage[], commands: readonly SimCommand[]) => void;
  /** Called before each simulated tick with the commands the loop sent for the current state
   * (none when it held). */
  onCommands?: (sim: Sim, commands: readonly SimCommand[]) => void;
}

/** Runs one model-driven episode of `seed`/`task` in lockstep. */
export async function runSimEpisode(sim: Sim, seed: number, task: TaskName, o: SimLoopOptions): Promise<SimEpisodeOutcome> {
  const bus = new MemoryBus();
  const time = new VirtualTime();
  const topics = sim.config.topics;
  const drop = new Rng(seed, `frame-drop:${task}`);
  let droppedFrames = 0;
  const publish = (m: SimMessage) => {
    if (m.topic.name === topics.image.name && o.dropFrames && drop.next() < o.dropFrames) {
      droppedFrames += 1;
      return;
    }
    bus.publish(m.topic as Topic<BusTypeName>, m.message as BusMessageTypes[BusTypeName]);
    o.tap?.publish(m.topic as Topic<BusTypeName>, m.message as BusMessageTypes[BusTypeName]);
  };
  // Commands the loop publishes between two ticks go to the simulator at the next one.
  const inbox: SimCommand[] = [];
  const subs = [
    bus.subscribe(topics.forward).subscribe((message) => inbox.push({ type: "std_msgs/msg/Float64MultiArray", message })),
    bus.subscribe(topics.trajectory).subscribe((message) => inbox.push({ type: "trajectory_msgs/msg/JointTrajectory", message })),
    bus.subscribe(topics.estop).subscribe((message) => inbox.push({ type: "std_msgs/msg/Bool", message })),
  ];
  let judged = sim.reset(seed, task);
  let verdict = null as typeof judged.status | null; // set inside the clock's advance()
  const lingerTicks = Math.round((o.linger ?? 0) * sim.config.controlRateHz);
  o.onTick?.(sim);
  o.onSimMessages?.(sim, judged.messages, []);
  const wallStart = monotonicTime.now();
  const clock = new LockstepClock({
    rateHz: sim.config.controlRateHz,
    time,
    advance: async () => {
      if (o.paceRealtime) await monotonicTime.sleepUntil(wallStart + time.now());
      const sent = inbox.splice(0);
      o.onSimMessages?.(sim, [], sent);
      o.onCommands?.(sim, sent);
      judged = sim.step(sent);
      o.onTick?.(sim);
      o.onSimMessages?.(sim, judged.messages, []);
      judged.messages.forEach(publish);
      if (judged.ended) verdict = judged.status;
      // The world has judged: no more ticks (after a success, once the linger has passed).
      if (verdict && (verdict.outcome !== "success" || judged.status.tick >= verdict.tick + lingerTicks)) loop.stop();
    },
  });
  const loop = new ClosedLoop({
    policy: o.policy,
    bus,
    clock,
    time,
    publishTokens: Boolean(o.tap),
    ...(o.listen === false ? { listen: false } : {}),
    ...(o.confirmDone !== undefined ? { confirmDone: o.confirmDone } : {}),
    ...(o.chunkHorizon ? { chunkHorizon: o.chunkHorizon } : {}),
  });
  if (o.tap) {
    // Everything the loop decides goes to the tap too: observations, predictions, commands,
    // holds, surprise, words — what a recorder or a viewer needs beside the sensors.
    const t = loop.topicsInUse;
    const forward = <K extends BusTypeName>(tp: Topic<K>) => bus.subscribe(tp).subscribe((m) => o.tap!.publish(tp, m));
    for (const tp of [t.observation, t.prediction, t.surprise, t.holds, t.said, t.forward, t.trajectory]) forward(tp as Topic<BusTypeName>);
  }
  judged.messages.forEach(publish);
  const command = judged.status.command;
  const maxTicks = Math.ceil(TIMEOUT_S[task] * sim.config.controlRateHz) + 1;
  const result = await loop.runEpisode(command, { maxTicks });
  // The model may say "done" before the simulator's verdict: the world decides, at that moment.
  const status = verdict ?? judged.status;
  const doneAfterS = verdict?.outcome === "success" && result.end === "model_done" ? judged.status.time - verdict.time : null;
  await loop.close();
  for (const s of subs) s.unsubscribe();
  await bus.close();
  return {
    seed,
    task,
    command,
    success: status.outcome === "success",
    outcome: status.outcome ?? (result.end === "model_done" ? "said_done_early" : "timeout"),
    reason: status.reason,
    duration_s: status.time,
    loop: result,
    droppedFrames,
    doneAfterS,
  };
}
