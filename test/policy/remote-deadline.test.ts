// The link's deadlines (src/policy/remote/link.ts): one timer watches every pending request, yet
// each request fails at its own deadline — an earlier one added after a later one included — and a
// reply that comes after its deadline is handed on as late, with the kind of request it answers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Router } from "zeromq";
import { parsePolicyEndpoint } from "../../src/policy/remote/endpoint.ts";
import { PolicyUnavailableError } from "../../src/policy/remote/errors.ts";
import { Link } from "../../src/policy/remote/link.ts";
import { decodeRawRequest, isRawFrame } from "../../src/policy/remote/raw.ts";
import { encodeReply, type Reply } from "../../src/policy/remote/replies.ts";
import { decodeRequest, type Request } from "../../src/policy/remote/requests.ts";
import { card, prefix, tick } from "../remote/fixtures.ts";

test("each request fails at its own deadline; a reply after it is handed on as late", async () => {
  const scripted = new Router({ linger: 0 });
  await scripted.bind("tcp://127.0.0.1:*");
  const late: { reply: Reply; kind: Request["kind"] | undefined }[] = [];
  const link = new Link({
    endpoint: parsePolicyEndpoint(scripted.lastEndpoint!.replace("tcp:", "zmq:")),
    heartbeatMs: 10_000,
    silenceMs: 30_000,
    onLate: (reply, kind) => late.push({ reply, kind }),
    log: () => {},
  });
  const seen: { identity: Buffer; request: Request }[] = [];
  const serving = (async () => {
    for (;;) {
      const [identity, body] = await scripted.receive().catch(() => [] as Buffer[]);
      if (!identity) return;
      const request: Request = isRawFrame(body!) ? decodeRawRequest(body!, card) : decodeRequest(body!, card);
      seen.push({ identity, request });
      if (request.kind === "hello") await scripted.send([identity, encodeReply({ kind: "welcome", id: request.id, server: "scripted", card, provider: "cpu" })]);
    }
  })();
  try {
    const welcome = await link.request({ kind: "hello" }, 2000, { untilConnected: true });
    assert.equal(welcome.kind, "welcome");
    link.card = card;
    const t0 = performance.now();
    const settled = (p: Promise<Reply>) => p.then(
      () => assert.fail("no reply was sent, the request must fail"),
      (err: unknown) => {
        assert.ok(err instanceof PolicyUnavailableError, String(err));
        return { ms: performance.now() - t0, message: err.message };
      },
    );
    // The later deadline first: the shared timer must be re-armed for the earlier one.
    const slow = settled(link.request({ kind: "start", episode: 1, prefix: prefix(), from: 0, tokens: [] }, 250));
    const fast = settled(link.request({ kind: "step", episode: 1, from: 0, tokens: [tick(20)] }, 40));
    const [f, s] = [await fast, await slow];
    assert.match(f.message, /no reply to step within 40 ms/);
    assert.match(s.message, /no reply to start within 250 ms/);
    assert.ok(f.ms >= 39 && f.ms < 40 + 100, `the step failed at its deadline (${f.ms.toFixed(1)} ms)`);
    assert.ok(s.ms >= 249 && s.ms < 250 + 100, `the start failed at its own, later deadline (${s.ms.toFixed(1)} ms)`);
    // A reply after the deadline: late, and it says which request it answers.
    const start = seen.find((x) => x.request.kind === "start")!;
    await scripted.send([start.identity, encodeReply({ kind: "prediction", id: start.request.id, server: "scripted", episode: 1, fed: 0, tokens: [tick(21)] })]);
    const until = Date.now() + 2000;
    while (late.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    assert.equal(late.length, 1);
    assert.equal(late[0]!.kind, "start");
    // A request answered in time resolves, and its deadline later rejects nothing.
    const count = seen.length;
    const answered = link.request({ kind: "step", episode: 1, from: 0, tokens: [tick(22)] }, 60);
    const by = Date.now() + 2000;
    while (seen.length === count && Date.now() < by) await new Promise((r) => setTimeout(r, 1));
    const step = seen.at(-1)!;
    await scripted.send([step.identity, encodeReply({ kind: "prediction", id: step.request.id, server: "scripted", episode: 1, fed: 1, tokens: [tick(23)] })]);
    assert.equal((await answered).kind, "prediction");
    await new Promise((r) => setTimeout(r, 80));
  } finally {
    await link.close();
    scripted.close();
    await serving;
  }
});
