// The remote policy over real ZeroMQ sockets (loopback): same actions as the local policy,
// bit-exact; sessions per client; resends never fed twice; a lost session re-prefilled.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { tokensEqual } from "../../src/omnitoken/token.ts";
import type { Omnitoken } from "../../src/omnitoken/types.ts";
import { RemotePolicy } from "../../src/policy/remote/client.ts";
import { PolicyUnavailableError, RemotePolicyConfigError } from "../../src/policy/remote/errors.ts";
import type { PolicyServer } from "../../src/policy/remote/server.ts";
import { localPolicy, prefix, startServer, tick } from "./fixtures.ts";

let server: PolicyServer;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.close();
});

const sameTokens = (a: Omnitoken[], b: Omnitoken[]) => a.length === b.length && a.every((t, i) => tokensEqual(t, b[i]!));

test("remote steps give the local policy's predictions, bit for bit (same model, cpu)", async () => {
  const local = await localPolicy();
  const remote = await RemotePolicy.connect({ url: server.endpoint, deadlineMs: 2000 });
  try {
    assert.equal(remote.card.name, local.card.name);
    assert.match(remote.provider, /^zmq:\/\/127\.0\.0\.1:\d+ \(cpu\)$/);
    assert.ok(tokensEqual(await remote.start(prefix()), await local.start(prefix())), "start");
    for (let k = 0; k < 12; k++) {
      const t = tick(20 + k);
      const [r, l] = [await remote.step(t), await local.step(t)];
      assert.ok(tokensEqual(r, l), `step ${k}: remote and local predictions differ`);
    }
    assert.ok(sameTokens(await remote.rollout(tick(40), 4), await local.rollout(tick(40), 4)), "rollout");
    // after a rollout the context holds the real observation only, on both sides
    assert.ok(tokensEqual(await remote.step(tick(41)), await local.step(tick(41))), "step after rollout");
    // a second episode starts afresh
    assert.ok(tokensEqual(await remote.start(prefix("push")), await local.start(prefix("push"))), "second start");
    assert.ok(tokensEqual(await remote.step(tick(50)), await local.step(tick(50))), "second episode step");
  } finally {
    await remote.close();
    await local.close();
  }
});

test("two clients get two sessions: one's context never leaks into the other's", async () => {
  const a = await RemotePolicy.connect({ url: server.endpoint, deadlineMs: 2000 });
  const b = await RemotePolicy.connect({ url: server.endpoint, deadlineMs: 2000 });
  const local = await localPolicy();
  try {
    await Promise.all([a.start(prefix()), b.start(prefix())]);
    await local.start(prefix());
    // a sees other observations than b; b must still match a local policy fed b's tokens only
    for (let k = 0; k < 5; k++) await a.step(tick(100 + k));
    for (let k = 0; k < 5; k++) assert.ok(tokensEqual(await b.step(tick(20 + k)), await local.step(tick(20 + k))), `b step ${k}`);
    assert.ok(server.stats().sessions >= 2);
  } finally {
    await Promise.all([a.close(), b.close(), local.close()]);
  }
});

test("a session the server lost is re-prefilled: the prediction is the local policy's after the same context", async () => {
  const remote = await RemotePolicy.connect({ url: server.endpoint, deadlineMs: 2000 });
  const local = await localPolicy();
  try {
    await remote.start(prefix());
    for (let k = 0; k < 4; k++) await remote.step(tick(20 + k));
    // the server forgets every session (as after an expiry); the client finds out at its next step
    await (server as unknown as { expire(ms: number): Promise<void> }).expire(-1);
    const got = await remote.step(tick(24));
    await local.start(prefix());
    let want: Omnitoken | undefined;
    for (let k = 0; k <= 4; k++) want = await local.step(tick(20 + k));
    assert.ok(tokensEqual(got, want!), "the re-prefilled context predicts as the uninterrupted one");
    assert.equal(remote.resyncs, 1);
  } finally {
    await Promise.all([remote.close(), local.close()]);
  }
});

test("no server: connect fails within its timeout, saying what to start", async () => {
  const t0 = performance.now();
  await assert.rejects(RemotePolicy.connect({ url: "zmq://127.0.0.1:1", connectTimeoutMs: 300 }), (err: unknown) => {
    assert.ok(err instanceof PolicyUnavailableError);
    // Which fires first is a race on a loaded machine: the send that waits for a connection, or
    // the hello's own deadline. Either way the message names the URL, the state and what to start.
    assert.match(
      err.message,
      /^zmq:\/\/127\.0\.0\.1:1: (cannot send hello: no connection to the server|no reply to hello within 300 ms) \(not connected; never answered\); is `omniloop serve-policy --bind zmq:\/\/127\.0\.0\.1:1` running\?$/,
    );
    return true;
  });
  assert.ok(performance.now() - t0 < 1500);
});

test("a non-loopback server needs its CURVE key", async () => {
  await assert.rejects(RemotePolicy.connect({ url: "zmq://10.1.2.3:5560" }), (err: unknown) => {
    assert.ok(err instanceof RemotePolicyConfigError);
    assert.equal(
      err.message,
      "zmq://10.1.2.3:5560: refusing to connect a non-loopback address without CURVE keys (observations and actions would cross the network unencrypted); pass the server's public key (--server-key SERVER.key), or use 127.0.0.1",
    );
    return true;
  });
});
