// The omniloop node: the closed loop as a ROS 2 managed node. configure loads the model (or
// connects to a policy server) and builds the loop; activate starts taking tasks and driving; a
// task (std_msgs/String on the task topic, or episode.command) runs one episode; deactivate stops
// the episode (nothing is commanded while inactive); cleanup releases the model. Health goes out as
// DiagnosticArray every period, whatever the state. The node is written against the Bus interface:
// on ROS 2 (ros2-node.ts wires the lifecycle services) or on ZeroMQ (transitions driven by `run`).
import type { Subscription } from "rxjs";
import type { Bus, Topic } from "../types.ts";
import { columnOf } from "../../omnitoken/card.ts";
import type { CommandMode } from "../../omnitoken/card-types.ts";
import { ClosedLoop } from "../../loop/closed-loop.ts";
import { monotonicTime, type TimeSource } from "../../loop/time-source.ts";
import { stringMsg } from "../../messages/make.ts";
import { nowTime } from "../../messages/time.ts";
import type { Policy } from "../../policy/types.ts";
import type { RunConfig } from "./config.ts";
import { diagnosticArray, HealthWindow } from "./diagnostics.ts";
import { EpisodeClock } from "./episode-clock.ts";
import { raiseLoopPriority } from "../../loop/priority.ts";
import { Lifecycle, type LifecycleState } from "./lifecycle.ts";
import { policyView, withCommandMode } from "./policy-view.ts";
import { nodeTopics, type NodeTopics } from "./topic-map.ts";

export type Log = (line: string) => void;

/** Makes the policy at configure: local ONNX or remote (policy-factory.ts); a seam for tests. */
export type PolicyFactory = (config: RunConfig, log: Log) => Promise<Policy>;

/** Optional recording while configured (recording.ts); a seam so the node does not import the log stack. */
export type StartRecording = (bus: Bus, topics: Topic[], policy: Policy, config: RunConfig) => Promise<{ stop(): Promise<void> }>;

export interface OmniloopNodeOptions {
  config: RunConfig;
  bus: Bus;
  makePolicy: PolicyFactory;
  startRecording?: StartRecording;
  /** Monotonic time of the loop (default the process clock). */
  time?: TimeSource;
  log?: Log;
}

interface Configured {
  policy: Policy;
  loop: ClosedLoop;
  clock: EpisodeClock;
  rateHz: number;
  subs: Subscription[];
  recording?: { stop(): Promise<void> };
}

export class OmniloopNode {
  readonly lifecycle: Lifecycle;
  readonly topics: NodeTopics;
  private readonly o: OmniloopNodeOptions;
  private readonly log: Log;
  private readonly time: TimeSource;
  private configured: Configured | undefined;
  private runner: Promise<void> | undefined;
  private pending: string | null = null;
  private wake: (() => void) | undefined;
  private current: string | null = null;
  private active = false;
  private readonly health: HealthWindow;
  private readonly timer: NodeJS.Timeout;
  /** Episodes run since start, with how each ended. */
  readonly episodes: { command: string; end: string; ticks: number }[] = [];

  constructor(o: OmniloopNodeOptions) {
    this.o = o;
    this.log = o.log ?? (() => {});
    this.time = o.time ?? monotonicTime;
    this.topics = nodeTopics(o.config);
    this.health = new HealthWindow(this.time.now());
    this.lifecycle = new Lifecycle({
      configure: () => this.configure(),
      activate: () => this.activate(),
      deactivate: () => this.deactivate(),
      cleanup: () => this.cleanup(),
      shutdown: async (from) => {
        if (from === "active") await this.deactivate();
        if (from !== "unconfigured") await this.cleanup();
      },
      error: async () => {
        await this.deactivate();
        await this.cleanup();
      },
    });
    this.lifecycle.onEvent((e) =>
      this.log(e.kind === "transition" ? `${e.transition}: ${e.from} → ${e.to}` : `${e.transition} failed in ${e.from}: ${e.message}`),
    );
    // Tasks are heard in any state; one that arrives while inactive waits for activation.
    o.bus.subscribe(this.topics.task).subscribe((m) => this.task(m.data));
    this.timer = setInterval(() => this.publishDiagnostics(), o.config.diagnostics.periodS * 1000);
    this.timer.unref();
  }

  get state(): LifecycleState {
    return this.lifecycle.state;
  }

  /** The loop, once configured (for tests and the CLI's summary). */
  get loop(): ClosedLoop | undefined {
    return this.configured?.loop;
  }

  /** Publishes the health of the last period now (also runs every diagnostics.period_s). */
  publishDiagnostics(): void {
    const c = this.configured;
    const figures = this.health.close(this.time.now(), c ? c.loop.safetyStats() : null);
    const message = diagnosticArray(
      {
        node: this.o.config.node,
        state: this.lifecycle.state,
        model: c ? c.policy.card.name : this.o.config.model.card,
        provider: c ? c.policy.provider : this.o.config.policy?.url ?? this.o.config.model.provider,
        targetRateHz: c?.rateHz ?? 0,
        lastError: this.lifecycle.lastError,
        lastPolicyError: c?.loop.lastPolicyError ?? null,
        episode: this.current,
      },
      figures,
      nowTime(),
    );
    this.o.bus.publish(this.topics.diagnostics, message);
  }

  /** Stops everything (shutdown transition) and the diagnostics timer. */
  async close(): Promise<void> {
    if (this.lifecycle.canTrigger("shutdown")) await this.lifecycle.trigger("shutdown").catch((err: unknown) => this.log(String(err)));
    clearInterval(this.timer);
  }

  private task(command: string): void {
    const text = command.trim();
    // Task publishers often repeat their command (latched, or once a second): the same command
    // again is not a new task.
    if (!text || text === this.current || text === this.pending) return;
    this.pending = text;
    // A new task wins: the running episode ends after its current tick, the new one starts.
    if (this.current !== null) this.configured?.loop.stop();
    this.wake?.();
  }

  private async configure(): Promise<void> {
    const cfg = this.o.config;
    const base = await this.o.makePolicy(cfg, this.log);
    const card = cfg.command.mode ? withCommandMode(base.card, cfg.command.mode, cfg.source) : base.card;
    const policy = policyView(base, card, (ms) => this.health.step(ms));
    const rateHz = cfg.controlRateHz ?? card.control_rate_hz;
    if (rateHz !== card.control_rate_hz) this.log(`control rate ${rateHz} Hz: the model was trained at ${card.control_rate_hz} Hz`);
    // The control loop runs ahead of drivers and simulators on the same cores (when allowed).
    this.log(raiseLoopPriority().message);
    const clock = new EpisodeClock({ rateHz, time: this.time });
    const s = cfg.safety;
    const loop = new ClosedLoop({
      policy,
      bus: this.o.bus,
      clock,
      time: this.time,
      topics: this.topics.loop,
      defaultMaxVelocity: s.maxVelocity,
      publishTokens: cfg.publishTokens,
      composer: {
        maxFillTicks: s.maxFillTicks,
        ...(s.watchdogS ? { watchdog: s.watchdogS } : {}),
        ...(s.stalenessS ? { staleness: { image: s.stalenessS, detections: s.stalenessS, joints: s.stalenessS } } : {}),
      },
    });
    const columns = card.columns.filter((c) => c.kind !== "text").map((c) => c.name);
    const subs = [this.o.bus.subscribe(this.topics.loop.surprise).subscribe((m) => this.health.surprise(columns, m.data))];
    this.configured = { policy, loop, clock, rateHz, subs };
    if (cfg.recording.enabled && this.o.startRecording) {
      const mode = columnOf(card, "action")?.action.command.mode ?? "float64_multi_array";
      this.configured.recording = await this.o.startRecording(this.o.bus, this.recordedTopics(mode), policy, cfg);
      this.log(`recording to ${cfg.recording.path}`);
    }
    this.log(`configured: ${card.name} on ${policy.provider} at ${rateHz} Hz; commands on ${cfg.command.topic}`);
  }

  private async activate(): Promise<void> {
    if (!this.configured) throw new Error("activate: not configured");
    this.active = true;
    if (this.o.config.episode.command && this.pending === null) this.pending = this.o.config.episode.command;
    this.runner = this.runEpisodes(this.configured);
  }

  private async deactivate(): Promise<void> {
    this.active = false;
    this.configured?.loop.stop();
    this.wake?.();
    await this.runner;
    this.runner = undefined;
  }

  private async cleanup(): Promise<void> {
    const c = this.configured;
    this.configured = undefined;
    if (!c) return;
    for (const s of c.subs) s.unsubscribe();
    await c.recording?.stop();
    await c.loop.close();
    await c.policy.close();
  }

  /** While active: wait for a task, run its episode, report it; again. */
  private async runEpisodes(c: Configured): Promise<void> {
    const cfg = this.o.config;
    while (this.active) {
      if (this.pending === null) await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
      const command = this.pending;
      if (!this.active || command === null) continue;
      this.pending = null;
      this.current = command;
      this.o.bus.publish(this.topics.episode, stringMsg(JSON.stringify({ event: "start", command })));
      c.clock.restart();
      let end: string;
      let ticks = 0;
      try {
        const result = await c.loop.runEpisode(command, { maxTicks: Math.max(1, Math.round(cfg.episode.maxSeconds * c.rateHz)) });
        end = result.end;
        ticks = result.ticks;
      } catch (err) {
        // start() failed (policy server gone at the episode's start): the robot was never driven.
        end = "failed";
        this.log(`episode "${command}" could not start: ${err instanceof Error ? err.message : String(err)}`);
      }
      this.current = null;
      this.episodes.push({ command, end, ticks });
      this.o.bus.publish(this.topics.episode, stringMsg(JSON.stringify({ event: "end", command, outcome: end, ticks })));
    }
  }

  private recordedTopics(mode: CommandMode): Topic[] {
    const t = this.topics.loop;
    const command = mode === "joint_trajectory" ? t.trajectory : mode === "twist" ? t.twist : t.forward;
    const topics: Topic[] = [t.image, t.detections, t.joints, t.estop, command, t.said, t.holds, t.surprise, this.topics.task, this.topics.episode];
    if (this.o.config.publishTokens) topics.push(t.observation, t.prediction);
    return topics;
  }
}
