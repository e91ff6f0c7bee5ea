// The topic map: which log topics feed which card columns, where the commanded action, the task
// command and the episode events come from. Import (`--map MAP.yaml`) and dataset export share it;
// the default is docs/CONVENTIONS.md's topics. An import stores its map in the log it writes, so a
// later dataset export of that log needs no map.
//
//   columns:                 # card column name → topic (pixels ← Image/CompressedImage,
//     pixels: /camera/image_raw        #  objects ← Detection3DArray/2DArray, action ← JointState)
//     objects: /detections
//     action: /joint_states
//   commands: [/arm_controller/joint_trajectory, /forward_position_controller/commands]
//   task: /omniloop/task       # std_msgs/String with the command in words
//   episode: /omniloop/episode # episode events (JSON); without them the whole log is one episode
//   command_text: "…"          # the command when the log has no task topic
//   stale_s: 0.5               # a column whose latest message is older is absent at a tick
//   rate_hz: 10                # ticks per second (default: the card's control_rate_hz)
import { readFileSync } from "node:fs";
import YAML from "yaml";
import type { ModelCard } from "../omnitoken/card-types.ts";
import { LogError } from "./errors.ts";

export interface TopicMap {
  columns: Record<string, string>;
  commands: string[];
  task?: string;
  episode?: string;
  command_text?: string;
  stale_s: number;
  rate_hz?: number;
}

export class TopicMapError extends LogError {}

const DEFAULT_COLUMN_TOPICS: Record<string, string> = {
  pixels: "/camera/image_raw",
  objects: "/detections",
  action: "/joint_states",
};

/** The CONVENTIONS topics, each non-text column of `card` fed by its kind's default topic. */
export function defaultTopicMap(card: ModelCard): TopicMap {
  const columns: Record<string, string> = {};
  for (const c of card.columns) if (c.kind !== "text" && DEFAULT_COLUMN_TOPICS[c.kind]) columns[c.name] = DEFAULT_COLUMN_TOPICS[c.kind]!;
  return {
    columns,
    commands: ["/arm_controller/joint_trajectory", "/forward_position_controller/commands"],
    task: "/omniloop/task",
    episode: "/omniloop/episode",
    stale_s: 0.5,
  };
}

const KEYS = new Set(["columns", "commands", "task", "episode", "command_text", "stale_s", "rate_hz"]);

/** Checks a parsed map against `card`; `source` names it in errors. Omitted keys take defaults. */
export function validateTopicMap(json: unknown, card: ModelCard, source: string): TopicMap {
  const problems: string[] = [];
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new TopicMapError(`${source}: expected a mapping with "columns" (column → topic), found ${json === null ? "nothing" : typeof json}`);
  }
  const o = json as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KEYS.has(k)) problems.push(`unknown key "${k}" (known: ${[...KEYS].join(", ")})`);
  const base = defaultTopicMap(card);
  const columns: Record<string, string> = {};
  if (o.columns !== undefined) {
    if (typeof o.columns !== "object" || o.columns === null || Array.isArray(o.columns)) problems.push(`columns: expected a mapping of column name → topic`);
    else {
      for (const [name, topic] of Object.entries(o.columns)) {
        const spec = card.columns.find((c) => c.name === name);
        if (!spec) problems.push(`columns.${name}: the card ${card.name} has no such column (it has ${card.columns.map((c) => c.name).join(", ")})`);
        else if (spec.kind === "text") problems.push(`columns.${name}: the text column comes from the task command (task / command_text), not a topic`);
        if (typeof topic !== "string" || !topic) problems.push(`columns.${name}: expected a topic name, found ${JSON.stringify(topic)}`);
        else columns[name] = topic;
      }
    }
  }
  const str = (k: string): string | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== "string" || !v) problems.push(`${k}: expected a string, found ${JSON.stringify(v)}`);
    return typeof v === "string" ? v : undefined;
  };
  const num = (k: string): number | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !(v > 0)) problems.push(`${k}: expected a number above 0, found ${JSON.stringify(v)}`);
    return typeof v === "number" ? v : undefined;
  };
  let commands = base.commands;
  if (o.commands !== undefined) {
    const list = typeof o.commands === "string" ? [o.commands] : o.commands;
    if (!Array.isArray(list) || !list.every((t) => typeof t === "string")) problems.push(`commands: expected a topic or a list of topics`);
    else commands = list as string[];
  }
  const map: TopicMap = {
    columns: o.columns === undefined ? base.columns : columns,
    commands,
    task: str("task") ?? base.task,
    episode: str("episode") ?? base.episode,
    stale_s: num("stale_s") ?? base.stale_s,
  };
  const text = str("command_text");
  if (text !== undefined) map.command_text = text;
  const rate = num("rate_hz");
  if (rate !== undefined) map.rate_hz = rate;
  if (problems.length) throw new TopicMapError(`${source}: invalid topic map:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  return map;
}

export function loadTopicMap(path: string, card: ModelCard): TopicMap {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new TopicMapError(`${path}: cannot read the map: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let json: unknown;
  try {
    json = YAML.parse(text);
  } catch (err) {
    throw new TopicMapError(`${path}: not valid YAML: ${(err as Error).message}`);
  }
  return validateTopicMap(json, card, path);
}
