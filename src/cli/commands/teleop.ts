// `omniloop teleop --sim [--record FILE.mcap]`: drive the simulated arm from the keyboard (the tip
// jogs in x/y/z through IK), the task and its status on screen; with --record every sensor
// message, command and episode event goes to an MCAP log, for demonstrations by hand.
import type { Command } from "commander";
import type { Topic } from "../../bus/types.ts";
import { CliError } from "../errors.ts";

interface TeleopOptions {
  sim?: boolean;
  record?: string;
  seed: string;
  task: string;
}

export function register(program: Command): void {
  program
    .command("teleop")
    .description("drive the arm from the keyboard (the built-in simulator), optionally recording an MCAP log")
    .option("--sim", "drive the built-in simulator")
    .option("--record <file.mcap>", "record messages, commands and episode events to this log")
    .option("--seed <n>", "seed of the first episode ('n' moves to seed + 1, …)", "0")
    .option("--task <task>", "reach, push, or all (alternating)", "all")
    .action(async (opts: TeleopOptions) => {
      if (!opts.sim) throw new CliError("teleop: only the simulator can be driven so far: give --sim (a robot comes with the ROS 2 transport)");
      const seed = Number(opts.seed);
      if (!Number.isSafeInteger(seed) || seed < 0) throw new CliError(`teleop: --seed expects an integer ≥ 0, found "${opts.seed}"`);
      const { isTask } = await import("../../../sim/episode.ts");
      if (opts.task !== "all" && !isTask(opts.task)) throw new CliError(`teleop: --task expects reach, push or all, found "${opts.task}"`);
      if (!process.stdin.isTTY) throw new CliError("teleop: reads keys from a terminal, but stdin is not a TTY");
      const { runTeleop, logTimeOf } = await import("../../../sim/teleop.ts");
      let recorder: import("../../log/recorder.ts").Recorder | undefined;
      if (opts.record) {
        const { Recorder } = await import("../../log/recorder.ts");
        recorder = await Recorder.open({ out: opts.record, config: { command: "teleop", seed, task: opts.task } });
      }
      const rec = recorder;
      const result = await runTeleop({
        seed,
        task: opts.task as "reach" | "push" | "all",
        input: process.stdin,
        output: process.stdout,
        ...(rec
          ? {
              // A SimMessage pairs its topic with its type; the recorder's generic write cannot see
              // through the union, so widen once here.
              record: (m) => (rec.write as (t: Topic, msg: unknown, at: bigint) => void).call(rec, m.topic, m.message, logTimeOf(m)),
              recordLabel: opts.record,
            }
          : {}),
      });
      if (rec) {
        const r = rec.close();
        process.stdout.write(`teleop: ${result.episodes} episode(s); ${r.messages} messages into ${r.files.join(", ")}\n`);
      }
    });
}
