// The managed-node state machine of ROS 2 (design.ros2.org/articles/node_lifecycle.html), as plain
// logic: unconfigured → (configure) → inactive → (activate) → active, back with deactivate and
// cleanup, shutdown from any primary state to finalized. Transitions run one at a time, in order;
// their work is async (loading a model takes time). Work that throws is an error: the error hook
// releases what was made and the node lands in unconfigured, with the error kept and rethrown.
import { LifecycleError } from "./errors.ts";

export type LifecycleState = "unconfigured" | "inactive" | "active" | "finalized";
export type LifecycleTransition = "configure" | "activate" | "deactivate" | "cleanup" | "shutdown";

/** From which state each transition starts, and where it goes. */
export const TRANSITIONS: Record<LifecycleTransition, { from: readonly LifecycleState[]; to: LifecycleState }> = {
  configure: { from: ["unconfigured"], to: "inactive" },
  activate: { from: ["inactive"], to: "active" },
  deactivate: { from: ["active"], to: "inactive" },
  cleanup: { from: ["inactive"], to: "unconfigured" },
  shutdown: { from: ["unconfigured", "inactive", "active"], to: "finalized" },
};

/** The work of each transition. `shutdown` gets the state it leaves, to undo what that state holds. */
export interface LifecycleHooks {
  configure(): Promise<void>;
  activate(): Promise<void>;
  deactivate(): Promise<void>;
  cleanup(): Promise<void>;
  shutdown(from: LifecycleState): Promise<void>;
  /** After a transition's work threw: release whatever was made (the node goes to unconfigured). */
  error(transition: LifecycleTransition, err: unknown): Promise<void>;
}

export type LifecycleEvent =
  | { kind: "transition"; transition: LifecycleTransition; from: LifecycleState; to: LifecycleState }
  | { kind: "error"; transition: LifecycleTransition; from: LifecycleState; message: string };

export class Lifecycle {
  private current: LifecycleState = "unconfigured";
  /** The state once every queued transition has run (assuming each succeeds). */
  private planned: LifecycleState = "unconfigured";
  private queue: Promise<unknown> = Promise.resolve();
  private readonly hooks: LifecycleHooks;
  private readonly listeners: ((e: LifecycleEvent) => void)[] = [];
  /** The last transition error, until a transition succeeds. */
  lastError: string | null = null;

  constructor(hooks: LifecycleHooks) {
    this.hooks = hooks;
  }

  get state(): LifecycleState {
    return this.current;
  }

  /** Where the node will be once the queued transitions are done. */
  get target(): LifecycleState {
    return this.planned;
  }

  onEvent(listener: (e: LifecycleEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Whether `t` is available after the queued transitions. */
  canTrigger(t: LifecycleTransition): boolean {
    return TRANSITIONS[t].from.includes(this.planned);
  }

  /** Queues `t`; resolves with the state it reached, rejects with LifecycleError when `t` is not
   * available from the state the queue leads to, or when its work failed (node unconfigured). */
  trigger(t: LifecycleTransition): Promise<LifecycleState> {
    if (!this.canTrigger(t)) {
      return Promise.reject(
        new LifecycleError(`lifecycle: cannot ${t} from ${this.planned}; available: ${this.available(this.planned).join(", ") || "none (finalized)"}`),
      );
    }
    this.planned = TRANSITIONS[t].to;
    const run = this.queue.then(() => this.run(t));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Transitions available from `state`. */
  available(state: LifecycleState = this.current): LifecycleTransition[] {
    return (Object.keys(TRANSITIONS) as LifecycleTransition[]).filter((t) => TRANSITIONS[t].from.includes(state));
  }

  private async run(t: LifecycleTransition): Promise<LifecycleState> {
    const from = this.current;
    if (!TRANSITIONS[t].from.includes(from)) {
      // An earlier queued transition failed and left the node elsewhere.
      this.planned = this.current;
      throw new LifecycleError(`lifecycle: cannot ${t} from ${from} (an earlier transition failed: ${this.lastError ?? "unknown"})`);
    }
    try {
      if (t === "shutdown") await this.hooks.shutdown(from);
      else await this.hooks[t]();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.lastError = `${t} failed: ${message}`;
      this.emit({ kind: "error", transition: t, from, message });
      await this.hooks.error(t, err).catch((e: unknown) =>
        this.emit({ kind: "error", transition: t, from, message: `releasing after the failure failed too: ${e instanceof Error ? e.message : String(e)}` }),
      );
      this.current = t === "shutdown" ? "finalized" : "unconfigured";
      this.planned = this.current;
      throw new LifecycleError(`lifecycle: ${t} failed (${from} → ${this.current}): ${message}`);
    }
    this.current = TRANSITIONS[t].to;
    this.lastError = null;
    this.emit({ kind: "transition", transition: t, from, to: this.current });
    return this.current;
  }

  private emit(e: LifecycleEvent): void {
    for (const l of this.listeners) l(e);
  }
}
