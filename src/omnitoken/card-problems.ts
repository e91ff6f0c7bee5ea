// Turns ajv's errors into the card's problem lines: `columns[2].width: expected a positive
// integer, got -3`. One line per problem, each led by the JSON path a person can find in the file.
import type { ErrorObject } from "ajv";
import { IDENTIFIER } from "./card-schema.ts";

type Schema = Record<string, unknown>;

/** `["columns", 2, "width"]` → `columns[2].width`; keys that are not identifiers are quoted. */
export function jsonPath(segments: readonly (string | number)[]): string {
  let out = "";
  for (const s of segments) {
    if (typeof s === "number" || /^\d+$/.test(s)) out += `[${s}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out || "card";
}

/** JSON pointer (`/columns/2/width`, RFC 6901 escapes) → path segments. */
function pointerSegments(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer.slice(1).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** A value as it reads in a problem line. */
export function show(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? value.slice(0, 37) + "..." : value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : `a list of ${value.length}`;
  return "an object";
}

const article = (type: string): string =>
  ({ integer: "an integer", number: "a number", string: "a string", array: "a list", object: "an object", boolean: "true or false", null: "null" })[type] ?? type;

/** What a (sub)schema of card-schema.ts accepts, in words. */
export function describe(schema: Schema): string {
  if ("const" in schema) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) {
    const opts = schema.enum.map((v) => JSON.stringify(v));
    return opts.length === 1 ? opts[0]! : `one of ${opts.join(", ")}`;
  }
  const type = schema.type;
  if (Array.isArray(type)) return type.map((t) => article(String(t))).join(" or ");
  switch (type) {
    case "integer": {
      const min = schema.minimum;
      if (min === 1) return "a positive integer";
      if (min === 0) return "a non-negative integer";
      return typeof min === "number" ? `an integer >= ${min}` : "an integer";
    }
    case "number":
      return schema.exclusiveMinimum === 0 ? "a positive number" : "a number";
    case "string":
      if (schema.pattern === IDENTIFIER) return "a lowercase name (a-z, 0-9 and _, starting with a letter)";
      return schema.minLength === 1 ? "a non-empty string" : "a string";
    case "array":
      return typeof schema.minItems === "number" && schema.minItems > 0 ? "a non-empty list" : "a list";
    default:
      return article(String(type ?? "value"));
  }
}

/** One problem line per ajv error (ajv run with `verbose: true`, so each error has its schema and data). */
export function schemaProblem(e: ErrorObject): { path: string; message: string } {
  const at = pointerSegments(e.instancePath);
  const parent = (e.parentSchema ?? {}) as Schema;
  const props = (parent.properties ?? {}) as Record<string, Schema>;
  switch (e.keyword) {
    case "required": {
      const field = String((e.params as { missingProperty: string }).missingProperty);
      const want = props[field];
      return { path: jsonPath([...at, field]), message: `missing; expected ${want ? describe(want) : "a value"}` };
    }
    case "additionalProperties": {
      const field = String((e.params as { additionalProperty: string }).additionalProperty);
      return { path: jsonPath([...at, field]), message: `unknown field (known here: ${Object.keys(props).join(", ")})` };
    }
    case "discriminator": {
      const p = e.params as { error: string; tag: string };
      const kinds = `one of ${["text", "pixels", "objects", "action"].map((k) => JSON.stringify(k)).join(", ")}`;
      const found = (e.data as Record<string, unknown> | null)?.[p.tag];
      const message = found === undefined ? `missing; expected ${kinds}` : `expected ${kinds} (the column kinds v1 knows), got ${show(found)}`;
      return { path: jsonPath([...at, p.tag]), message };
    }
    default:
      // type, minimum, const, enum, minLength, pattern, minItems...: all read "expected <what the schema accepts>".
      return { path: jsonPath(at), message: `expected ${describe(parent)}, got ${show(e.data)}` };
  }
}
