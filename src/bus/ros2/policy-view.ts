// A policy as the node uses it: the card's command mode replaced by the configured one (a robot's
// controllers decide how joints are commanded, not the model), and every step timed for diagnostics.
import type { CommandMode, ModelCard } from "../../omnitoken/card-types.ts";
import type { Policy } from "../../policy/types.ts";
import { Ros2ConfigError } from "./errors.ts";

/** `card` with the action column commanded in `mode`. Twist needs the card's twist_map. */
export function withCommandMode(card: ModelCard, mode: CommandMode, source: string): ModelCard {
  const columns = card.columns.map((c) => {
    if (c.kind !== "action" || c.action.command.mode === mode) return c;
    if (mode === "twist" && !c.action.command.twist_map) {
      throw new Ros2ConfigError(`${source}: parameter command.mode: twist needs the card's action.command.twist_map, and card ${card.name} has none`);
    }
    return { ...c, action: { ...c.action, command: { ...c.action.command, mode } } };
  });
  return { ...card, columns };
}

/** `policy` seen with `card` (same schema, other command mode) and each step's wall time reported. */
export function policyView(policy: Policy, card: ModelCard, onStep: (ms: number) => void): Policy {
  return {
    card,
    provider: policy.provider,
    start: (prefix) => policy.start(prefix),
    async step(token) {
      const t0 = performance.now();
      try {
        return await policy.step(token);
      } finally {
        onStep(performance.now() - t0);
      }
    },
    rollout: (token, horizon) => policy.rollout(token, horizon),
    close: () => policy.close(),
  };
}
