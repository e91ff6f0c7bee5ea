// Frames that are not requests (or replies) of the protocol are counted and dropped; the server and
// the client go on serving.
import assert from "node:assert/strict";
import { pack } from "msgpackr";
import { after, before, test } from "node:test";
import { Dealer, Router } from "zeromq";
import { encodeFrame } from "../../src/omnitoken/codec.ts";
import { RemotePolicy } from "../../src/policy/remote/client.ts";
import { encodeReply } from "../../src/policy/remote/replies.ts";
import { decodeRequest, encodeRequest } from "../../src/policy/remote/requests.ts";
import type { PolicyServer } from "../../src/policy/remote/server.ts";
import { card, prefix, sleep, startServer, tick } from "./fixtures.ts";

let server: PolicyServer;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.close();
});

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(5);
  }
}

test("garbage frames are counted and dropped; an addressable bad request gets an error reply", async () => {
  const raw = new Dealer({ linger: 0 });
  raw.connect(server.endpoint.replace("zmq:", "tcp:"));
  const before = server.stats();
  const badToken = tick(3);
  badToken.columns.action!.data = new Float32Array(99); // not the card's action width
  const frames: (Buffer | Uint8Array | Buffer[])[] = [
    Buffer.from("GET / HTTP/1.1\r\n\r\n"), // a stray client of another protocol
    Buffer.alloc(0), // empty
    [Buffer.from("a"), Buffer.from("b")], // two frames
    Buffer.from(pack({ v: 1, kind: "hello", client: "x", id: 1 })), // msgpack without the frame header
    encodeFrame({ v: 99, kind: "hello", client: "x", id: 1 }), // another protocol version
    encodeFrame([1, 2, 3]), // not a map
    encodeFrame({ v: 1, kind: "dance", client: "x", id: 2 }), // unknown kind (addressable)
    encodeFrame({ v: 1, kind: "step", client: "x", id: 3, episode: 1, from: 0, tokens: [badToken] }), // bad token (addressable)
  ];
  for (const f of frames) await raw.send(f as Buffer);
  await until(() => server.stats().malformed - before.malformed === frames.length);
  // the two addressable ones were answered, so their client need not wait for a deadline
  const replies = [await raw.receive(), await raw.receive()].map((p) => p[0]!.toString("latin1"));
  assert.ok(replies.every((r) => r.includes("bad_request")));
  raw.close();
  assert.equal(server.stats().malformed - before.malformed, frames.length);
  // the server still serves a real client
  const remote = await RemotePolicy.connect({ url: server.endpoint, deadlineMs: 2000 });
  await remote.start(prefix());
  await remote.step(tick(30));
  await remote.close();
});

test("the bad request's error names the field", () => {
  const badToken = tick(3);
  badToken.columns.action!.data = new Float32Array(99);
  const bytes = encodeRequest({ kind: "step", client: "c", id: 1, episode: 1, from: 0, tokens: [badToken] });
  assert.throws(() => decodeRequest(bytes, card), {
    name: "ProtocolError",
    message: 'request "step": tokens[0] is not an omnitoken of card micro-random: columns.action.data: expected Float32Array(3) for the action column, got Float32Array(99)',
  });
  assert.throws(() => decodeRequest(encodeFrame({ v: 2, kind: "hello" }), card), {
    name: "ProtocolError",
    message: "request: protocol version 2, this build speaks version 1 (update the older side)",
  });
});

test("the client counts and drops garbage replies, and takes the real one", async () => {
  const scripted = new Router({ linger: 0 });
  await scripted.bind("tcp://127.0.0.1:*");
  const url = scripted.lastEndpoint!.replace("tcp:", "zmq:");
  const serve = (async () => {
    const [identity, body] = await scripted.receive();
    const hello = decodeRequest(body!, card);
    await scripted.send([identity!, Buffer.from("garbage")]);
    await scripted.send([identity!, encodeFrame({ v: 1, kind: "welcome", id: hello.id })]); // no server id, no card
    await scripted.send([identity!, encodeReply({ kind: "welcome", id: hello.id, server: "scripted", card, provider: "cpu" })]);
  })();
  const remote = await RemotePolicy.connect({ url, connectTimeoutMs: 2000 });
  await serve;
  assert.equal(remote.malformedReplies, 2);
  assert.equal(remote.card.name, card.name);
  await remote.close();
  scripted.close();
});
