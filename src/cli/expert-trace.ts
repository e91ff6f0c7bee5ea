// `omniloop sim --trace FILE.jsonl`: one JSON line per control tick of a model-driven episode —
// the joints, the command the loop sent for that state, and what the scripted expert would have
// commanded from the same true state (its label, as in a DAgger log) and in which phase — plus the
// tip, the named block and the target zone. It shows where a policy parts from the expert and what
// the expert asks of it there (models/reference/EVAL.md, session 6: the push stalls).
import { closeSync, openSync, writeSync } from "node:fs";
import type { Sim } from "../../sim/lockstep.ts";
import type { SimCommand } from "../../sim/commands.ts";
import { ScriptedExpert, type ExpertPhase } from "../../sim/expert.ts";

export interface TraceTick {
  seed: number;
  task: string;
  tick: number;
  /** Episode time (s) of the state. */
  t: number;
  joints: number[];
  /** The loop's joint position command for this state; null when it sent none (held). */
  command: number[] | null;
  /** 1 − p(PAD) of the model's text head at this tick's last step (OnnxPolicy.speakProbability):
   * how sure it was that it had something to say, e.g. "done". With the words listened to, a tick
   * on which the model spoke reports its last word's step. null when the policy cannot tell. */
  speak: number | null;
  expert: { command: number[]; phase: ExpertPhase };
  tip: [number, number, number];
  block: [number, number, number];
  zone: [number, number] | null;
}

export interface TraceEnd {
  seed: number;
  task: string;
  /** time: episode time (s) of the world's verdict (or the end); with --linger, ticks run past it. */
  end: { outcome: string; ticks: number; time: number };
}

const round = (v: number) => Math.round(v * 1e5) / 1e5; // 10 µm / 10 µrad: the trace is for reading

export class ExpertTrace {
  readonly #fd: number;
  #expert: ScriptedExpert | null = null;
  #pending: Omit<TraceTick, "command" | "speak"> | null = null;
  #ticks = 0;
  #episode: { seed: number; task: string } | null = null;

  readonly #speak: () => number | null;

  constructor(path: string, speak: () => number | null = () => null) {
    this.#fd = openSync(path, "w");
    this.#speak = speak;
  }

  /** Hooks for runSimEpisode: the state after each reset/step, and the commands sent for it. */
  onTick = (sim: Sim): void => {
    const t = sim.truth();
    if (!this.#expert) this.#expert = new ScriptedExpert(sim.arm);
    const label = this.#expert.act(t);
    const spec = t.spec;
    const blk = t.blocks[spec.targetBlock]!.position;
    const zone = spec.targetZone === null ? null : spec.zones[spec.targetZone]!;
    this.#pending = {
      seed: spec.seed,
      task: spec.task,
      tick: this.#ticks++,
      t: round(t.time),
      joints: Array.from(t.joints, round),
      expert: { command: Array.from(label, round), phase: this.#expert.phase },
      tip: [round(t.tip.x), round(t.tip.y), round(t.tip.z)],
      block: [round(blk.x), round(blk.y), round(blk.z)],
      zone: zone ? [round(zone.x), round(zone.y)] : null,
    };
  };

  onCommands = (_sim: Sim, commands: readonly SimCommand[]): void => {
    if (!this.#pending) return;
    const forward = commands.findLast((c) => c.type === "std_msgs/msg/Float64MultiArray");
    const command = forward ? Array.from((forward.message as { data: ArrayLike<number> }).data, round) : null;
    const speak = this.#speak();
    this.#write({ ...this.#pending, command, speak: speak === null ? null : round(speak) });
    this.#episode = { seed: this.#pending.seed, task: this.#pending.task };
    this.#pending = null;
  };

  endEpisode(outcome: string, time: number): void {
    if (this.#episode) this.#write({ ...this.#episode, end: { outcome, ticks: this.#ticks, time: round(time) } });
    this.#pending = null;
    this.#episode = null;
    this.#expert = null;
    this.#ticks = 0;
  }

  close(): void {
    closeSync(this.#fd);
  }

  #write(line: TraceTick | TraceEnd): void {
    writeSync(this.#fd, JSON.stringify(line) + "\n");
  }
}
