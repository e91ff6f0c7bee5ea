// Raw token frames (src/policy/remote/raw.ts): the per-tick messages cross bit-exact as one flat
// buffer, are read as views of the frame received, name what is wrong with a bad one, and are used
// only with a server that advertised the version this build writes (msgpack otherwise).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Dealer, Router } from "zeromq";
import { encodeFrame } from "../../src/omnitoken/codec.ts";
import { absentToken, tokensEqual } from "../../src/omnitoken/token.ts";
import type { Omnitoken } from "../../src/omnitoken/types.ts";
import { RemotePolicy } from "../../src/policy/remote/client.ts";
import { decodeRawPrediction, decodeRawRequest, encodeRawPrediction, encodeRawRequest, isRawFrame, RAW_VERSION, RawFrameError } from "../../src/policy/remote/raw.ts";
import { decodeReply } from "../../src/policy/remote/replies.ts";
import { decodeRequest } from "../../src/policy/remote/requests.ts";
import type { PolicyServer } from "../../src/policy/remote/server.ts";
import { card, localPolicy, prefix, startServer, tick } from "../remote/fixtures.ts";

let server: PolicyServer;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.close();
});

/** A token with the awkward values a float64/float32 copy must keep: NaN payloads, -0, infinities. */
function awkward(step: number): Omnitoken {
  const t = tick(step);
  t.stamp = { sec: -3, nanosec: 999_999_999 };
  const px = t.columns.pixels!.data as Float32Array;
  new Uint32Array(px.buffer, px.byteOffset, 3).set([0x7fc00001, 0xffc12345, 0x80000000]); // two NaN payloads, -0
  px[3] = Infinity;
  px[4] = -Infinity;
  t.columns.objects!.origin = "predicted";
  t.columns.action!.origin = "absent";
  return t;
}

test("a raw step, rollout and prediction cross bit-exact, NaN payloads and -0 included", () => {
  const tokens = [awkward(20), tick(21)];
  const step = decodeRawRequest(encodeRawRequest({ kind: "step", client: "c0ffee", id: 7, episode: 3, from: 12, tokens }, card)!, card);
  assert.equal(step.kind, "step");
  assert.deepEqual({ client: step.client, id: step.id, episode: step.episode, from: step.from }, { client: "c0ffee", id: 7, episode: 3, from: 12 });
  assert.equal(step.tokens.length, 2);
  step.tokens.forEach((t, i) => assert.ok(tokensEqual(t, tokens[i]!), `token ${i}`));
  const rollout = decodeRawRequest(encodeRawRequest({ kind: "rollout", client: "ü-client", id: 8, episode: 3, from: 14, tokens: [tick(22)], horizon: 4 }, card)!, card);
  assert.equal(rollout.kind, "rollout");
  assert.equal(rollout.kind === "rollout" && rollout.horizon, 4);
  assert.equal(rollout.client, "ü-client");
  const prediction = decodeRawPrediction(encodeRawPrediction({ kind: "prediction", id: 9, server: "s1", episode: 3, fed: 15, tokens }, card)!, card);
  assert.deepEqual({ id: prediction.id, server: prediction.server, episode: prediction.episode, fed: prediction.fed, raw: prediction.raw }, { id: 9, server: "s1", episode: 3, fed: 15, raw: RAW_VERSION });
  prediction.tokens.forEach((t, i) => assert.ok(tokensEqual(t, tokens[i]!), `prediction token ${i}`));
});

test("received columns are views of the frame; a frame at an unaligned offset is copied instead", () => {
  const frame = encodeRawPrediction({ kind: "prediction", id: 1, server: "s", episode: 1, fed: 1, tokens: [tick(30)] }, card)!;
  const aligned = new Uint8Array(new ArrayBuffer(frame.length + 8), 8, frame.length);
  aligned.set(frame);
  const viewed = decodeRawPrediction(aligned, card).tokens[0]!;
  assert.equal(viewed.columns.pixels!.data.buffer, aligned.buffer, "zero-copy: the pixels are read where they arrived");
  const odd = new Uint8Array(new ArrayBuffer(frame.length + 2), 2, frame.length);
  odd.set(frame);
  const copied = decodeRawPrediction(odd, card).tokens[0]!;
  assert.notEqual(copied.columns.pixels!.data.buffer, odd.buffer);
  assert.ok(tokensEqual(copied, tick(30)) && tokensEqual(viewed, tick(30)));
});

test("a token that is not exactly the card's is not written raw (msgpack carries it and the checks name it)", () => {
  const wide = tick(3);
  wide.columns.action!.data = new Float32Array(99);
  const missing = tick(3);
  delete missing.columns.objects;
  const extra = tick(3);
  extra.columns.audio = { origin: "observed", data: new Float32Array(4) };
  const asInt = tick(3);
  asInt.columns.pixels!.data = new Int32Array(asInt.columns.pixels!.data.length);
  for (const t of [wide, missing, extra, asInt]) {
    assert.equal(encodeRawRequest({ kind: "step", client: "c", id: 1, episode: 1, from: 0, tokens: [t] }, card), undefined);
  }
  assert.ok(encodeRawRequest({ kind: "step", client: "c", id: 1, episode: 1, from: 0, tokens: [tick(3)] }, card));
});

test("bad raw frames are refused with what is wrong, and a request's address when it can be read", () => {
  const good = encodeRawRequest({ kind: "step", client: "c", id: 5, episode: 1, from: 0, tokens: [tick(3)] }, card)!;
  const refused = (bytes: Uint8Array, message: RegExp, address?: { id: number; client: string }) =>
    assert.throws(
      () => decodeRawRequest(bytes, card),
      (err: unknown) => {
        assert.ok(err instanceof RawFrameError, String(err));
        assert.equal(err.name, "ProtocolError");
        assert.match(err.message, message);
        assert.deepEqual(err.address, address);
        return true;
      },
    );
  const v2 = Buffer.from(good);
  v2[2] = 2;
  refused(v2, /^raw request: raw frame version 2, this build reads raw frame version 1 \(update the older side\)$/);
  refused(good.subarray(0, 20), /truncated frame: 20 bytes/);
  refused(good.subarray(0, good.length - 4), /truncated raw frame/, { id: 5, client: "c" });
  refused(Buffer.concat([good, Buffer.alloc(4)]), /4 bytes of trailing garbage/, { id: 5, client: "c" });
  const huge = Buffer.from(good);
  huge.writeUInt32LE(0xffffffff, 4); // a token count no frame of this size can hold
  refused(huge, /truncated raw frame/, { id: 5, client: "c" });
  const origin = Buffer.from(good);
  origin[48 + 24] = 7; // the first cell's origin code
  refused(origin, /tokens\[0\] is not an omnitoken of card micro-random: columns\.text\.origin: expected one of observed, predicted, absent, got code 7/, { id: 5, client: "c" });
  const step = Buffer.from(good);
  step.writeDoubleLE(1.5, 48); // the first token's step
  refused(step, /tokens\[0\] is not an omnitoken of card micro-random: step: expected a non-negative integer, got 1\.5/, { id: 5, client: "c" });
  const kind = Buffer.from(good);
  kind[3] = 3; // a prediction is not a request
  refused(kind, /kind code 3 is not a request/, { id: 5, client: "c" });
  // A raw frame with the action column 99 wide (hand-made: the encoder would not write it).
  const widened = Buffer.concat([good.subarray(0, good.length - 12), Buffer.alloc(99 * 4)]);
  widened.writeUInt32LE(99, good.length - 12 - 4);
  refused(widened, /columns\.action\.data: expected Float32Array\(3\) for the action column, got Float32Array\(99\)/, { id: 5, client: "c" });
  assert.throws(() => decodeRawPrediction(good, card), /raw reply: kind 1 is not a reply/);
  assert.throws(() => decodeRawPrediction(encodeRawPrediction({ kind: "prediction", id: 1, server: "s", episode: 1, fed: 1, tokens: [tick(3)] }, card)!, undefined), /before the welcome/);
});

test("the server answers raw steps with raw predictions, equal to the local policy's; bad ones are counted and answered", async () => {
  const remote = await RemotePolicy.connect({ url: server.endpoint, deadlineMs: 2000 });
  const local = await localPolicy();
  try {
    assert.ok((remote as unknown as { link: { raw: boolean } }).link.raw, "the welcome advertised raw frames, so steps go raw");
    assert.ok(tokensEqual(await remote.start(prefix()), await local.start(prefix())));
    for (let k = 0; k < 5; k++) assert.ok(tokensEqual(await remote.step(tick(20 + k)), await local.step(tick(20 + k))), `step ${k}`);
    const [r, l] = [await remote.rollout(tick(25), 3), await local.rollout(tick(25), 3)];
    assert.ok(r.length === 3 && r.every((t, i) => tokensEqual(t, l[i]!)), "rollout");
  } finally {
    await Promise.all([remote.close(), local.close()]);
  }
  // By hand: a raw step with no session gets msgpack `no_session` (advertising raw); a bad one is
  // counted as malformed and answered `bad_request`.
  const raw = new Dealer({ linger: 0 });
  raw.connect(server.endpoint.replace("zmq:", "tcp:"));
  try {
    const before = server.stats().malformed;
    await raw.send(encodeRawRequest({ kind: "step", client: "by-hand", id: 1, episode: 1, from: 0, tokens: [tick(3)] }, card)!);
    const [lost] = await raw.receive();
    const reply = decodeReply(lost!, card);
    assert.equal(reply.kind, "error");
    assert.equal(reply.kind === "error" && reply.code, "no_session");
    assert.equal(reply.raw, RAW_VERSION);
    const bad = Buffer.from(encodeRawRequest({ kind: "step", client: "by-hand", id: 2, episode: 1, from: 0, tokens: [tick(3)] }, card)!);
    bad[48 + 24] = 9;
    await raw.send(bad);
    const [refused] = await raw.receive();
    const error = decodeReply(refused!, card);
    assert.equal(error.id, 2);
    assert.equal(error.kind === "error" && error.code, "bad_request");
    assert.equal(server.stats().malformed - before, 1);
  } finally {
    raw.close();
  }
});

/** A scripted ZeroMQ server that advertises `raw` (or nothing) in its welcome, and says how the step came. */
async function stepTo(advertise: number | undefined): Promise<{ frame: Buffer; log: string[] }> {
  const scripted = new Router({ linger: 0 });
  await scripted.bind("tcp://127.0.0.1:*");
  const url = scripted.lastEndpoint!.replace("tcp:", "zmq:");
  const log: string[] = [];
  // An older server's replies have no `raw` (encodeReply, this build's, always adds one).
  const reply = (fields: object) => encodeFrame({ v: 1, ...fields, server: "scripted", ...(advertise === undefined ? {} : { raw: advertise }) });
  const serve = (async () => {
    const [identity, hello] = await scripted.receive();
    const h = decodeRequest(hello!, card);
    await scripted.send([identity!, reply({ kind: "welcome", id: h.id, card, provider: "cpu" })]);
    const [identity2, start] = await scripted.receive();
    const s = decodeRequest(start!, card);
    await scripted.send([identity2!, reply({ kind: "prediction", id: s.id, episode: 1, fed: 0, tokens: [absentToken(card, 20, { sec: 0, nanosec: 0 })] })]);
    const [identity3, step] = await scripted.receive();
    const frame = Buffer.from(step!);
    const id = isRawFrame(frame) ? decodeRawRequest(frame, card).id : decodeRequest(frame, card).id;
    await scripted.send([identity3!, reply({ kind: "prediction", id, episode: 1, fed: 1, tokens: [tick(21)] })]);
    return frame;
  })();
  const remote = await RemotePolicy.connect({ url, deadlineMs: 2000, log: (l) => log.push(l) });
  try {
    await remote.start(prefix());
    assert.ok(tokensEqual(await remote.step(tick(20)), tick(21)));
    return { frame: await serve, log };
  } finally {
    await remote.close();
    scripted.close();
  }
}

test("steps go raw only to a server that advertised this build's raw version; msgpack otherwise", async () => {
  const current = await stepTo(RAW_VERSION);
  assert.ok(isRawFrame(current.frame), "raw to a server that reads raw frames v1");
  const older = await stepTo(undefined);
  assert.ok(!isRawFrame(older.frame), "msgpack to a server that never mentioned raw frames");
  const newer = await stepTo(RAW_VERSION + 1);
  assert.ok(!isRawFrame(newer.frame), "msgpack to a server that reads another raw version");
  assert.ok(newer.log.some((l) => l.includes(`the server reads raw frame version ${RAW_VERSION + 1}, this build writes version ${RAW_VERSION}`)), newer.log.join("\n"));
});
