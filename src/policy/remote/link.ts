// The client's side of the wire: one DEALER socket to the policy server, requests matched to replies
// by id, each with its own deadline, heartbeats while idle, and what the client has heard of the
// server (its instance id, when it last answered, why it refuses us, which raw frame version it
// reads). Replies that arrive after their deadline are handed to `onLate` (they still say what the
// server has fed).
//
// Per step it allocates the request's frame and its promise, nothing else: steps go as raw frames
// (raw.ts) to a server that advertised them, and every request's deadline is watched by one timer
// that is re-armed only when a request's deadline is earlier than the one it is armed for.
import { randomBytes } from "node:crypto";
import { Dealer } from "zeromq";
import type { ModelCard } from "../../omnitoken/card-types.ts";
import { PolicyUnavailableError, ProtocolError } from "./errors.ts";
import type { KeyPair } from "./keys.ts";
import { decodeRawPrediction, encodeRawRequest, isRawFrame, RAW_VERSION } from "./raw.ts";
import { decodeReply, type Reply } from "./replies.ts";
import { encodeRequest, type Request } from "./requests.ts";
import { useOutBatch } from "./wire.ts";
import type { PolicyEndpoint } from "./endpoint.ts";

/** A request before the link stamps it with the client id and a request id. */
export type Outgoing = Request extends infer R ? (R extends Request ? Omit<R, "client" | "id"> : never) : never;

export interface LinkOptions {
  endpoint: PolicyEndpoint;
  /** CURVE: the server's public key and this client's pair. */
  curve?: { serverKey: string; client: KeyPair };
  /** Idle time after which a ping is sent. */
  heartbeatMs: number;
  /** No reply at all for this long: the server is considered gone (also ZMTP heartbeat timeout). */
  silenceMs: number;
  /** A reply after its deadline, with the kind of request it answers. */
  onLate?: (reply: Reply, kind: Request["kind"] | undefined) => void;
  log: (line: string) => void;
}

interface Pending {
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
  kind: Request["kind"];
  /** performance.now() by which the reply must be here. */
  deadline: number;
  deadlineMs: number;
}

/** A deadline this close (ms) counts as passed: timers fire on a millisecond clock. */
const DEADLINE_SLACK_MS = 0.5;

export class Link {
  readonly client = randomBytes(8).toString("hex");
  /** Replies that were not replies of this protocol: counted and dropped. */
  malformed = 0;
  /** The server instance that answered last. */
  serverId: string | undefined;
  /** The card replies are checked against, once the welcome brought it. */
  card: ModelCard | undefined;
  /** The server instance that last advertised the raw frame version this build writes. */
  private rawServer: string | undefined;
  private rawMismatchLogged = false;
  private readonly o: LinkOptions;
  private readonly socket: Dealer;
  private readonly pending = new Map<number, Pending>();
  /** Requests whose deadline passed, by id (the newest few): what a late reply answers. */
  private readonly expired = new Map<number, Request["kind"]>();
  private nextId = 1;
  private lastSentMs = 0;
  private lastHeardMs: number | undefined;
  private handshakeError: string | undefined;
  private connected = false;
  private closed = false;
  private readonly loops: Promise<void>[];
  private readonly heartbeat: NodeJS.Timeout;
  /** One timer for every pending request's deadline, armed for the earliest (`deadlineAt`). */
  private deadlineTimer: NodeJS.Timeout | undefined;
  private deadlineAt = Infinity;

  constructor(o: LinkOptions) {
    this.o = o;
    this.socket = new Dealer({
      linger: 0,
      ipv6: o.endpoint.ipv6,
      // No queue towards a server that is not there: a send fails at once (EAGAIN) instead of
      // delivering a stale observation when it comes back.
      immediate: true,
      sendTimeout: 0,
      reconnectInterval: 100,
      // No ZMTP heartbeats: measured, they add ~70 µs to every round trip on loopback. The
      // application's pings (below) and each step's deadline notice a dead or silent server.
      ...(o.curve ? { curveServerKey: o.curve.serverKey, curvePublicKey: o.curve.client.publicKey, curveSecretKey: o.curve.client.secretKey } : {}),
    });
    useOutBatch(this.socket, o.log);
    // Events first: the monitor sees only what happens after it is attached, and a refused
    // handshake can happen within microseconds of connect().
    const events = this.eventLoop();
    this.socket.connect(o.endpoint.zmq);
    this.loops = [this.receiveLoop(), events];
    this.heartbeat = setInterval(() => this.ping(), o.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Sends `r` and resolves with its reply; rejects with PolicyUnavailableError when no reply comes
   * within `deadlineMs`. With `untilConnected`, a send that finds no connection is retried until the
   * deadline (connecting, starting an episode); without, it fails at once (a tick's step). */
  request(r: Outgoing, deadlineMs: number, options: { untilConnected?: boolean } = {}): Promise<Reply> {
    if (this.closed) return Promise.reject(new PolicyUnavailableError(`${this.o.endpoint.url}: the remote policy is closed`));
    const id = this.nextId++;
    const deadline = performance.now() + Math.max(0, deadlineMs);
    const request = { ...r, client: this.client, id } as Request;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, kind: r.kind, deadline, deadlineMs });
      this.watch(deadline);
      this.attempt(request, deadline, options.untilConnected === true);
    });
  }

  /** Whether steps go to the server as raw frames: it advertised the version this build writes. */
  get raw(): boolean {
    return this.rawServer !== undefined && this.rawServer === this.serverId && this.card !== undefined;
  }

  /** Sends a pending request; a send that finds no connection is retried every 10 ms until its
   * deadline with `untilConnected`, else it fails the request at once. */
  private attempt(r: Request, deadline: number, untilConnected: boolean): void {
    this.send(r).catch((err: unknown) => {
      const p = this.pending.get(r.id);
      if (!p) return; // timed out or closed meanwhile
      if (untilConnected && (err as { code?: string }).code === "EAGAIN" && performance.now() + 10 < deadline) {
        setTimeout(() => {
          if (this.pending.has(r.id)) this.attempt(r, deadline, untilConnected);
        }, 10);
        return;
      }
      this.settle(r.id);
      p.reject(new PolicyUnavailableError(`${this.o.endpoint.url}: cannot send ${r.kind}: ${this.sendFailure(err)}`));
    });
  }

  /** Arms the deadline timer for `deadline` unless it is armed for an earlier one already. */
  private watch(deadline: number): void {
    if (this.deadlineTimer !== undefined && this.deadlineAt <= deadline) {
      this.deadlineTimer.ref();
      return;
    }
    if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer);
    this.deadlineAt = deadline;
    this.deadlineTimer = setTimeout(() => this.expire(), Math.max(0, deadline - performance.now()));
  }

  /** Rejects every request whose deadline has passed; re-arms for the earliest left. */
  private expire(): void {
    this.deadlineTimer = undefined;
    this.deadlineAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const [id, p] of this.pending) {
      if (p.deadline > now + DEADLINE_SLACK_MS) {
        next = Math.min(next, p.deadline);
        continue;
      }
      this.pending.delete(id);
      this.expired.set(id, p.kind);
      if (this.expired.size > 64) this.expired.delete(this.expired.keys().next().value!);
      p.reject(new PolicyUnavailableError(`${this.o.endpoint.url}: no reply to ${p.kind} within ${Math.round(p.deadlineMs)} ms (${this.describe()})`));
    }
    if (next !== Infinity) this.watch(next);
  }

  /** Forgets a pending request; with none left, the deadline timer no longer keeps the process up. */
  private settle(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.deadlineTimer?.unref();
  }

  /** Why the server may not be answering, for messages: silence, refusal, or no connection. */
  describe(): string {
    const parts: string[] = [];
    if (this.handshakeError) parts.push(`the server refused the CURVE handshake: ${this.handshakeError}`);
    if (!this.connected) parts.push("not connected");
    if (this.lastHeardMs === undefined) parts.push("never answered");
    else parts.push(`last answered ${Math.round(Date.now() - this.lastHeardMs)} ms ago`);
    return parts.join("; ");
  }

  /** Whether the server has answered within the silence bound. */
  get alive(): boolean {
    return this.lastHeardMs !== undefined && Date.now() - this.lastHeardMs <= this.o.silenceMs;
  }

  get refusedHandshake(): string | undefined {
    return this.handshakeError;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer);
    for (const [, p] of this.pending) {
      p.reject(new PolicyUnavailableError(`${this.o.endpoint.url}: the remote policy was closed while waiting`));
    }
    this.pending.clear();
    this.socket.close();
    await Promise.all(this.loops);
  }

  private send(r: Request): Promise<void> {
    this.lastSentMs = Date.now();
    let frame: Uint8Array | undefined;
    try {
      if ((r.kind === "step" || r.kind === "rollout") && this.raw) frame = encodeRawRequest(r, this.card!);
      frame ??= encodeRequest(r);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.socket.send(frame);
  }

  private sendFailure(err: unknown): string {
    const code = (err as { code?: string }).code;
    if (code === "EAGAIN") return `no connection to the server (${this.describe()})`;
    return err instanceof Error ? err.message : String(err);
  }

  private ping(): void {
    if (this.closed || Date.now() - this.lastSentMs < this.o.heartbeatMs) return;
    // Fire and forget: any reply counts as a sign of life; a failed send just means "not connected".
    this.send({ kind: "ping", client: this.client, id: 0 }).catch(() => undefined);
  }

  private async receiveLoop(): Promise<void> {
    while (!this.closed) {
      let parts: Buffer[];
      try {
        parts = await this.socket.receive();
      } catch (err) {
        if (this.closed) return;
        this.o.log(`receive failed: ${String(err)}`);
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      this.handle(parts);
    }
  }

  private handle(parts: Buffer[]): void {
    let reply: Reply;
    try {
      if (parts.length !== 1) throw new ProtocolError(`reply: expected 1 frame, found ${parts.length}`);
      const frame = parts[0]!;
      reply = isRawFrame(frame) ? decodeRawPrediction(frame, this.card) : decodeReply(frame, this.card);
    } catch (err) {
      this.malformed += 1;
      this.o.log(`dropped a malformed reply: ${(err as Error).message}`);
      return;
    }
    this.lastHeardMs = Date.now();
    this.handshakeError = undefined;
    this.serverId = reply.server;
    if (reply.raw === RAW_VERSION) this.rawServer = reply.server;
    else if (reply.raw !== undefined && !this.rawMismatchLogged) {
      this.rawMismatchLogged = true;
      this.o.log(`the server reads raw frame version ${reply.raw}, this build writes version ${RAW_VERSION}: steps go as msgpack frames (slower; update the older side)`);
    }
    const p = this.pending.get(reply.id);
    if (!p) {
      if (reply.id !== 0) {
        // id 0: a heartbeat's pong
        this.o.onLate?.(reply, this.expired.get(reply.id));
        this.expired.delete(reply.id);
      }
      return;
    }
    this.settle(reply.id);
    p.resolve(reply);
  }

  private async eventLoop(): Promise<void> {
    try {
      for await (const event of this.socket.events) {
        if (event.type === "handshake") {
          this.connected = true;
          this.handshakeError = undefined;
        } else if (event.type === "disconnect") {
          this.connected = false;
        } else if (event.type === "handshake:error:protocol" || event.type === "handshake:error:auth" || event.type === "handshake:error:other") {
          this.connected = false;
          this.handshakeError = event.type === "handshake:error:auth" ? "this client's key is not authorised by the server" : `wrong server key, or the server expects another mechanism (${event.error.message})`;
        }
      }
    } catch (err) {
      if (!this.closed) this.o.log(`socket events stopped: ${String(err)}`);
    }
  }
}
