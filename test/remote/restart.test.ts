// The server dies mid-run (SIGKILL, a real `omniloop serve-policy` process): the next step fails
// within its deadline, so the loop holds the robot within one tick and says why; when the server is
// back on the same port, the client re-prefills its session and the loop drives again.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { after, test } from "node:test";
import { MemoryBus } from "../../src/bus/memory.ts";
import { ClosedLoop } from "../../src/loop/closed-loop.ts";
import { LockstepClock } from "../../src/loop/lockstep-clock.ts";
import { VirtualTime } from "../../src/loop/time-source.ts";
import { DEFAULT_LOOP_TOPICS as T } from "../../src/loop/topics.ts";
import { detection3DArray, image, jointState } from "../../src/messages/make.ts";
import { tokensEqual } from "../../src/omnitoken/token.ts";
import type { Omnitoken } from "../../src/omnitoken/types.ts";
import type { Policy } from "../../src/policy/types.ts";
import { RemotePolicy } from "../../src/policy/remote/client.ts";
import { PolicyUnavailableError } from "../../src/policy/remote/errors.ts";
import { card, freePort, localPolicy, MICRO, prefix, sleep, tick } from "./fixtures.ts";

const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) c.kill("SIGKILL");
});

function serve(url: string): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve-policy", "--model", MICRO, "--bind", url, "--provider", "cpu", "--quiet"], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
}

test("server killed mid-episode: steps fail within the deadline; after a restart the session is re-prefilled", async () => {
  const url = `zmq://127.0.0.1:${await freePort()}`;
  let server = serve(url);
  const remote = await RemotePolicy.connect({ url, deadlineMs: 40, connectTimeoutMs: 30_000 });
  const fed: Omnitoken[] = [];
  const step = (t: Omnitoken) => {
    fed.push(t);
    return remote.step(t);
  };
  try {
    await remote.start(prefix());
    for (let k = 0; k < 3; k++) await step(tick(20 + k));
    await kill(server);
    for (let k = 3; k < 6; k++) {
      const t0 = performance.now();
      await assert.rejects(step(tick(20 + k)), (err: unknown) => {
        assert.ok(err instanceof PolicyUnavailableError, String(err));
        assert.ok(err.message.startsWith(`${url}: `), err.message);
        assert.match(err.message, /: (cannot send step: no connection to the server|no reply to step within 40 ms)/);
        return true;
      });
      // 40 ms deadline; the slack is for timers firing late on a loaded machine
      assert.ok(performance.now() - t0 < 40 + 100, `a step while the server is gone fails within its deadline (took ${performance.now() - t0} ms)`);
    }
    server = serve(url);
    // Wait until the new server answers before stepping again: on a loaded machine its start can
    // take seconds, and a step a tick meanwhile would outlast the context window, after which the
    // server's window (re-prefilled, then slid) is no longer the local policy's fed straight through.
    await (await RemotePolicy.connect({ url, deadlineMs: 1000, connectTimeoutMs: 30_000 })).close();
    let got: Omnitoken | undefined;
    for (let k = 6; got === undefined; k++) {
      assert.ok(k < 6 + 600, "the remote policy resumed within 60 s of the restart");
      try {
        got = await step(tick(20 + k));
      } catch (err) {
        assert.ok(err instanceof PolicyUnavailableError, String(err));
        await sleep(100);
      }
    }
    // Every observation fed since the prefix is in the re-prefilled context, the failed ones too.
    const local = await localPolicy();
    await local.start(prefix());
    let want: Omnitoken | undefined;
    for (const t of fed) want = await local.step(t);
    await local.close();
    assert.ok(tokensEqual(got, want!), "the resumed prediction is the local policy's after the same context");
    assert.ok(remote.resyncs >= 1);
  } finally {
    await remote.close();
    await kill(server);
  }
});

test("the closed loop holds within one tick of the kill, says why, and drives again after the restart", async () => {
  const url = `zmq://127.0.0.1:${await freePort()}`;
  let server = serve(url);
  const remote = await RemotePolicy.connect({ url, deadlineMs: 40, connectTimeoutMs: 30_000 });
  // Random weights babble: the test decides the model says nothing (PAD), as the loop tests do.
  const quiet: Policy = {
    card: remote.card,
    provider: remote.provider,
    start: (p) => remote.start(p),
    rollout: (t, h) => remote.rollout(t, h),
    close: () => remote.close(),
    async step(token) {
      const out = await remote.step(token);
      out.columns.text!.data[0] = card.tokenizer.special.PAD;
      return out;
    },
  };
  const bus = new MemoryBus();
  const time = new VirtualTime();
  const joints = card.columns.find((c) => c.kind === "action")!;
  const names = joints.kind === "action" ? joints.action.joints.map((j) => j.name) : [];
  const publishSensors = () => {
    bus.publish(T.image, image({ width: 8, height: 8, data: new Uint8Array(8 * 8 * 3).fill(100) }));
    bus.publish(T.detections, detection3DArray([], { frame_id: "table" }));
    bus.publish(T.joints, jointState({ name: names, position: [0.1, 0.2, 0.3] }));
  };
  const holds = new Map<number, string[]>();
  bus.subscribe(T.holds).subscribe((m) => {
    const h = JSON.parse(m.data) as { tick: number; reasons: string[] };
    holds.set(h.tick, h.reasons);
  });
  let k = 0;
  const KILL_AT = 5;
  let killedAt = -1;
  let restartedAt = -1;
  let driving = 0;
  const made: { loop?: ClosedLoop } = {}; // the clock's advance stops the loop it drives
  const clock = new LockstepClock({
    rateHz: card.control_rate_hz,
    time,
    advance: async () => {
      await sleep(20); // real time between ticks: reconnects and restarts happen in it
      k += 1;
      if (k === KILL_AT) {
        await kill(server);
        killedAt = k;
      }
      if (k === KILL_AT + 3) {
        server = serve(url);
        restartedAt = k;
      }
      if (restartedAt > 0 && !holds.has(k - 1) && k - 1 > restartedAt) driving += 1;
      if (driving >= 3) made.loop?.stop();
      publishSensors();
    },
  });
  const loop = new ClosedLoop({ policy: quiet, bus, clock, time, defaultMaxVelocity: 10 });
  made.loop = loop;
  publishSensors();
  try {
    const result = await loop.runEpisode("touch the red block", { maxTicks: 3000 });
    assert.equal(result.end, "stopped", "the loop drove again after the restart");
    for (let t = 0; t < killedAt; t++) assert.ok(!holds.has(t), `tick ${t} before the kill drove (held: ${holds.get(t)})`);
    assert.deepEqual(holds.get(killedAt), ["policy_unavailable"], "the first tick after the kill holds, because the policy is unavailable");
    assert.match(loop.lastPolicyError ?? "", new RegExp(`^${url.replace(/[.]/g, "\\.")}: `), "the hold says which server and why");
    assert.ok(remote.resyncs >= 1, "the session was re-prefilled");
  } finally {
    await loop.close();
    await remote.close();
    await kill(server);
  }
});
