// The policy server (`omniloop serve-policy`): a model served over ZeroMQ to robots whose computers
// are too weak for it. One ROUTER socket; each client (DEALER) gets a session with its own policy
// and KV cache. Frames that are not requests are counted and dropped; the server goes on.
//
// Steps and rollouts arrive as raw frames (raw.ts) from clients that heard this server advertise
// them, as msgpack from the others; a prediction goes back in the encoding its request came in.
//
// Security: loopback by default. Any other address needs a CURVE key pair (the clients then need
// its public key: without it their handshake fails and they are refused); with `authorizedKeys`,
// only those client keys are admitted (ZAP, zap.ts).
import { randomBytes } from "node:crypto";
import { Context, Router } from "zeromq";
import type { ModelCard } from "../../omnitoken/card-types.ts";
import type { Policy } from "../types.ts";
import { parsePolicyEndpoint, requireCurveOffLoopback } from "./endpoint.ts";
import type { KeyPair } from "./keys.ts";
import { decodeRawRequest, encodeRawPrediction, isRawFrame, RawFrameError } from "./raw.ts";
import { encodeReply, type ErrorCode, type Reply } from "./replies.ts";
import { checkRequest, requestAddress, type Request } from "./requests.ts";
import { Session } from "./session.ts";
import { decodeMessage, useOutBatch, type Fields } from "./wire.ts";
import { ZapHandler } from "./zap.ts";

export interface PolicyServerOptions {
  /** zmq://HOST:PORT (or tcp://…); port 0 picks a free one (see `endpoint`). */
  bind: string;
  card: ModelCard;
  /** The provider the sessions' policies run on, for the welcome ("cpu", "cuda", …). */
  provider: string;
  /** A fresh policy for a new session (its own KV cache). Called once at start to check the model. */
  createPolicy: () => Promise<Policy>;
  /** The server's CURVE key pair; required for a non-loopback bind. */
  curve?: KeyPair;
  /** Client public keys (Z85) admitted; absent: any client that has the server's key. */
  authorizedKeys?: readonly string[];
  /** A session idle this long is closed (its policy released). Default 60 000 ms. */
  sessionTimeoutMs?: number;
  /** More sessions than this are refused with `busy`. Default 16. */
  maxSessions?: number;
  log?: (line: string) => void;
}

export interface PolicyServerStats {
  requests: number;
  /** Frames that were not requests of this protocol: counted and dropped. */
  malformed: number;
  /** Requests answered with an error. */
  errors: number;
  sessions: number;
  opened: number;
  expired: number;
  /** Client connections refused at the CURVE handshake or by ZAP. */
  refused: number;
}

export class PolicyServer {
  /** Random per process: a client that sees it change knows its session is gone. */
  readonly id = randomBytes(8).toString("hex");
  /** The bound endpoint (the real port when `bind` asked for port 0). */
  readonly endpoint: string;
  private readonly o: PolicyServerOptions;
  private readonly sessions = new Map<string, Session>();
  private readonly opening = new Map<string, Promise<Session | undefined>>();
  private readonly counts: Omit<PolicyServerStats, "sessions"> = { requests: 0, malformed: 0, errors: 0, opened: 0, expired: 0, refused: 0 };
  private spare: Promise<Policy> | undefined;
  private closed = false;
  private readonly loops: Promise<void>[];
  private readonly expiry: NodeJS.Timeout;
  private readonly log: (line: string) => void;

  private constructor(o: PolicyServerOptions, private readonly router: Router, endpoint: string, first: Policy, private readonly zap: ZapHandler | undefined) {
    this.o = o;
    this.endpoint = endpoint;
    this.log = o.log ?? (() => {});
    this.spare = Promise.resolve(first);
    this.loops = [this.receiveLoop(), this.eventLoop()];
    const timeout = o.sessionTimeoutMs ?? 60_000;
    this.expiry = setInterval(() => void this.expire(timeout), Math.max(50, timeout / 4));
    this.expiry.unref();
  }

  static async start(o: PolicyServerOptions): Promise<PolicyServer> {
    const e = parsePolicyEndpoint(o.bind);
    requireCurveOffLoopback(e, Boolean(o.curve), "bind", "pass --key SERVER.key_secret (make one with `omniloop keys`)");
    // The model is checked before the port opens: a server that cannot run it never accepts a client.
    const first = await o.createPolicy();
    // A context of its own: the ZAP handler's inproc address is per context, so two servers in one
    // process (tests, a multi-model host) never share one.
    const context = new Context();
    const zap = o.curve && o.authorizedKeys ? await ZapHandler.start(context, o.authorizedKeys) : undefined;
    const router = new Router({
      context,
      linger: 0,
      ipv6: e.ipv6,
      ...(o.curve ? { curveServer: true, curveSecretKey: o.curve.secretKey, zapDomain: "omniloop" } : {}),
    });
    useOutBatch(router, o.log ?? (() => {}));
    void router.events; // the monitor attached before bind: a client refused at once is still counted
    try {
      await router.bind(e.zmq);
    } catch (err) {
      await first.close();
      router.close();
      zap?.close();
      throw new Error(`${e.url}: cannot bind (${err instanceof Error ? err.message : String(err)}); is another server on that port?`);
    }
    const bound = router.lastEndpoint ?? e.zmq;
    return new PolicyServer(o, router, bound.replace(/^tcp:/, "zmq:"), first, zap);
  }

  stats(): PolicyServerStats {
    return { ...this.counts, sessions: this.sessions.size, refused: this.counts.refused + (this.zap?.refused ?? 0) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.expiry);
    this.router.close();
    await Promise.all(this.loops);
    this.zap?.close();
    const spare = this.spare;
    this.spare = undefined;
    await Promise.all([...[...this.sessions.values()].map((s) => s.close()), spare?.then((p) => p.close(), () => undefined)]);
    this.sessions.clear();
  }

  private async receiveLoop(): Promise<void> {
    while (!this.closed) {
      let parts: Buffer[];
      try {
        parts = await this.router.receive();
      } catch (err) {
        if (this.closed) return;
        this.log(`receive failed: ${String(err)}`);
        await new Promise((r) => setTimeout(r, 10)); // never spin on a failing socket
        continue;
      }
      void this.handle(parts);
    }
  }

  /** Counts handshake failures: a client with the wrong server key shows up only here. */
  private async eventLoop(): Promise<void> {
    try {
      for await (const event of this.router.events) {
        if (event.type === "handshake:error:protocol" || event.type === "handshake:error:auth" || event.type === "handshake:error:other") {
          this.counts.refused += 1;
          this.log(`refused a client at the CURVE handshake from ${event.address} (${event.error.message})`);
        }
      }
    } catch (err) {
      if (!this.closed) this.log(`socket events stopped: ${String(err)}`);
    }
  }

  private async handle(parts: Buffer[]): Promise<void> {
    const identity = parts[0]!;
    this.counts.requests += 1;
    if (parts.length !== 2) return this.malformed(`expected 1 frame per request, found ${parts.length - 1}`);
    const body = parts[1]!;
    const raw = isRawFrame(body);
    let request: Request;
    if (raw) {
      try {
        request = decodeRawRequest(body, this.o.card);
      } catch (err) {
        this.malformed((err as Error).message);
        const to = err instanceof RawFrameError ? err.address : undefined;
        if (to) await this.error(identity, to.id, "bad_request", (err as Error).message);
        return;
      }
    } else {
      let fields: Fields;
      try {
        fields = decodeMessage(body, "request");
      } catch (err) {
        return this.malformed((err as Error).message);
      }
      try {
        request = checkRequest(fields, this.o.card);
      } catch (err) {
        // A request we can address gets an answer (so its client need not wait for a deadline).
        this.malformed((err as Error).message);
        const to = requestAddress(fields);
        if (to) await this.error(identity, to.id, "bad_request", (err as Error).message);
        return;
      }
    }
    try {
      await this.dispatch(identity, request, raw);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log(`client ${request.client}: ${request.kind} failed: ${message}`);
      await this.error(identity, request.id, "failed", message);
    }
  }

  /** `raw`: the request came as a raw frame, so its prediction goes back as one. */
  private async dispatch(identity: Buffer, r: Request, raw: boolean): Promise<void> {
    const session = this.sessions.get(r.client);
    if (session) session.lastSeenMs = Date.now();
    switch (r.kind) {
      case "hello":
        return this.send(identity, { kind: "welcome", id: r.id, server: this.id, card: this.o.card, provider: this.o.provider });
      case "ping":
        return this.send(identity, { kind: "pong", id: r.id, server: this.id });
      case "bye":
        if (session) {
          this.sessions.delete(r.client);
          await session.close();
          this.log(`client ${r.client}: session closed`);
        }
        return this.send(identity, { kind: "pong", id: r.id, server: this.id });
      case "start": {
        const s = session ?? (await this.open(r.client));
        if (!s) return this.error(identity, r.id, "busy", `the server holds ${this.sessions.size} sessions, its maximum; try later or another server`);
        return this.answer(identity, r.id, await s.handle(r), false);
      }
      case "step":
      case "rollout":
        if (!session) return this.error(identity, r.id, "no_session", `no session for client ${r.client} on server ${this.id} (restarted or expired); send start`);
        return this.answer(identity, r.id, await session.handle(r), raw);
    }
  }

  private async answer(identity: Buffer, id: number, o: Awaited<ReturnType<Session["handle"]>>, raw: boolean): Promise<void> {
    if (o.kind === "out_of_sync") return this.error(identity, id, "out_of_sync", o.message);
    const reply = { kind: "prediction", id, server: this.id, episode: o.episode, fed: o.fed, tokens: o.tokens } as const;
    // A prediction that does not fit the card goes as msgpack: the client's checks then name why.
    return this.send(identity, reply, raw ? encodeRawPrediction(reply, this.o.card) : undefined);
  }

  /** A session for `client`; undefined when the server is full. Two starts racing for one client
   * get the same session, and each session its own policy (the spare is taken before any await). */
  private open(client: string): Promise<Session | undefined> {
    const opening = this.opening.get(client);
    if (opening) return opening;
    if (this.sessions.size + this.opening.size >= (this.o.maxSessions ?? 16)) return Promise.resolve(undefined);
    // The spare was loaded ahead, so a new (or re-prefilling) client does not wait for a model load.
    const policy = this.spare ?? this.o.createPolicy();
    this.spare = this.closed ? undefined : this.o.createPolicy();
    this.spare?.catch((err: unknown) => this.log(`loading a spare policy failed: ${String(err)}`));
    const made = policy
      .then((p) => {
        const session = new Session(client, p, Date.now());
        this.sessions.set(client, session);
        this.counts.opened += 1;
        this.log(`client ${client}: session opened (${this.sessions.size} open)`);
        return session;
      })
      .finally(() => this.opening.delete(client));
    this.opening.set(client, made);
    return made;
  }

  private async expire(timeoutMs: number): Promise<void> {
    const now = Date.now();
    for (const [client, s] of this.sessions) {
      if (now - s.lastSeenMs <= timeoutMs) continue;
      this.sessions.delete(client);
      this.counts.expired += 1;
      this.log(`client ${client}: session expired after ${timeoutMs} ms without a request`);
      await s.close();
    }
  }

  private malformed(reason: string): void {
    this.counts.malformed += 1;
    this.log(`dropped a malformed frame: ${reason}`);
  }

  private error(identity: Buffer, id: number, code: ErrorCode, message: string): Promise<void> {
    this.counts.errors += 1;
    return this.send(identity, { kind: "error", id, server: this.id, code, message });
  }

  /** Sends `reply`, already encoded as `frame` when given (a raw prediction), else as msgpack. */
  private async send(identity: Buffer, reply: Reply, frame?: Uint8Array): Promise<void> {
    if (this.closed) return;
    try {
      await this.router.send([identity, frame ?? encodeReply(reply)]);
    } catch (err) {
      // Unroutable (the client went away) or closing: the client's deadline covers it.
      if (!this.closed) this.log(`reply ${reply.kind} to a client could not be sent: ${String(err)}`);
    }
  }
}
