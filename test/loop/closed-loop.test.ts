// The closed loop against a scripted robot on the in-process bus, in lockstep, with the tiny test
// model (random weights: its actions mean nothing, but they are real model outputs going through the
// real loop). Checks the loop's contract, not task success: commands flow, e-stop holds within one
// tick, stale inputs hold with their reason, overruns are counted without drift, a failing policy holds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryBus } from "../../src/bus/memory.ts";
import { ClosedLoop } from "../../src/loop/closed-loop.ts";
import { LockstepClock } from "../../src/loop/lockstep-clock.ts";
import { VirtualTime } from "../../src/loop/time-source.ts";
import { DEFAULT_LOOP_TOPICS as T } from "../../src/loop/topics.ts";
import { OnnxPolicy } from "../../src/policy/onnx-policy.ts";
import type { Policy } from "../../src/policy/types.ts";
import { boolMsg, detection3DArray, image, jointState } from "../../src/messages/make.ts";
import type { Float64MultiArray } from "../../src/messages/types.ts";
import { columnOf } from "../../src/omnitoken/card.ts";

const policy = await OnnxPolicy.load({ card: "test/fixtures/models/tiny/card.json", model: "test/fixtures/models/tiny/model.onnx", provider: "cpu" });
const jointNames = columnOf(policy.card, "action")!.action.joints.map((j) => j.name);
const frame = image({ width: 32, height: 32, data: new Uint8Array(32 * 32 * 3).fill(128) });
const detections = detection3DArray([], { frame_id: "table" });

interface Script {
  /** Sensors the robot stops publishing from this tick on. */
  silentFrom?: Partial<Record<"image" | "joints", number>>;
  estopAt?: number;
  /** Virtual time (ns) the policy step "takes" at these ticks (an overrun). */
  slowAt?: Record<number, bigint>;
  failAt?: number[];
  /** From this policy step on, the model "says" this text then EOS (one token per step). */
  sayFrom?: { step: number; text: string };
  /** At these policy steps the model starts to say "done"; fed a word of it, it says the next. */
  startsAt?: number[];
}

/** A robot that publishes its sensors every tick and records the commands it receives. */
async function run(script: Script, ticks = 12, loopOptions: { chunkHorizon?: number; tickDelayMs?: number; listen?: boolean; confirmDone?: number; card?: typeof policy.card } = {}) {
  const bus = new MemoryBus();
  const time = new VirtualTime();
  const commands: Float64MultiArray[] = [];
  bus.subscribe(T.forward).subscribe((m) => commands.push(m));
  let k = 0;
  const publishSensors = () => {
    if (k < (script.silentFrom?.image ?? Infinity)) bus.publish(T.image, frame);
    bus.publish(T.detections, detections);
    if (k < (script.silentFrom?.joints ?? Infinity)) bus.publish(T.joints, jointState({ name: jointNames, position: jointNames.map((_, i) => 0.02 * (i + 1)) }));
    if (k === script.estopAt) bus.publish(T.estop, boolMsg(true));
  };
  const clock = new LockstepClock({
    rateHz: 10,
    time,
    advance: async () => {
      // Real time between ticks, as a robot's period would give (lets async rollouts finish).
      if (loopOptions.tickDelayMs) await new Promise((r) => setTimeout(r, loopOptions.tickDelayMs));
      k += 1;
      publishSensors();
    },
  });
  let stepCount = 0;
  const wrapped: Policy = {
    card: loopOptions.card ?? policy.card,
    provider: policy.provider,
    start: (p) => policy.start(p),
    rollout: (t, h) => policy.rollout(t, h),
    close: async () => {},
    async step(token) {
      const n = stepCount++;
      if (script.failAt?.includes(n)) throw new Error("server gone");
      const out = await policy.step(token);
      const slow = script.slowAt?.[n];
      if (slow) time.advance(slow);
      // Random weights would babble: the test decides what the model says (PAD = nothing).
      const { PAD, EOS } = policy.card.tokenizer.special;
      const words = script.sayFrom ? [...Buffer.from(script.sayFrom.text), EOS] : [];
      const i = script.sayFrom ? n - script.sayFrom.step : -1;
      out.columns.text!.origin = "predicted";
      out.columns.text!.data[0] = i >= 0 && i < words.length ? words[i]! : PAD;
      if (script.startsAt) {
        const done = [...Buffer.from("done"), EOS];
        const fed = Object.entries(token.columns).every(([name, c]) => name === "text" || c.origin === "absent") ? done.indexOf(token.columns.text!.data[0]!) : -1;
        out.columns.text!.data[0] = fed >= 0 ? done[fed + 1]! : script.startsAt.includes(n) ? done[0]! : PAD;
      }
      return out;
    },
  };
  const loop = new ClosedLoop({
    policy: wrapped,
    bus,
    clock,
    time,
    defaultMaxVelocity: 10,
    ...(loopOptions.chunkHorizon ? { chunkHorizon: loopOptions.chunkHorizon } : {}),
    ...(loopOptions.listen === false ? { listen: false } : {}),
    ...(loopOptions.confirmDone !== undefined ? { confirmDone: loopOptions.confirmDone } : {}),
  });
  publishSensors();
  const result = await loop.runEpisode("touch the red block", { maxTicks: ticks });
  await loop.close();
  return { result, commands, clock: clock.stats(), loop };
}

test("every tick with fresh inputs drives a command from the model", async () => {
  const { result, commands } = await run({});
  assert.equal(result.ticks, 12);
  assert.deepEqual(result.holds, {});
  assert.equal(commands.length, 12);
  assert.ok(commands.every((c) => c.data.length === jointNames.length && c.data.every(Number.isFinite)));
  assert.equal(result.stepMs.length, 12);
});

test("an e-stop holds from the very next tick, with the reason", async () => {
  const { result, commands } = await run({ estopAt: 4 });
  assert.equal(result.holds.estop, 12 - 4); // ticks 4..11 all held
  const held = commands.slice(4);
  assert.ok(held.every((c) => c.data.every((v, i) => v === commands[3]!.data[i])), "held commands repeat the last safe one");
});

test("an input silent beyond its bound is filled in briefly, then holds as stale_input", async () => {
  const { result } = await run({ silentFrom: { image: 3 } });
  // image stale from tick 4 (1.5 periods), filled for 3 ticks (4,5,6), held from tick 7 on
  assert.equal(result.holds.stale_input, 12 - 7);
});

test("overruns skip deadlines instead of bunching, and each skip is counted", async () => {
  const MS = 1_000_000n;
  const { result, clock } = await run({ slowAt: { 2: 250n * MS, 6: 120n * MS } });
  assert.equal(clock.missed, 2 + 1);
  assert.equal(result.holds.deadline_miss, 2);
});

test("a failing policy step holds that tick as policy_unavailable, and the loop goes on", async () => {
  const { result, loop } = await run({ failAt: [5, 6] });
  assert.equal(result.holds.policy_unavailable, 2);
  assert.equal(result.ticks, 12);
  assert.equal(loop.policyErrors, 2);
  assert.equal(loop.lastPolicyError, "server gone");
});

test("the model's words are published and done + EOS ends the episode", async () => {
  const { result } = await run({ sayFrom: { step: 4, text: "done" } });
  assert.equal(result.end, "model_done");
  assert.deepEqual(result.said, ["done"]);
  assert.equal(result.ticks, 5); // ticks 0..4; the prediction after tick 4 started the words
});

test("with listen: false the model's words neither end the episode nor go on the bus", async () => {
  const { result } = await run({ sayFrom: { step: 4, text: "done" } }, 12, { listen: false });
  assert.equal(result.end, "timeout");
  assert.deepEqual(result.said, []);
  assert.equal(result.ticks, 12);
});

test("confirmDone: a one-tick start of \"done\" is not listened to; starts on consecutive ticks are", async () => {
  const once = await run({ startsAt: [4] }, 12, { confirmDone: 2 });
  assert.equal(once.result.end, "timeout");
  assert.deepEqual(once.result.said, []);
  assert.equal(once.result.unconfirmedWords, 1);
  assert.equal(once.result.ticks, 12);
  // Tick 4 starts, tick 5 does not (the streak breaks), ticks 6 and 7 start: listened at 7.
  const twice = await run({ startsAt: [4, 6, 7] }, 12, { confirmDone: 2 });
  assert.equal(twice.result.end, "model_done");
  assert.deepEqual(twice.result.said, ["done"]);
  assert.equal(twice.result.unconfirmedWords, 2);
  assert.deepEqual(twice.result.spokeTicks, [7]);
  assert.equal(twice.result.ticks, 8);
  // The default is 1: the first start is listened to, as before.
  const now = await run({ startsAt: [4] });
  assert.equal(now.result.end, "model_done");
  assert.equal(now.result.unconfirmedWords, 0);
  assert.equal(now.result.ticks, 5);
});

test("confirmDone defaults to the card's decoding.confirm_done_ticks, and must be a whole number >= 1", async () => {
  const card = { ...policy.card, decoding: { confirm_done_ticks: 3 } };
  const { result } = await run({ startsAt: [2, 3, 5, 6, 7] }, 12, { card });
  assert.equal(result.end, "model_done");
  assert.deepEqual(result.spokeTicks, [7]);
  assert.equal(result.unconfirmedWords, 4);
  await assert.rejects(run({}, 2, { confirmDone: 0 }), /confirmDone: expected a whole number of ticks >= 1, got 0/);
  await assert.rejects(run({}, 2, { confirmDone: 1.5 }), /got 1\.5/);
});

test("async mode acts from rolled-out chunks while the next one is computed", async () => {
  const { result, commands, loop } = await run({}, 16, { chunkHorizon: 6, tickDelayMs: 20 });
  const st = loop.chunker!.stats();
  assert.ok(st.started >= 2, `rollouts started: ${st.started}`);
  assert.ok(st.finished >= 2);
  assert.ok(st.served >= 8, `ticks served from a chunk: ${st.served}`);
  // tick 0 has no chunk yet: held; from then on the robot never waits for the model
  assert.ok((result.holds.policy_unavailable ?? 0) >= 1);
  assert.equal((result.holds.policy_unavailable ?? 0) + st.served, 16);
  assert.equal(commands.length, 16); // held ticks repeat the last command (the measured pose at first)
});

test("speech that would overrun the tick is cut at the listen budget, and the loop goes on acting", async () => {
  const MS = 1_000_000n;
  // Words start after step 4; step 5 (the first fed-back word) takes 40 ms of a 100 ms period.
  // Another 40 ms word would end past the 75 ms budget, so the rest of the utterance is dropped.
  const { result, clock } = await run({ sayFrom: { step: 4, text: "abcdefghij" }, slowAt: { 5: 40n * MS, 6: 40n * MS } });
  // "b" was predicted as the budget ran out and is dropped; the next tick acts, and this scripted
  // model goes on with "c…j" + EOS then (a real one decides anew from the observation).
  assert.deepEqual(result.said, ["a", "cdefghij"]);
  assert.equal(result.cutUtterances, 1);
  assert.deepEqual(result.spokeTicks, [4, 5]);
  assert.equal(result.end, "model_done");
  assert.equal(clock.missed, 0, "80 ms of a 100 ms period: the next deadline is kept");
});

test("without time passing (lockstep), the same speech is never cut", async () => {
  const { result } = await run({ sayFrom: { step: 4, text: "abcdefghij" } });
  assert.equal(result.cutUtterances, 0);
  assert.equal(result.end, "model_done");
  assert.deepEqual(result.said, ["abcdefghij"]);
});
