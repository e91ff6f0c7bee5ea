// Keyboard teleop of the simulated arm in a terminal: the sim runs at its control rate on the wall
// clock, keys jog the tip (jog.ts), the screen shows the task, its status and the arm; with a
// recorder every message and command goes to an MCAP log, so a person records demonstrations.
import { float64MultiArray } from "../src/messages/make.ts";
import { timeToNs } from "../src/messages/time.ts";
import type { TaskName } from "./episode.ts";
import { taskOf } from "./episodes.ts";
import { Jogger, KEY_HELP, keysOf } from "./jog.ts";
import { Sim, type SimMessage, type SimTick } from "./lockstep.ts";
import { ARM_JOINT_NAMES } from "./robot.ts";

/** Where messages go when recording (the MCAP recorder's `write`, or a test's list). */
export type MessageSink = (m: SimMessage) => void;

export interface TeleopOptions {
  seed: number;
  task: TaskName | "all";
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
  record?: MessageSink;
  /** Shown on screen, e.g. the log's file name. */
  recordLabel?: string;
}

const nowNs = () => BigInt(Date.now()) * 1_000_000n;
const signed = (v: number, digits = 3) => (v >= 0 ? "+" : "") + v.toFixed(digits);

/** Runs until the user quits; returns the number of episodes started. */
export async function runTeleop(o: TeleopOptions): Promise<{ episodes: number; messages: number }> {
  // A person at a keyboard needs longer than the expert's time limits.
  const sim = await Sim.create({ timeoutS: { reach: 60, push: 120 } });
  const jog = new Jogger(sim.arm.geometry, sim.arm.joints);
  let episode = 0;
  let messages = 0;
  let last: SimTick;
  const emit = (ms: SimMessage[]) => {
    if (!o.record) return;
    for (const m of ms) o.record(m);
    messages += ms.length;
  };
  const start = () => {
    last = sim.reset(o.seed + episode, taskOf(o.task, episode), { stampOffsetNs: nowNs() });
    jog.target = null;
    emit(last.messages);
  };
  start();

  const draw = () => {
    const t = sim.truth();
    const s = last.status;
    const state = s.outcome ? `${s.outcome.toUpperCase()} at ${s.time.toFixed(1)} s: ${s.reason} (n: next episode)` : `running ${t.time.toFixed(1)} / ${t.spec.timeoutS} s`;
    const target = jog.target ? `x=${signed(jog.target.x)} y=${signed(jog.target.y)} z=${signed(jog.target.z)}` : "hold";
    const lines = [
      `omniloop teleop: simulated SCARA   episode ${episode + 1}, seed ${s.seed}, ${s.task}`,
      `task:   ${s.command}`,
      `status: ${state}`,
      `tip    x=${signed(t.tip.x)} y=${signed(t.tip.y)} z=${signed(t.tip.z)} m   target ${target}`,
      `joints ${ARM_JOINT_NAMES.map((n, i) => `${n.replace("_joint", "")}=${signed(t.joints[i]!)}`).join(" ")}`,
      `step ${(jog.step * 1000).toFixed(0)} mm${jog.note ? `   (${jog.note})` : ""}${o.record ? `   recording ${o.recordLabel ?? ""}: ${messages} messages` : ""}`,
      `keys: ${KEY_HELP}`,
    ];
    o.output.write("\x1b[H" + lines.map((l) => l + "\x1b[K").join("\r\n") + "\x1b[J");
  };

  o.output.write("\x1b[?25l\x1b[2J");
  o.input.setRawMode?.(true);
  o.input.resume();
  o.input.setEncoding("utf8");
  let quit: () => void = () => {};
  const done = new Promise<void>((resolve) => (quit = resolve));
  const onKey = (data: string) => {
    for (const key of keysOf(data)) {
      if (key === "quit") quit();
      else if (key === "next") {
        episode++;
        start();
      } else jog.press(key, sim.truth().joints);
    }
    draw();
  };
  o.input.on("data", onKey);
  const period = 1000 / sim.config.controlRateHz;
  const timer = setInterval(() => {
    const q = jog.command(sim.truth().joints);
    const command: SimMessage = { topic: sim.config.topics.forward, message: float64MultiArray(q), stamp: sim.stamp() };
    emit([command]);
    last = sim.step([{ type: "std_msgs/msg/Float64MultiArray", message: command.message }]);
    emit(last.messages);
    draw();
  }, period);
  draw();
  await done;
  clearInterval(timer);
  o.input.off("data", onKey);
  o.input.setRawMode?.(false);
  o.input.pause();
  o.output.write("\x1b[?25h\r\n");
  sim.close();
  return { episodes: episode + 1, messages };
}

/** A SimMessage's log time, ns since the epoch. */
export const logTimeOf = (m: SimMessage): bigint => timeToNs(m.stamp);
