// Quality of service per topic (rmw QoS, as ROS 2 means it), from configuration, with robot-sane
// defaults: streams (camera, detections, joint states) take the sensor-data profile — best effort,
// keep the last few, never block on a slow link, and it matches reliable publishers too; commands,
// the e-stop and the node's own reports are reliable, so none is silently lost.
import { Ros2ConfigError } from "./errors.ts";

export type Reliability = "reliable" | "best_effort";
export type Durability = "volatile" | "transient_local";
export type History = "keep_last" | "keep_all";

export interface QosProfile {
  reliability: Reliability;
  durability: Durability;
  history: History;
  depth: number;
}

export const QOS_PRESETS = {
  /** rmw_qos_profile_sensor_data */
  sensor_data: { reliability: "best_effort", durability: "volatile", history: "keep_last", depth: 5 },
  /** rmw_qos_profile_default */
  reliable: { reliability: "reliable", durability: "volatile", history: "keep_last", depth: 10 },
  /** A late joiner gets the last message (a latched status). */
  latched: { reliability: "reliable", durability: "transient_local", history: "keep_last", depth: 1 },
} as const satisfies Record<string, QosProfile>;

export type QosPreset = keyof typeof QOS_PRESETS;

/** What a topic is to the node; its QoS follows from it unless configured. */
export type TopicRole =
  | "pixels" // camera in
  | "objects" // detections in
  | "action" // joint states in
  | "task" // commands in words
  | "estop"
  | "command" // joint commands out
  | "said"
  | "episode"
  | "holds"
  | "surprise"
  | "diagnostics"
  | "observation"
  | "prediction";

export const TOPIC_ROLES: readonly TopicRole[] = [
  "pixels", "objects", "action", "task", "estop", "command", "said", "episode", "holds", "surprise", "diagnostics", "observation", "prediction",
];

export const DEFAULT_QOS: Record<TopicRole, QosProfile> = {
  pixels: QOS_PRESETS.sensor_data,
  objects: QOS_PRESETS.sensor_data,
  action: QOS_PRESETS.sensor_data,
  task: QOS_PRESETS.reliable,
  estop: QOS_PRESETS.reliable,
  command: QOS_PRESETS.reliable,
  said: QOS_PRESETS.reliable,
  episode: QOS_PRESETS.reliable,
  holds: QOS_PRESETS.reliable,
  surprise: QOS_PRESETS.sensor_data,
  diagnostics: QOS_PRESETS.reliable,
  observation: QOS_PRESETS.sensor_data,
  prediction: QOS_PRESETS.sensor_data,
};

const isPreset = (v: unknown): v is QosPreset => typeof v === "string" && Object.hasOwn(QOS_PRESETS, v);

/** The profile of `role` from flat parameters `qos.<role>` (a preset name) and/or
 * `qos.<role>.reliability|durability|history|depth` (fields over the preset or the default). */
export function qosFromParams(role: TopicRole, params: ReadonlyMap<string, unknown>, source: string): QosProfile {
  const key = `qos.${role}`;
  const base = params.get(key);
  if (base !== undefined && !isPreset(base)) {
    throw new Ros2ConfigError(`${source}: parameter ${key}: expected a preset (${Object.keys(QOS_PRESETS).join(", ")}), found ${JSON.stringify(base)}`);
  }
  const profile: QosProfile = { ...(base ? QOS_PRESETS[base] : DEFAULT_QOS[role]) };
  const pick = <T extends string>(field: string, allowed: readonly T[]): T | undefined => {
    const v = params.get(`${key}.${field}`);
    if (v === undefined) return undefined;
    if (!allowed.includes(v as T)) throw new Ros2ConfigError(`${source}: parameter ${key}.${field}: expected ${allowed.join(" or ")}, found ${JSON.stringify(v)}`);
    return v as T;
  };
  profile.reliability = pick("reliability", ["reliable", "best_effort"] as const) ?? profile.reliability;
  profile.durability = pick("durability", ["volatile", "transient_local"] as const) ?? profile.durability;
  profile.history = pick("history", ["keep_last", "keep_all"] as const) ?? profile.history;
  const depth = params.get(`${key}.depth`);
  if (depth !== undefined) {
    if (typeof depth !== "number" || !Number.isInteger(depth) || depth < 1) throw new Ros2ConfigError(`${source}: parameter ${key}.depth: expected an integer ≥ 1, found ${JSON.stringify(depth)}`);
    profile.depth = depth;
  }
  return profile;
}
