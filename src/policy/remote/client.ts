// The remote policy: a model served by `omniloop serve-policy`, used by the loop as if it were local
// (`--policy zmq://HOST:PORT`). Each step has a deadline; a step that cannot be answered in time
// rejects with PolicyUnavailableError, and the loop holds the robot for that tick and says why.
//
// The client keeps what it fed since the command prefix (up to the context length), so when the
// server restarts or loses the session it re-prefills it — prefix, then the kept observations — and
// carries on: at once if that fits in the step's deadline, else on a later tick.
import type { ModelCard } from "../../omnitoken/card-types.ts";
import type { Omnitoken } from "../../omnitoken/types.ts";
import type { Policy } from "../types.ts";
import { parsePolicyEndpoint, requireCurveOffLoopback, type PolicyEndpoint } from "./endpoint.ts";
import { PolicyUnavailableError, RemotePolicyRefusedError } from "./errors.ts";
import { makeKeyPair, type KeyPair } from "./keys.ts";
import { Link, type Outgoing } from "./link.ts";
import type { Reply } from "./replies.ts";

export interface RemotePolicyOptions {
  /** zmq://HOST:PORT of a policy server. */
  url: string;
  /** The server's CURVE public key (Z85); required for a non-loopback server. */
  serverKey?: string;
  /** This client's CURVE pair (for a server that admits listed keys only); default a fresh pair. */
  clientKeys?: KeyPair;
  /** Per-step deadline; default half the card's control period. */
  deadlineMs?: number;
  /** How long connect() and start() may wait. Default 5000 ms. */
  connectTimeoutMs?: number;
  /** Heartbeat period while idle. Default 100 ms; the server is called silent after 3 periods. */
  heartbeatMs?: number;
  log?: (line: string) => void;
}

export class RemotePolicy implements Policy {
  readonly card: ModelCard;
  readonly provider: string;
  readonly endpoint: PolicyEndpoint;
  /** Re-prefills sent (the server restarted, expired the session, or missed tokens). */
  resyncs = 0;
  private readonly link: Link;
  private readonly deadlineMs: number;
  private readonly connectTimeoutMs: number;
  private readonly log: (line: string) => void;
  private episode = 0;
  private prefix: Omnitoken[] = [];
  /** What was fed since the prefix: seq historyFrom … historyFrom + history.length - 1. */
  private history: Omnitoken[] = [];
  private historyFrom = 0;
  /** How many tokens the server's session holds (seq < acked), per its last reply. */
  private acked = 0;
  private needResync = true;
  private sessionServer: string | undefined;

  private constructor(link: Link, card: ModelCard, serverProvider: string, o: RemotePolicyOptions, endpoint: PolicyEndpoint) {
    this.link = link;
    this.card = card;
    this.endpoint = endpoint;
    this.provider = `${endpoint.url} (${serverProvider})`;
    this.deadlineMs = o.deadlineMs ?? 500 / card.control_rate_hz;
    this.connectTimeoutMs = o.connectTimeoutMs ?? 5000;
    this.log = o.log ?? (() => {});
  }

  /** Connects and asks the server for its card. Rejects with RemotePolicyRefusedError when the
   * server refuses this client (CURVE), PolicyUnavailableError when none answers in time. */
  static async connect(o: RemotePolicyOptions): Promise<RemotePolicy> {
    const endpoint = parsePolicyEndpoint(o.url);
    requireCurveOffLoopback(endpoint, Boolean(o.serverKey), "connect", "pass the server's public key (--server-key SERVER.key)");
    const heartbeatMs = o.heartbeatMs ?? 100;
    const made: { policy?: RemotePolicy } = {}; // late replies reach the policy once it exists
    const link = new Link({
      endpoint,
      ...(o.serverKey ? { curve: { serverKey: o.serverKey, client: o.clientKeys ?? makeKeyPair() } } : {}),
      heartbeatMs,
      silenceMs: 3 * heartbeatMs,
      onLate: (reply, kind) => {
        if (reply.kind === "prediction") made.policy?.note(reply, kind === "start");
      },
      log: o.log ?? (() => {}),
    });
    let welcome: Reply;
    try {
      welcome = await link.request({ kind: "hello" }, o.connectTimeoutMs ?? 5000, { untilConnected: true });
    } catch (err) {
      const refused = link.refusedHandshake;
      await link.close();
      if (refused) throw new RemotePolicyRefusedError(`${endpoint.url}: the server refused the CURVE handshake: ${refused}`);
      if (err instanceof PolicyUnavailableError) {
        throw new PolicyUnavailableError(`${err.message}; is \`omniloop serve-policy --bind ${endpoint.url}\` running?`);
      }
      throw err;
    }
    if (welcome.kind !== "welcome") {
      await link.close();
      throw new RemotePolicyRefusedError(`${endpoint.url}: expected a welcome, got ${welcome.kind}${welcome.kind === "error" ? `: ${welcome.message}` : ""}`);
    }
    link.card = welcome.card;
    made.policy = new RemotePolicy(link, welcome.card, welcome.provider, o, endpoint);
    return made.policy;
  }

  /** Replies seen so far that were not replies of the protocol (counted, dropped). */
  get malformedReplies(): number {
    return this.link.malformed;
  }

  /** Whether the server answered within the heartbeat bound. */
  get alive(): boolean {
    return this.link.alive;
  }

  async start(prefix: readonly Omnitoken[]): Promise<Omnitoken> {
    if (prefix.length === 0) throw new RangeError("policy start: the command prefix is empty (expected at least BOS … SEP)");
    this.episode += 1;
    this.prefix = prefix.slice();
    this.history = [];
    this.historyFrom = 0;
    this.acked = 0;
    this.needResync = true;
    // A new session may wait for its model: start gets the connect timeout, not a tick's deadline.
    const reply = await this.exchange({ kind: "start", episode: this.episode, prefix: this.prefix, from: 0, tokens: [] }, this.connectTimeoutMs, true);
    return reply.tokens[0]!;
  }

  async step(token: Omnitoken): Promise<Omnitoken> {
    return (await this.feed(token, 1))[0]!;
  }

  async rollout(token: Omnitoken, horizon: number): Promise<Omnitoken[]> {
    if (!Number.isInteger(horizon) || horizon < 1) throw new RangeError(`rollout horizon: expected a positive integer, got ${horizon}`);
    return this.feed(token, horizon);
  }

  async close(): Promise<void> {
    // Best effort: the server's idle timeout closes the session anyway.
    await this.link.request({ kind: "bye" }, 100).catch(() => undefined);
    await this.link.close();
  }

  /** Keeps `token` in the history (it was observed, whether or not the server gets it now), then
   * brings the server's session up to date and asks for the prediction, all within one deadline. */
  private async feed(token: Omnitoken, horizon: number): Promise<Omnitoken[]> {
    if (this.prefix.length === 0) throw new Error("remote policy: step before start (no command prefix yet)");
    this.remember(token);
    const deadline = performance.now() + this.deadlineMs;
    const left = () => deadline - performance.now();
    // Two rounds at most: a step that finds its session gone re-prefills and asks again.
    for (let round = 0; round < 2; round++) {
      // A heartbeat already heard another server instance: our session is not there.
      if (this.link.serverId !== undefined && this.link.serverId !== this.sessionServer) this.needResync = true;
      if (this.needResync) {
        const upTo = horizon > 1 ? this.history.length - 1 : this.history.length;
        this.log(`${this.endpoint.url}: re-prefilling the session (prefix + ${upTo} observations)`);
        this.resyncs += 1;
        const r = await this.exchange({ kind: "start", episode: this.episode, prefix: this.prefix, from: this.historyFrom, tokens: this.history.slice(0, upTo) }, left());
        if (horizon === 1) return r.tokens;
      }
      const from = Math.max(this.acked, this.historyFrom);
      const tokens = this.history.slice(from - this.historyFrom);
      const r: Outgoing =
        horizon > 1
          ? { kind: "rollout", episode: this.episode, from, tokens, horizon }
          : { kind: "step", episode: this.episode, from, tokens };
      try {
        return (await this.exchange(r, left())).tokens;
      } catch (err) {
        if (!(err instanceof SessionLost)) throw err;
        this.log(`${this.endpoint.url}: ${err.message}`);
      }
    }
    throw new PolicyUnavailableError(`${this.endpoint.url}: the session was lost twice within one step; trying again next tick`);
  }

  private remember(token: Omnitoken): void {
    this.history.push(token);
    // The server's window holds the prefix and the newest tokens; older ones would be slid out.
    const keep = Math.max(1, this.card.context_length - this.prefix.length);
    if (this.history.length > keep) {
      const drop = this.history.length - keep;
      this.history.splice(0, drop);
      this.historyFrom += drop;
    }
    if (this.acked < this.historyFrom) this.needResync = true; // the server misses tokens we no longer keep
  }

  /** One request with its deadline → its prediction. Session loss → SessionLost (the caller
   * re-prefills); anything else that gives no prediction → PolicyUnavailableError. */
  private async exchange(r: Outgoing, deadlineMs: number, untilConnected = false): Promise<Extract<Reply, { kind: "prediction" }>> {
    if (deadlineMs <= 0) throw new PolicyUnavailableError(`${this.endpoint.url}: the step's ${this.deadlineMs} ms deadline passed before ${r.kind} could be sent`);
    const reply = await this.link.request(r, deadlineMs, { untilConnected });
    if (reply.kind === "prediction") {
      this.note(reply, r.kind === "start");
      return reply;
    }
    if (reply.kind === "error") {
      if (reply.code === "no_session" || reply.code === "out_of_sync") {
        this.needResync = true;
        throw new SessionLost(`${reply.code}: ${reply.message}`);
      }
      if (reply.code === "bad_request") throw new Error(`${this.endpoint.url} refused a ${r.kind} request as malformed: ${reply.message}`);
      throw new PolicyUnavailableError(`${this.endpoint.url}: ${r.kind} ${reply.code === "busy" ? "refused (server busy)" : "failed on the server"}: ${reply.message}`);
    }
    throw new PolicyUnavailableError(`${this.endpoint.url}: expected a prediction, got ${reply.kind}`);
  }

  /** A prediction (on time or late) says how much of this episode the server holds. */
  private note(reply: Extract<Reply, { kind: "prediction" }>, fromStart: boolean): void {
    if (reply.episode !== this.episode) return;
    if (fromStart) {
      this.acked = reply.fed;
      this.needResync = false;
      this.sessionServer = reply.server;
    } else if (reply.server !== this.sessionServer) {
      this.needResync = true; // another server instance: our session is not there
    } else {
      this.acked = Math.max(this.acked, reply.fed);
    }
  }
}

/** The server no longer holds this client's session (restart, expiry, or a gap): re-prefill. */
class SessionLost extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SessionLost";
  }
}
