// ROS 2 parameter files (the YAML `ros2 run … --ros-args --params-file` reads): for a node, the
// `ros__parameters` of every matching entry (`/**`, `NAME`, `/NAME`, `/NS/NAME`), later ones
// overriding earlier, flattened to ROS 2's dotted parameter names (`command.topic`).
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { Ros2ConfigError } from "./errors.ts";

export type ParamValue = boolean | number | string | boolean[] | number[] | string[];

/** Flat parameters of `node` (its name, optionally with a namespace: "/robot/omniloop"). */
export function parseParams(text: string, node: string, source: string): Map<string, ParamValue> {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new Ros2ConfigError(`${source}: not valid YAML: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
  }
  if (!isMap(doc)) throw new Ros2ConfigError(`${source}: expected a map of node names to { ros__parameters: … }, found ${describe(doc)}`);
  const name = node.replace(/^\/+/, "");
  const base = name.split("/").pop()!;
  const matches = (key: string) => key === "/**" || key === "**" || key.replace(/^\/+/, "") === name || key === base;
  const out = new Map<string, ParamValue>();
  let found = false;
  for (const [key, entry] of Object.entries(doc)) {
    if (!matches(key)) continue;
    if (!isMap(entry) || !isMap(entry.ros__parameters)) {
      throw new Ros2ConfigError(`${source}: entry "${key}": expected { ros__parameters: { … } }, found ${describe(entry)}`);
    }
    found = true;
    flatten(entry.ros__parameters, "", out, source);
  }
  if (!found) {
    throw new Ros2ConfigError(`${source}: no parameters for node "${node}" (expected an entry "${base}:" or "/**:" with ros__parameters; found ${Object.keys(doc).map((k) => `"${k}"`).join(", ") || "none"})`);
  }
  return out;
}

export function readParams(path: string, node: string): Map<string, ParamValue> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new Ros2ConfigError(`${path}: cannot read the parameter file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseParams(text, node, path);
}

function flatten(map: Record<string, unknown>, prefix: string, out: Map<string, ParamValue>, source: string): void {
  for (const [k, v] of Object.entries(map)) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (isMap(v)) flatten(v, name, out, source);
    else if (typeof v === "boolean" || typeof v === "string" || (typeof v === "number" && Number.isFinite(v))) out.set(name, v);
    else if (Array.isArray(v) && v.length > 0 && ["boolean", "number", "string"].some((t) => v.every((x) => typeof x === t))) out.set(name, v as ParamValue);
    else if (Array.isArray(v) && v.length === 0) out.set(name, [] as string[]);
    else throw new Ros2ConfigError(`${source}: parameter ${name}: ROS 2 parameters are bools, numbers, strings or arrays of one of those, found ${describe(v)}`);
  }
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function describe(v: unknown): string {
  if (v === null || v === undefined) return "nothing";
  if (Array.isArray(v)) return "a mixed or nested array";
  if (typeof v === "object") return "a map";
  return JSON.stringify(v);
}
