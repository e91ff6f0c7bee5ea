// The node's configuration, from its ROS 2 parameter file (launch/omniloop.yaml): the model and
// execution provider (or a policy server), the control rate, the topic map (which topic feeds which
// column, where commands go and in which mode), safety limits, QoS, episodes, recording. Every
// parameter has a default; a wrong one names the file, the parameter, the expectation and the value.
import type { CommandMode } from "../../omnitoken/card-types.ts";
import { PROVIDER_CHOICES, type ProviderChoice } from "../../policy/providers.ts";
import { Ros2ConfigError } from "./errors.ts";
import { readParams, type ParamValue } from "./params.ts";
import { qosFromParams, TOPIC_ROLES, type QosProfile, type TopicRole } from "./qos.ts";

export const COMMAND_MODES: readonly CommandMode[] = ["float64_multi_array", "joint_trajectory", "twist"];

export interface RunConfig {
  source: string;
  node: string;
  model: { card: string; onnx?: string; provider: ProviderChoice };
  /** A policy server instead of the local model. */
  policy?: { url: string; serverKey?: string; clientKey?: string; deadlineMs?: number };
  /** Undefined: the card's control rate. */
  controlRateHz?: number;
  /** Topic name per role. */
  topics: Record<Exclude<TopicRole, "command">, string>;
  /** Mode undefined: the card's. */
  command: { topic: string; mode?: CommandMode };
  publishTokens: boolean;
  safety: { maxVelocity: number; stalenessS?: number; maxFillTicks: number; watchdogS?: number };
  episode: { maxSeconds: number; command?: string };
  recording: { enabled: boolean; path: string };
  diagnostics: { periodS: number };
  qos: Record<TopicRole, QosProfile>;
}

export const DEFAULT_TOPICS: RunConfig["topics"] = {
  pixels: "/camera/image_raw",
  objects: "/detections",
  action: "/joint_states",
  task: "/omniloop/task",
  estop: "/omniloop/estop",
  said: "/omniloop/said",
  episode: "/omniloop/episode",
  holds: "/omniloop/holds",
  surprise: "/omniloop/surprise",
  diagnostics: "/diagnostics",
  observation: "/omniloop/observation",
  prediction: "/omniloop/prediction",
};

const DEFAULT_COMMAND_TOPIC: Record<CommandMode, string> = {
  float64_multi_array: "/forward_position_controller/commands",
  joint_trajectory: "/arm_controller/joint_trajectory",
  twist: "/cmd_vel",
};

/** Parameters the node reads; anything else in its entry is a typo, refused with the list. */
const KNOWN = new Set([
  "model.card", "model.onnx", "model.provider",
  "policy.url", "policy.server_key", "policy.client_key", "policy.deadline_ms",
  "control_rate_hz", "command.topic", "command.mode", "publish_tokens",
  "safety.max_velocity", "safety.staleness_s", "safety.max_fill_ticks", "safety.watchdog_s",
  "episode.max_seconds", "episode.command", "recording.enabled", "recording.path", "diagnostics.period_s",
  ...Object.keys(DEFAULT_TOPICS).map((k) => `topics.${k}`),
  ...TOPIC_ROLES.flatMap((r) => [`qos.${r}`, `qos.${r}.reliability`, `qos.${r}.durability`, `qos.${r}.history`, `qos.${r}.depth`]),
]);

export function loadRunConfig(path: string, node = "omniloop"): RunConfig {
  return runConfig(readParams(path, node), path, node);
}

export function runConfig(params: ReadonlyMap<string, ParamValue>, source: string, node = "omniloop"): RunConfig {
  for (const name of params.keys()) {
    // ROS 2's own per-entity QoS overrides (qos_overrides./topic.…) are rcl's, not ours.
    if (!KNOWN.has(name) && !name.startsWith("qos_overrides.") && name !== "use_sim_time") {
      throw new Ros2ConfigError(`${source}: unknown parameter ${name}${suggest(name)}`);
    }
  }
  const p = new Params(params, source);
  const card = p.str("model.card", "");
  if (!card) throw new Ros2ConfigError(`${source}: parameter model.card: required (the model card JSON; its onnx file sits beside it)`);
  const onnx = p.str("model.onnx", "");
  const provider = p.oneOf("model.provider", PROVIDER_CHOICES, "auto");
  const url = p.str("policy.url", "");
  const mode = p.str("command.mode", "");
  if (mode && !(COMMAND_MODES as readonly string[]).includes(mode)) {
    throw new Ros2ConfigError(`${source}: parameter command.mode: expected ${COMMAND_MODES.join(", ")} (or "" for the card's), found ${JSON.stringify(mode)}`);
  }
  const rate = p.num("control_rate_hz", 0, { min: 0 });
  const topics = { ...DEFAULT_TOPICS };
  for (const k of Object.keys(topics) as (keyof typeof topics)[]) topics[k] = p.topic(`topics.${k}`, topics[k]);
  const optionalPositive = (name: string) => {
    const v = p.num(name, 0, { min: 0 });
    return v > 0 ? v : undefined;
  };
  const deadline = optionalPositive("policy.deadline_ms");
  const serverKey = p.str("policy.server_key", "");
  const clientKey = p.str("policy.client_key", "");
  const staleness = optionalPositive("safety.staleness_s");
  const watchdog = optionalPositive("safety.watchdog_s");
  const command = p.str("episode.command", "");
  return {
    source,
    node,
    model: { card, ...(onnx ? { onnx } : {}), provider },
    ...(url
      ? { policy: { url, ...(serverKey ? { serverKey } : {}), ...(clientKey ? { clientKey } : {}), ...(deadline ? { deadlineMs: deadline } : {}) } }
      : {}),
    ...(rate > 0 ? { controlRateHz: rate } : {}),
    topics,
    command: {
      topic: p.topic("command.topic", DEFAULT_COMMAND_TOPIC[(mode || "float64_multi_array") as CommandMode]),
      ...(mode ? { mode: mode as CommandMode } : {}),
    },
    publishTokens: p.bool("publish_tokens", false),
    safety: {
      maxVelocity: p.num("safety.max_velocity", 1, { min: 0, exclusive: true }),
      ...(staleness ? { stalenessS: staleness } : {}),
      maxFillTicks: p.int("safety.max_fill_ticks", 3, 0),
      ...(watchdog ? { watchdogS: watchdog } : {}),
    },
    episode: { maxSeconds: p.num("episode.max_seconds", 60, { min: 0, exclusive: true }), ...(command ? { command } : {}) },
    recording: { enabled: p.bool("recording.enabled", false), path: p.str("recording.path", "runs/omniloop.mcap") },
    diagnostics: { periodS: p.num("diagnostics.period_s", 1, { min: 0, exclusive: true }) },
    qos: Object.fromEntries(TOPIC_ROLES.map((r) => [r, qosFromParams(r, params, source)])) as Record<TopicRole, QosProfile>,
  };
}

/** Typed reads of flat parameters, each error naming the file and the parameter. */
class Params {
  constructor(
    private readonly params: ReadonlyMap<string, ParamValue>,
    private readonly source: string,
  ) {}

  private fail(name: string, expected: string, v: unknown): never {
    throw new Ros2ConfigError(`${this.source}: parameter ${name}: expected ${expected}, found ${JSON.stringify(v)}`);
  }

  str(name: string, fallback: string): string {
    const v = this.params.get(name);
    if (v === undefined) return fallback;
    if (typeof v !== "string") this.fail(name, "a string", v);
    return v;
  }

  topic(name: string, fallback: string): string {
    const v = this.str(name, fallback);
    // ROS 2 topic names: absolute here, so remapping in the launch file is the one place to move them.
    if (!/^\/[A-Za-z_][A-Za-z0-9_/]*$/.test(v) || v.includes("//") || v.endsWith("/")) this.fail(name, 'an absolute ROS 2 topic name such as "/joint_states"', v);
    return v;
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.params.get(name);
    if (v === undefined) return fallback;
    if (typeof v !== "boolean") this.fail(name, "true or false", v);
    return v;
  }

  num(name: string, fallback: number, o: { min: number; exclusive?: boolean }): number {
    const v = this.params.get(name);
    if (v === undefined) return fallback;
    if (typeof v !== "number" || (o.exclusive ? v <= o.min : v < o.min)) this.fail(name, `a number ${o.exclusive ? ">" : "≥"} ${o.min}`, v);
    return v;
  }

  int(name: string, fallback: number, min: number): number {
    const v = this.num(name, fallback, { min });
    if (!Number.isInteger(v)) this.fail(name, `an integer ≥ ${min}`, v);
    return v;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.str(name, fallback);
    if (!(allowed as readonly string[]).includes(v)) this.fail(name, `one of ${allowed.join(", ")}`, v);
    return v as T;
  }
}

function suggest(name: string): string {
  const close = [...KNOWN].filter((k) => k.split(".").pop() === name.split(".").pop() || k.startsWith(name.split(".")[0]! + "."));
  return close.length > 0 ? ` (did you mean ${close.slice(0, 4).join(", ")}?)` : ` (known: ${[...KNOWN].filter((k) => !k.startsWith("qos.")).join(", ")}, qos.<role>…)`;
}
