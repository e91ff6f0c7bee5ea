// Field readers for message validation: each reads one field of a plain object, checks its JS type
// and range, and returns it normalised (plain number arrays become the typed array the message
// model uses), or throws a MessageError naming the field's path.
import { MessageError } from "./errors.ts";

/** The message being checked: its type name, for every error's text. */
export interface Ctx {
  type: string;
}

export type Obj = Record<string, unknown>;

/** How a found value reads in an error: `string "3"`, `null`, `Float32Array(7)`, `an array`. */
export function describe(v: unknown): string {
  if (v === undefined) return "nothing (field missing)";
  if (v === null) return "null";
  if (typeof v === "string") return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v)}`;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return `${typeof v} ${String(v)}`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as ArrayLike<unknown>).length ?? v.byteLength})`;
  return typeof v === "object" ? "an object" : typeof v;
}

export const join = (path: string, key: string | number): string =>
  typeof key === "number" ? `${path}[${key}]` : path === "" ? key : `${path}.${key}`;

export function fail(ctx: Ctx, path: string, reason: string): never {
  throw new MessageError(ctx.type, path, reason);
}

export function record(ctx: Ctx, v: unknown, path: string): Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) {
    fail(ctx, path, `expected an object, got ${describe(v)}`);
  }
  return v as Obj;
}

function present(ctx: Ctx, obj: Obj, key: string, path: string): unknown {
  const v = obj[key];
  if (v === undefined) fail(ctx, join(path, key), "missing field");
  return v;
}

export function str(ctx: Ctx, obj: Obj, key: string, path: string): string {
  const v = present(ctx, obj, key, path);
  if (typeof v !== "string") fail(ctx, join(path, key), `expected a string, got ${describe(v)}`);
  return v;
}

export function bool(ctx: Ctx, obj: Obj, key: string, path: string): boolean {
  const v = present(ctx, obj, key, path);
  if (typeof v !== "boolean") fail(ctx, join(path, key), `expected a boolean, got ${describe(v)}`);
  return v;
}

/** A float64 field; NaN and ±Inf pass unless `finite` (poses, joint positions, commands). */
export function float(ctx: Ctx, obj: Obj, key: string, path: string, opts: { finite?: boolean; min?: number } = {}): number {
  const v = present(ctx, obj, key, path);
  if (typeof v !== "number") fail(ctx, join(path, key), `expected a number, got ${describe(v)}`);
  if (opts.finite && !Number.isFinite(v)) fail(ctx, join(path, key), `expected a finite number, got ${v}`);
  if (opts.min !== undefined && !(v >= opts.min)) fail(ctx, join(path, key), `expected a number ≥ ${opts.min}, got ${v}`);
  return v;
}

/** An integer field within [min, max] (the ROS type's range, or tighter). */
export function int(ctx: Ctx, obj: Obj, key: string, path: string, min: number, max: number, what: string): number {
  const v = present(ctx, obj, key, path);
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    fail(ctx, join(path, key), `expected ${what} (an integer in [${min}, ${max}]), got ${describe(v)}`);
  }
  return v;
}

export const UINT32_MAX = 2 ** 32 - 1;
export const uint32 = (ctx: Ctx, obj: Obj, key: string, path: string): number => int(ctx, obj, key, path, 0, UINT32_MAX, "a uint32");

/** float64[]: a Float64Array as is (no copy); a plain number[] or another numeric typed array is converted. */
export function float64Array(ctx: Ctx, obj: Obj, key: string, path: string): Float64Array {
  const v = present(ctx, obj, key, path);
  if (v instanceof Float64Array) return v;
  if (Array.isArray(v)) {
    const out = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x !== "number") fail(ctx, `${join(path, key)}[${i}]`, `expected a number, got ${describe(x)}`);
      out[i] = x;
    }
    return out;
  }
  if (ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array)) {
    return Float64Array.from(v as unknown as ArrayLike<number>);
  }
  return fail(ctx, join(path, key), `expected a Float64Array (or an array of numbers), got ${describe(v)}`);
}

/** uint8[]: a Uint8Array (Buffer included) as is; a plain array of bytes is converted. */
export function uint8Array(ctx: Ctx, obj: Obj, key: string, path: string): Uint8Array {
  const v = present(ctx, obj, key, path);
  if (v instanceof Uint8Array) return v;
  if (v instanceof Uint8ClampedArray) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (Array.isArray(v)) {
    const out = new Uint8Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x !== "number" || !Number.isInteger(x) || x < 0 || x > 255) {
        fail(ctx, `${join(path, key)}[${i}]`, `expected a byte (an integer in [0, 255]), got ${describe(x)}`);
      }
      out[i] = x;
    }
    return out;
  }
  return fail(ctx, join(path, key), `expected a Uint8Array (or an array of bytes), got ${describe(v)}`);
}

export function stringArray(ctx: Ctx, obj: Obj, key: string, path: string): string[] {
  const v = present(ctx, obj, key, path);
  if (!Array.isArray(v)) fail(ctx, join(path, key), `expected an array of strings, got ${describe(v)}`);
  v.forEach((s: unknown, i) => {
    if (typeof s !== "string") fail(ctx, `${join(path, key)}[${i}]`, `expected a string, got ${describe(s)}`);
  });
  return (v as string[]).slice();
}

/** message[]: each element checked by `each` at its own path. */
export function list<T>(ctx: Ctx, obj: Obj, key: string, path: string, each: (v: unknown, path: string) => T): T[] {
  const v = present(ctx, obj, key, path);
  if (!Array.isArray(v)) fail(ctx, join(path, key), `expected an array, got ${describe(v)}`);
  const at = join(path, key);
  return v.map((x: unknown, i) => each(x, `${at}[${i}]`));
}

/** The object at obj[key], checked as a nested message. */
export function nested(ctx: Ctx, obj: Obj, key: string, path: string): Obj {
  return record(ctx, present(ctx, obj, key, path), join(path, key));
}

/** Throws at the first NaN/±Inf, naming its index (and the name that goes with it, if any). */
export function allFinite(ctx: Ctx, values: Float64Array, path: string, names?: readonly string[]): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      const who = names?.[i] !== undefined ? ` (joint ${JSON.stringify(names[i])})` : "";
      fail(ctx, `${path}[${i}]`, `expected a finite number${who}, got ${values[i]}`);
    }
  }
}

/** Throws at the second occurrence of a name. */
export function unique(ctx: Ctx, names: readonly string[], path: string): void {
  const seen = new Map<string, number>();
  names.forEach((n, i) => {
    const prev = seen.get(n);
    if (prev !== undefined) fail(ctx, `${path}[${i}]`, `duplicate name ${JSON.stringify(n)} (also [${prev}])`);
    seen.set(n, i);
  });
}
