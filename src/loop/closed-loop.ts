// The closed loop (DESIGN §4): at each tick compose o_k, feed it to the policy, filter the
// predicted action, publish the command, keep the prediction for fill-in and surprise. The same
// code runs on a robot (fixed-rate clock, any bus) and in the simulator (lockstep clock).
import type { Subscription } from "rxjs";
import type { Bus } from "../bus/types.ts";
import { columnOf } from "../omnitoken/card.ts";
import type { ActionColumnSpec, ModelCard } from "../omnitoken/card-types.ts";
import { ByteTokenizer } from "../omnitoken/tokenizer.ts";
import { textToken } from "../omnitoken/token.ts";
import type { Omnitoken, Stamp } from "../omnitoken/types.ts";
import { actionToCommand, denormaliseAction, normaliseAction } from "../encoders/command.ts";
import { float64MultiArray, stringMsg } from "../messages/make.ts";
import type { Policy } from "../policy/types.ts";
import { Chunker } from "./chunker.ts";
import { Composer, type ComposerOptions } from "./composer.ts";
import type { TickSource } from "./lockstep-clock.ts";
import { SafetyFilter, type HoldReason, type SafetyCounts } from "./safety.ts";
import { surprise } from "./surprise.ts";
import type { TimeSource } from "./time-source.ts";
import { DEFAULT_LOOP_TOPICS, type LoopTopics } from "./topics.ts";

export interface LoopOptions {
  policy: Policy;
  bus: Bus;
  clock: TickSource;
  time: TimeSource;
  topics?: Partial<LoopTopics>;
  composer?: Omit<ComposerOptions, "card">;
  /** Velocity limit (joint unit/s) for joints whose card entry has none. */
  defaultMaxVelocity?: number;
  /** Publish o_k and p_{k+1} as omnitokens (for the recorder and viewers). */
  publishTokens?: boolean;
  /** Most text tokens the model may emit in one utterance before the loop stops listening. */
  maxUtterance?: number;
  /** Fraction of the period after which the loop stops feeding the model's words back in that
   * tick (the rest of the utterance is dropped, as at maxUtterance), so speech cannot overrun the
   * next deadline. Measured on the loop's time source: in lockstep simulation time stands still
   * during a tick, so it never cuts there. Default 0.75. */
  listenBudget?: number;
  /** Asynchronous mode: act from rolled-out chunks of this many predictions while the next
   * chunk is computed (for models slower than the control rate). Absent: one step per tick. */
  chunkHorizon?: number;
  /** false: the model's words are not listened to, so it never ends an episode — the world (or
   * the timeout) does. For evaluating motion alone, and for DAgger, whose episodes must reach the
   * states the policy fails in. Default true. */
  listen?: boolean;
  /** The model must start speaking on this many control ticks in a row before the loop listens
   * (feeds its words back, so "done" can end the episode); the first ones are not fed back and
   * are counted as unconfirmed. A debounce on a guess: a model unsure whether the task is done
   * starts "done" on one tick and not the next (models/reference/EVAL.md, session 7). Default: the
   * card's decoding.confirm_done_ticks, else 1 (listen at once). */
  confirmDone?: number;
}

/** The loop's confirmDone: `override`, else the card's decoding.confirm_done_ticks, else 1. */
export function confirmDoneTicks(card: ModelCard, override?: number): number {
  const k = override ?? card.decoding?.confirm_done_ticks ?? 1;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`confirmDone: expected a whole number of ticks >= 1, got ${k}`);
  return k;
}

export type EpisodeEnd = "model_done" | "timeout" | "stopped";

export interface EpisodeResult {
  ticks: number;
  end: EpisodeEnd;
  /** Everything the model said, decoded. */
  said: string[];
  /** Wall-clock latency of each policy step (ms), compute only. */
  stepMs: number[];
  /** How late each tick started after its deadline (ms): the clock's wake-up jitter. */
  lateMs: number[];
  /** Each tick's own work (ms), from its start to its command (and the model's words, if it
   * spoke): over one period, the next deadline is missed. */
  tickMs: number[];
  /** Ticks in which the model spoke, so the tick also fed its words back (one step a token). */
  spokeTicks: number[];
  /** Utterances cut short because the tick's listen budget ran out. */
  cutUtterances: number;
  /** Ticks on which the model started speaking but the loop did not listen yet (confirmDone). */
  unconfirmedWords: number;
  /** Ticks whose work took over half a period, with where the time went (ms). */
  slowTicks: { tick: number; ms: number; composeMs: number; stepMs: number; listenMs: number }[];
  holds: Partial<Record<HoldReason, number>>;
  /** Mean surprise per column over the episode (NaN where never measurable). */
  surprise: Record<string, number>;
}

export class ClosedLoop {
  readonly card: ModelCard;
  private readonly o: LoopOptions;
  private readonly topics: LoopTopics;
  private readonly composer: Composer;
  private readonly safety: SafetyFilter;
  private readonly action: ActionColumnSpec;
  private readonly tokenizer: ByteTokenizer;
  private readonly columns: string[];
  private readonly confirmDone: number;
  private readonly subs: Subscription[] = [];
  /** Present in asynchronous (chunk) mode. */
  readonly chunker: Chunker | null;
  private estop = false;
  private stopRequested = false;
  /** Messages that failed to encode: counted and dropped, never crash the loop. */
  malformed = 0;
  lastMalformed: string | null = null;
  /** Policy steps that failed (each held the robot for its tick). */
  policyErrors = 0;
  lastPolicyError: string | null = null;

  constructor(options: LoopOptions) {
    this.o = options;
    this.card = options.policy.card;
    this.topics = { ...DEFAULT_LOOP_TOPICS, ...options.topics };
    const action = columnOf(this.card, "action");
    if (!action) throw new Error(`model card ${this.card.name}: no action column, nothing to drive`);
    this.action = action;
    this.composer = new Composer({ card: this.card, ...options.composer });
    this.safety = new SafetyFilter({
      joints: action.action.joints,
      periodS: Number(options.clock.periodNs) / 1e9,
      defaultMaxVelocity: options.defaultMaxVelocity ?? Infinity,
    });
    this.tokenizer = new ByteTokenizer(this.card.tokenizer);
    this.chunker = options.chunkHorizon ? new Chunker(options.policy, options.chunkHorizon) : null;
    this.columns = this.card.columns.filter((c) => c.kind !== "text").map((c) => c.name);
    this.confirmDone = confirmDoneTicks(this.card, options.confirmDone);
    const now = () => options.time.now();
    const t = this.topics;
    this.subs.push(
      options.bus.subscribe(t.image).subscribe((m) => this.composer.offer("image", m, now())),
      options.bus.subscribe(t.detections).subscribe((m) => this.composer.offer("detections", m, now())),
      options.bus.subscribe(t.joints).subscribe((m) => this.composer.offer("joints", m, now())),
      options.bus.subscribe(t.estop).subscribe((m) => (this.estop = m.data)),
    );
  }

  /** The topics this loop reads and writes, after remapping. */
  get topicsInUse(): LoopTopics {
    return this.topics;
  }

  /** Ask the running episode to end after the current tick. */
  stop(): void {
    this.stopRequested = true;
  }

  safetyStats(): SafetyCounts {
    return this.safety.stats();
  }

  /** Run one episode of `command` until the model says it is done, `maxTicks`, or stop(). */
  async runEpisode(command: string, options: { maxTicks: number; stamp?: (tick: number) => Stamp }): Promise<EpisodeResult> {
    this.composer.reset(command);
    this.chunker?.reset();
    this.stopRequested = false;
    const stampOf = options.stamp ?? ((k: number) => stampFromNs(BigInt(k) * this.o.clock.periodNs));
    const prefix = this.tokenizer.command(command).map((id, i) => textToken(this.card, id, i, stampOf(0)));
    let prediction: Omnitoken = await this.o.policy.start(prefix);
    let step = prefix.length;
    const result: EpisodeResult = { ticks: 0, end: "timeout", said: [], stepMs: [], lateMs: [], tickMs: [], spokeTicks: [], cutUtterances: 0, unconfirmedWords: 0, slowTicks: [], holds: {}, surprise: {} };
    const halfPeriodMs = Number(this.o.clock.periodNs) / 2e6;
    let composeMs = 0;
    let policyMs = 0;
    let listenStart = 0;
    let speakStreak = 0; // control ticks in a row on which the model started to speak
    const endTick = (k: number, tickStart: number) => {
      const now = performance.now();
      const ms = now - tickStart;
      result.tickMs.push(ms);
      if (ms > halfPeriodMs) {
        result.slowTicks.push({ tick: k, ms, composeMs, stepMs: policyMs, listenMs: listenStart ? now - listenStart : 0 });
      }
    };
    const sums = new Float64Array(this.columns.length);
    const counts = new Float64Array(this.columns.length);
    const first = await this.o.clock.next();
    for (let tick = first; ; tick = await this.o.clock.next()) {
      const k = result.ticks;
      const stamp = stampOf(k);
      const tickStart = performance.now();
      result.lateMs.push(Number(tick.startNs - tick.deadlineNs) / 1e6);
      // 1. compose o_k from the latest samples
      let composed;
      composeMs = policyMs = listenStart = 0;
      try {
        composed = this.composer.compose(step, this.o.time.now(), stamp, prediction);
        composeMs = performance.now() - tickStart;
      } catch (err) {
        // A message the encoders refuse (wrong joint names, bad encoding): counted, kept for the
        // diagnostics, and this tick holds — never a crash, never a command from garbage.
        this.malformed += 1;
        this.lastMalformed = err instanceof Error ? err.message : String(err);
        composed = null;
      }
      const reasons: HoldReason[] = composed ? [...composed.reasons] : ["stale_input"];
      if (this.estop) reasons.push("estop");
      if (tick.skipped > 0) reasons.push("deadline_miss");
      // 2. the policy: o_k → p_{k+1}
      let stepped = false;
      if (composed) {
        const s = surprise(prediction, composed.token, this.columns);
        for (let i = 0; i < s.length; i++) {
          if (Number.isFinite(s[i])) {
            sums[i] = sums[i]! + s[i]!;
            counts[i] = counts[i]! + 1;
          }
        }
        this.o.bus.publish(this.topics.surprise, float64MultiArray(s, this.columns.join(",")));
        if (this.o.publishTokens) this.o.bus.publish(this.topics.observation, composed.token);
        const t0 = performance.now();
        try {
          if (this.chunker) {
            const planned = this.chunker.act(k, composed.token);
            if (planned) prediction = planned;
            else reasons.push("policy_unavailable"); // the first chunk is not back yet, or ran out
            stepped = planned !== null;
          } else {
            prediction = await this.o.policy.step(composed.token);
            stepped = true;
          }
        } catch (err) {
          // A policy that fails (remote server gone, deadline passed) holds the robot this tick;
          // the remote policy re-prefills its session itself when the server is back.
          this.policyErrors += 1;
          this.lastPolicyError = err instanceof Error ? err.message : String(err);
          reasons.push("policy_unavailable");
        }
        policyMs = performance.now() - t0;
        result.stepMs.push(policyMs);
        if (stepped && this.o.publishTokens) this.o.bus.publish(this.topics.prediction, prediction);
      }
      // 3. safety filter, then the command in the card's mode
      const act = prediction.columns[this.action.name];
      const target = stepped && act && act.origin !== "absent" ? denormaliseAction(act.data as Float32Array, this.action) : null;
      const decision = this.safety.filter(target, reasons, composed?.measured ?? null);
      if (decision.kind === "hold") {
        for (const r of decision.reasons) result.holds[r] = (result.holds[r] ?? 0) + 1;
        this.o.bus.publish(this.topics.holds, stringMsg(JSON.stringify({ tick: k, reasons: decision.reasons })));
      }
      if (decision.command) this.publishCommand(decision.command, stamp);
      step += 1;
      result.ticks += 1;
      // 4. the model speaks: feed its words back until EOS (once it has started on confirmDone ticks in a row)
      const starts = stepped && this.o.listen !== false && !this.chunker && this.speaking(prediction);
      speakStreak = starts ? speakStreak + 1 : 0;
      if (starts && speakStreak < this.confirmDone) result.unconfirmedWords += 1;
      if (starts && speakStreak >= this.confirmDone) {
        speakStreak = 0;
        result.spokeTicks.push(k);
        listenStart = performance.now();
        const budget = BigInt(Math.round(Number(this.o.clock.periodNs) * (this.o.listenBudget ?? 0.75)));
        const spoken = await this.listen(prediction, step, stamp, tick.startNs + budget).catch((err: unknown) => {
          // The policy failed mid-utterance: the words are lost, the next tick holds if it is still gone.
          this.policyErrors += 1;
          this.lastPolicyError = err instanceof Error ? err.message : String(err);
          return null;
        });
        if (spoken) {
          if (spoken.cut) result.cutUtterances += 1;
          step = spoken.step;
          prediction = spoken.last;
          if (spoken.text) {
            result.said.push(spoken.text);
            this.o.bus.publish(this.topics.said, stringMsg(spoken.text));
          }
          if (spoken.ended) {
            endTick(k, tickStart);
            result.end = "model_done";
            break;
          }
        }
      }
      endTick(k, tickStart);
      if (this.stopRequested) {
        result.end = "stopped";
        break;
      }
      if (result.ticks >= options.maxTicks) break;
    }
    await this.chunker?.settle();
    this.columns.forEach((c, i) => (result.surprise[c] = counts[i]! ? sums[i]! / counts[i]! : NaN));
    return result;
  }

  async close(): Promise<void> {
    for (const s of this.subs) s.unsubscribe();
  }

  private speaking(p: Omnitoken): boolean {
    const text = p.columns.text;
    return text !== undefined && text.origin !== "absent" && text.data[0] !== this.card.tokenizer.special.PAD;
  }

  /** Feed the model's own text tokens back (text-only omnitokens) until EOS, the length cap, or
   * the tick's listen deadline (checked before each word, allowing for one more step). */
  private async listen(
    p: Omnitoken,
    step: number,
    stamp: Stamp,
    deadlineNs: bigint,
  ): Promise<{ text: string; ended: boolean; step: number; last: Omnitoken; cut: boolean }> {
    const { EOS, PAD } = this.card.tokenizer.special;
    const ids: number[] = [];
    let last = p;
    const max = this.o.maxUtterance ?? 32;
    let lastStepNs = 0n; // a word's step takes about what the one before it took
    for (let n = 0; n < max; n++) {
      const id = last.columns.text!.data[0]!;
      if (id === EOS) return { text: this.tokenizer.decode(ids), ended: true, step, last, cut: false };
      if (id === PAD) break; // back to acting
      const now = this.o.time.now();
      if (now + lastStepNs >= deadlineNs) return { text: this.tokenizer.decode(ids), ended: false, step, last, cut: true };
      ids.push(id);
      last = await this.o.policy.step(textToken(this.card, id, step, stamp));
      lastStepNs = this.o.time.now() - now;
      step += 1;
    }
    return { text: this.tokenizer.decode(ids), ended: false, step, last, cut: false };
  }

  private publishCommand(positions: Float64Array, stamp: Stamp): void {
    const cmd = actionToCommand(normaliseAction(positions, this.action), this.action, stamp, { controlRateHz: this.card.control_rate_hz });
    const t = this.topics;
    if (cmd.type === "std_msgs/msg/Float64MultiArray") this.o.bus.publish(t.forward, cmd.message);
    else if (cmd.type === "trajectory_msgs/msg/JointTrajectory") this.o.bus.publish(t.trajectory, cmd.message);
    else this.o.bus.publish(t.twist, cmd.message);
  }
}

function stampFromNs(ns: bigint): Stamp {
  return { sec: Number(ns / 1_000_000_000n), nanosec: Number(ns % 1_000_000_000n) };
}
