// One client's session on the policy server: its own policy (its own KV cache), the episode it is
// in, and how many of the episode's tokens it has fed. Requests of one session run one at a time, in
// order; sessions of different clients run side by side.
import type { Omnitoken } from "../../omnitoken/types.ts";
import type { Policy } from "../types.ts";
import type { Request } from "./requests.ts";

/** What a session answers: a prediction, or why not (the server turns it into an error reply). */
export type Outcome =
  | { kind: "prediction"; episode: number; fed: number; tokens: Omnitoken[] }
  | { kind: "out_of_sync"; message: string };

type Feeding = Extract<Request, { kind: "start" | "step" | "rollout" }>;

export class Session {
  readonly client: string;
  lastSeenMs: number;
  private readonly policy: Policy;
  private episode = -1;
  private fed = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(client: string, policy: Policy, nowMs: number) {
    this.client = client;
    this.policy = policy;
    this.lastSeenMs = nowMs;
  }

  /** Runs `r` after the session's earlier requests. */
  handle(r: Feeding): Promise<Outcome> {
    const next = this.queue.then(() => this.feed(r));
    this.queue = next.catch(() => undefined); // one failed request does not poison the next
    return next;
  }

  async close(): Promise<void> {
    await this.queue;
    await this.policy.close();
  }

  private async feed(r: Feeding): Promise<Outcome> {
    try {
      return await this.feedOrThrow(r);
    } catch (err) {
      this.episode = -1; // the cache may hold part of the request: only a new start is trusted
      throw err;
    }
  }

  private async feedOrThrow(r: Feeding): Promise<Outcome> {
    if (r.kind === "start") {
      // A new episode, or the same one re-prefilled: the context is rebuilt from the prefix.
      this.episode = -1; // until the start completes, no step may use a half-built context
      let last = await this.policy.start(r.prefix);
      for (const t of r.tokens) last = await this.policy.step(t);
      this.episode = r.episode;
      this.fed = r.from + r.tokens.length;
      return { kind: "prediction", episode: r.episode, fed: this.fed, tokens: [last] };
    }
    if (r.episode !== this.episode) {
      return { kind: "out_of_sync", message: `episode ${r.episode} is not this session's (it holds episode ${this.episode}); send start again` };
    }
    if (r.from > this.fed) {
      return { kind: "out_of_sync", message: `tokens from seq ${r.from} leave a gap: the session has fed ${this.fed}; re-prefill` };
    }
    // Tokens this session fed already (a resend after a lost reply) are skipped, never fed twice.
    const fresh = r.tokens.slice(this.fed - r.from);
    if (fresh.length === 0) {
      return { kind: "out_of_sync", message: `every token (seq ${r.from}..${r.from + r.tokens.length - 1}) was fed already; nothing to predict from` };
    }
    const last = fresh.length - 1;
    for (let i = 0; i < last; i++) {
      await this.policy.step(fresh[i]!);
      this.fed += 1;
    }
    const out = r.kind === "step" ? [await this.policy.step(fresh[last]!)] : await this.policy.rollout(fresh[last]!, r.horizon);
    this.fed += 1;
    return { kind: "prediction", episode: this.episode, fed: this.fed, tokens: out };
  }
}
