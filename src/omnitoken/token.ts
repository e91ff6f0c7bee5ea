// Building, copying, comparing and checking omnitokens.
import type { ColumnSpec, ModelCard } from "./card-types.ts";
import { ORIGINS, type Cell, type Omnitoken, type Stamp } from "./types.ts";

/** A value that should be an omnitoken (or one of a card's) and is not. */
export class OmnitokenError extends Error {
  readonly problems: string[];
  constructor(what: string, problems: string[]) {
    super(`${what}:${problems.length === 1 ? ` ${problems[0]}` : "\n" + problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "OmnitokenError";
    this.problems = problems;
  }
}

/** A zero-filled array of the column's width and type (Int32Array(1) for text, else Float32Array). */
export function zeroData(spec: ColumnSpec): Float32Array | Int32Array {
  return spec.kind === "text" ? new Int32Array(1) : new Float32Array(spec.width);
}

/** Every column absent, each with zero data of the right width and type. */
export function absentToken(card: ModelCard, step: number, stamp: Stamp): Omnitoken {
  const columns: Record<string, Cell> = {};
  for (const spec of card.columns) columns[spec.name] = { origin: "absent", data: zeroData(spec) };
  return { step, stamp: { sec: stamp.sec, nanosec: stamp.nanosec }, columns };
}

/** A text-only token (how a command enters the context): text observed with `id`, the rest absent. */
export function textToken(card: ModelCard, id: number, step: number, stamp: Stamp): Omnitoken {
  const spec = card.columns.find((c) => c.kind === "text");
  if (!spec) throw new OmnitokenError(`textToken(${id})`, [`card ${card.name} has no text column`]);
  if (!Number.isInteger(id) || id < 0 || id >= card.tokenizer.vocab_size) {
    throw new OmnitokenError(`textToken(${id})`, [`expected a token id in [0, ${card.tokenizer.vocab_size}), got ${id}`]);
  }
  const token = absentToken(card, step, stamp);
  token.columns[spec.name] = { origin: "observed", data: Int32Array.of(id) };
  return token;
}

export const isPresent = (cell: Cell): boolean => cell.origin !== "absent";

/** A deep copy: no array is shared with `t`. */
export function cloneToken(t: Omnitoken): Omnitoken {
  const columns: Record<string, Cell> = {};
  for (const [name, cell] of Object.entries(t.columns)) columns[name] = { origin: cell.origin, data: cell.data.slice() };
  return { step: t.step, stamp: { sec: t.stamp.sec, nanosec: t.stamp.nanosec }, columns };
}

/** Bit-exact equality (NaN payloads and -0 included), for tests and the determinism contract. */
export function tokensEqual(a: Omnitoken, b: Omnitoken): boolean {
  if (!Object.is(a.step, b.step) || !Object.is(a.stamp.sec, b.stamp.sec) || !Object.is(a.stamp.nanosec, b.stamp.nanosec)) return false;
  const names = Object.keys(a.columns);
  if (names.length !== Object.keys(b.columns).length) return false;
  for (const name of names) {
    const x = a.columns[name]!;
    const y = b.columns[name];
    if (!y || x.origin !== y.origin || x.data.constructor !== y.data.constructor || x.data.length !== y.data.length) return false;
    if (!bytesEqual(x.data, y.data)) return false;
  }
  return true;
}

function bytesEqual(a: ArrayBufferView, b: ArrayBufferView): boolean {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Problems that keep `value` from being a well-formed omnitoken (of `card`, when given); [] when none. */
export function omnitokenProblems(value: unknown, card?: ModelCard): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [`expected an object {step, stamp, columns}, got ${typeName(value)}`];
  const v = value as Record<string, unknown>;
  const problems: string[] = [];
  if (!Number.isSafeInteger(v.step) || (v.step as number) < 0) problems.push(`step: expected a non-negative integer, got ${typeName(v.step)}`);
  const stamp = v.stamp as Record<string, unknown> | undefined;
  if (typeof stamp !== "object" || stamp === null) problems.push(`stamp: expected {sec, nanosec}, got ${typeName(stamp)}`);
  else {
    if (!Number.isSafeInteger(stamp.sec)) problems.push(`stamp.sec: expected an integer, got ${typeName(stamp.sec)}`);
    const ns = stamp.nanosec;
    if (!Number.isInteger(ns) || (ns as number) < 0 || (ns as number) >= 1e9) problems.push(`stamp.nanosec: expected an integer in [0, 1e9), got ${typeName(ns)}`);
  }
  const columns = v.columns as Record<string, unknown> | undefined;
  if (typeof columns !== "object" || columns === null || Array.isArray(columns)) {
    problems.push(`columns: expected an object of cells by column name, got ${typeName(columns)}`);
    return problems;
  }
  for (const [name, cell] of Object.entries(columns)) problems.push(...cellProblems(`columns.${name}`, cell));
  if (card) {
    for (const spec of card.columns) {
      const cell = columns[spec.name] as Cell | undefined;
      if (cell === undefined) {
        problems.push(`columns.${spec.name}: missing (card ${card.name} declares it)`);
        continue;
      }
      const want = spec.kind === "text" ? Int32Array : Float32Array;
      const width = spec.kind === "text" ? 1 : spec.width;
      if (ArrayBuffer.isView(cell.data) && (cell.data.constructor !== want || cell.data.length !== width)) {
        problems.push(`columns.${spec.name}.data: expected ${want.name}(${width}) for the ${spec.kind} column, got ${typeName(cell.data)}`);
      }
    }
    const declared = new Set(card.columns.map((c) => c.name));
    for (const name of Object.keys(columns)) if (!declared.has(name)) problems.push(`columns.${name}: not a column of card ${card.name}`);
  }
  return problems;
}

function cellProblems(at: string, cell: unknown): string[] {
  if (typeof cell !== "object" || cell === null) return [`${at}: expected a cell {origin, data}, got ${typeName(cell)}`];
  const c = cell as Record<string, unknown>;
  const out: string[] = [];
  if (!ORIGINS.includes(c.origin as Cell["origin"])) out.push(`${at}.origin: expected one of ${ORIGINS.join(", ")}, got ${typeName(c.origin)}`);
  if (!(c.data instanceof Float32Array) && !(c.data instanceof Int32Array)) out.push(`${at}.data: expected a Float32Array or Int32Array, got ${typeName(c.data)}`);
  return out;
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as { length: number }).length})`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return JSON.stringify(v);
  return String(v);
}

/** Throws OmnitokenError unless `value` is a well-formed omnitoken (of `card`, when given). */
export function assertOmnitoken(value: unknown, card?: ModelCard, what = "not an omnitoken"): asserts value is Omnitoken {
  const problems = omnitokenProblems(value, card);
  if (problems.length > 0) throw new OmnitokenError(what, problems);
}
