// The simulator in real time: its own process on a bus (ZeroMQ in practice), publishing sensors at
// wall-clock rates with wall-clock stamps and taking commands as they arrive — to the runtime it
// looks like a robot. It drives the lockstep Sim, advancing the physics to follow the wall clock;
// episodes follow one another (seed, seed + 1, …) with a pause between them.
import type { Subscription } from "rxjs";
import type { Bus, Topic } from "../src/bus/types.ts";
import { stringMsg } from "../src/messages/make.ts";
import { SimCommandError, type SimCommand } from "./commands.ts";
import type { SimConfigInput } from "./config.ts";
import type { TaskName } from "./episode.ts";
import { taskOf } from "./episodes.ts";
import { Sim, type EpisodeStatus, type SimMessage } from "./lockstep.ts";
import { PHYSICS_HZ } from "./world.ts";

export interface RealtimeOptions {
  bus: Bus;
  seed: number;
  task: TaskName | "all";
  /** Stop after this many episodes (default: run until stop()). */
  episodes?: number;
  config?: SimConfigInput;
  /** Seconds between an episode's end and the next one's start (default 1). */
  pauseS?: number;
  /** Republish the task command this often, for late subscribers (s, default 1). */
  taskRepeatS?: number;
  /** Progress lines (episode starts and ends, bad commands). */
  log?: (line: string) => void;
  /** Wall clock in ns since the epoch (default: Date.now anchored to hrtime). */
  now?: () => bigint;
}

/** Most physics steps one timer callback runs, so the event loop keeps serving the bus. */
const MAX_STEPS_PER_CALLBACK = 48;
const TIMER_MS = 4;

function wallClock(): () => bigint {
  const origin = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
  return () => origin + process.hrtime.bigint();
}

function publish(bus: Bus, m: SimMessage): void {
  // SimMessage pairs each topic with its message type; TypeScript cannot follow the pairing
  // through the union, so widen once here.
  (bus.publish as (t: Topic, msg: unknown) => void)(m.topic, m.message);
}

export class RealtimeSim {
  readonly results: EpisodeStatus[] = [];
  /** Commands rejected as malformed, and timer callbacks that found the sim > 0.25 s behind. */
  readonly counters = { commands: 0, badCommands: 0, lagging: 0 };
  /** Resolves when the last episode ends or stop() is called. */
  readonly finished: Promise<EpisodeStatus[]>;
  private resolveFinished!: (r: EpisodeStatus[]) => void;
  private readonly subs: Subscription[] = [];
  private timer: NodeJS.Timeout | null = null;
  private episodeIndex = 0;
  private startNs = 0n;
  private endedAtStep: number | null = null;
  private lastTaskStep = 0;
  private readonly now: () => bigint;
  private readonly log: (line: string) => void;

  private constructor(private readonly sim: Sim, private readonly o: RealtimeOptions) {
    this.now = o.now ?? wallClock();
    this.log = o.log ?? (() => {});
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
  }

  static async start(o: RealtimeOptions): Promise<RealtimeSim> {
    const sim = await Sim.create(o.config);
    const rt = new RealtimeSim(sim, o);
    const { topics } = sim.config;
    const on = <K extends SimCommand["type"]>(topic: Topic<K>) => {
      rt.subs.push(
        o.bus.subscribe(topic).subscribe((message) => rt.command({ type: topic.type, message } as SimCommand, topic.name)),
      );
    };
    on(topics.forward);
    on(topics.trajectory);
    on(topics.estop);
    // On ZeroMQ, wait until the hub has our subscriptions, so the first commands are not lost.
    const ready = (o.bus as Partial<{ ready(t?: Topic): Promise<void> }>).ready;
    if (ready) for (const t of [topics.forward, topics.trajectory, topics.estop]) await ready.call(o.bus, t);
    rt.beginEpisode();
    rt.timer = setInterval(() => rt.advance(), TIMER_MS);
    return rt;
  }

  /** The episode running now. */
  status(): EpisodeStatus {
    return this.sim.status();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const s of this.subs) s.unsubscribe();
    this.subs.length = 0;
    this.sim.close();
    this.resolveFinished(this.results);
  }

  private command(cmd: SimCommand, topicName: string): void {
    if (!this.timer) return;
    this.counters.commands++;
    try {
      this.sim.apply([cmd]);
    } catch (err) {
      if (!(err instanceof SimCommandError)) throw err;
      this.counters.badCommands++;
      this.log(`ignored a command on ${topicName}: ${err.message}`);
    }
  }

  private beginEpisode(): void {
    const seed = this.o.seed + this.episodeIndex;
    const task = taskOf(this.o.task, this.episodeIndex);
    this.startNs = this.now();
    const tick = this.sim.reset(seed, task, { stampOffsetNs: this.startNs });
    this.endedAtStep = null;
    this.lastTaskStep = 0;
    for (const m of tick.messages) publish(this.o.bus, m);
    this.log(`episode ${this.episodeIndex + 1}: seed ${seed}, ${task}: "${tick.status.command}"`);
  }

  private advance(): void {
    const target = Number(((this.now() - this.startNs) * BigInt(PHYSICS_HZ)) / 1_000_000_000n);
    const behind = target - this.sim.physicsSteps;
    if (behind <= 0) return;
    if (behind > PHYSICS_HZ / 4) this.counters.lagging++;
    const { messages, ended } = this.sim.advance(Math.min(behind, MAX_STEPS_PER_CALLBACK));
    for (const m of messages) publish(this.o.bus, m);
    const steps = this.sim.physicsSteps;
    const repeat = Math.round((this.o.taskRepeatS ?? 1) * PHYSICS_HZ);
    if (steps - this.lastTaskStep >= repeat) {
      this.lastTaskStep = steps;
      this.o.bus.publish(this.sim.config.topics.task, stringMsg(this.sim.episode.command));
    }
    if (ended) {
      const s = this.sim.status();
      this.results.push(s);
      this.endedAtStep = steps;
      this.log(`episode ${this.episodeIndex + 1}: ${s.outcome} after ${s.time.toFixed(1)} s (${s.reason})`);
    }
    if (this.endedAtStep !== null && steps - this.endedAtStep >= (this.o.pauseS ?? 1) * PHYSICS_HZ) {
      this.episodeIndex++;
      if (this.o.episodes !== undefined && this.episodeIndex >= this.o.episodes) {
        void this.stop();
        return;
      }
      this.beginEpisode();
    }
  }
}
