// rclnodejs runs a lifecycle transition's callback synchronously and takes its return code at once;
// our transitions are async (configure loads a model). So the ROS 2 state mirrors where the node's
// own lifecycle (lifecycle.ts) is going: a transition the node can take is queued and acknowledged;
// a ROS transition that only catches up with the node (after the node's work failed and it fell back
// to unconfigured) is acknowledged without work; anything else is refused. The node drives the
// robot only once its own state is active — after the model has loaded — never on the ROS state alone.
import type { Lifecycle, LifecycleState, LifecycleTransition } from "./lifecycle.ts";
import { TRANSITIONS } from "./lifecycle.ts";

export type BridgeDecision = "queue" | "mirror" | "refuse";

/** What to do when ROS 2 asks for `t` while the ROS state is `rosState`. */
export function bridgeDecision(core: Pick<Lifecycle, "target" | "canTrigger">, rosState: LifecycleState, t: LifecycleTransition): BridgeDecision {
  if (!TRANSITIONS[t].from.includes(rosState)) return "refuse"; // rcl refuses it before asking us anyway
  if (rosState === core.target) return core.canTrigger(t) ? "queue" : "refuse";
  return mirrorPath(rosState, core.target)[0] === t ? "mirror" : "refuse";
}

/** The ROS transitions that bring a ROS state to the node's state (after the node fell back on an
 * error): active → unconfigured is deactivate, cleanup. */
export function mirrorPath(from: LifecycleState, to: LifecycleState): LifecycleTransition[] {
  if (from === to) return [];
  if (to === "finalized") return ["shutdown"];
  const order: LifecycleState[] = ["unconfigured", "inactive", "active"];
  const [a, b] = [order.indexOf(from), order.indexOf(to)];
  if (a < 0 || b < 0) return [];
  const up: LifecycleTransition[] = ["configure", "activate"];
  const down: LifecycleTransition[] = ["cleanup", "deactivate"];
  return a < b ? up.slice(a, b) : down.slice(b, a).reverse();
}
