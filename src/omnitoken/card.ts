// The model card validator (DESIGN §3): a JSON Schema checked by ajv, then the rules a schema
// cannot express. Every problem is reported at once, each with its JSON path, so one run of
// `omniloop inspect card.json` shows everything to fix.
import { Ajv } from "ajv";
import { readFileSync } from "node:fs";
import { cardSchema } from "./card-schema.ts";
import { jsonPath, schemaProblem, show } from "./card-problems.ts";
import type { ColumnSpec, ModelCard, ObjectsColumnSpec, PixelsColumnSpec } from "./card-types.ts";
import type { ColumnKind } from "./types.ts";

export class CardError extends Error {
  /** One line per problem, each `path: what was expected, what was found`. */
  readonly problems: string[];
  /** The file (or `<card>`) the card came from. */
  readonly source: string;
  constructor(source: string, problems: string[]) {
    const n = problems.length;
    super(`invalid model card ${source} (${n} problem${n === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "CardError";
    this.problems = problems;
    this.source = source;
  }
}

const ajv = new Ajv({ allErrors: true, verbose: true, discriminator: true, allowUnionTypes: true });
const validateSchema = ajv.compile(cardSchema);

type Report = (path: (string | number)[], message: string) => void;

/** Validates parsed JSON as a model card; throws CardError listing every problem. */
export function validateCard(json: unknown, source = "<card>"): ModelCard {
  const problems: string[] = [];
  const schemaPaths = new Set<string>();
  if (!validateSchema(json)) {
    for (const e of validateSchema.errors ?? []) {
      const { path, message } = schemaProblem(e);
      const line = `${path}: ${message}`;
      if (!problems.includes(line)) problems.push(line);
      schemaPaths.add(path);
    }
  }
  // Semantic rules skip a path the schema already flagged: one problem per field, not two.
  const report: Report = (segments, message) => {
    const path = jsonPath(segments);
    if (!schemaPaths.has(path)) problems.push(`${path}: ${message}`);
  };
  if (isObject(json)) checkSemantics(json, report);
  if (problems.length > 0) throw new CardError(source, problems);
  return json as unknown as ModelCard;
}

/** Parses card text; a JSON syntax error is a CardError naming the line and column. */
export function parseCard(text: string, source = "<card>"): ModelCard {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CardError(source, [`not valid JSON: ${syntaxWhere(text, err)}`]);
  }
  return validateCard(json, source);
}

/** Reads and validates a card file. */
export function loadCard(path: string): ModelCard {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CardError(path, [`cannot read the file: ${code === "ENOENT" ? "no such file" : String((err as Error).message)}`]);
  }
  return parseCard(text, path);
}

/** The card's column of `kind` (v1 allows at most one per kind), or undefined. */
export function columnOf<K extends ColumnKind>(card: ModelCard, kind: K): Extract<ColumnSpec, { kind: K }> | undefined {
  return card.columns.find((c): c is Extract<ColumnSpec, { kind: K }> => c.kind === kind);
}

export interface ObjectLayout {
  rowWidth: number;
  present: 0;
  classStart: 1;
  classCount: number;
  coordStart: number;
  coordCount: number;
  score: number;
}

/** Field offsets within one row of the object table: [present, classes…, coords…, score]. */
export function objectLayout(spec: ObjectsColumnSpec): ObjectLayout {
  const classCount = spec.objects.classes.length;
  const coordCount = spec.objects.coords.length;
  const coordStart = 1 + classCount;
  return { rowWidth: coordStart + coordCount + 1, present: 0, classStart: 1, classCount, coordStart, coordCount, score: coordStart + coordCount };
}

const INPUT_NAMES: Record<ColumnKind, string> = { text: "text_ids", pixels: "pixels", objects: "objects", action: "action" };
const OUTPUT_NAMES: Record<ColumnKind, string> = { text: "text_logits", pixels: "pixels_out", objects: "objects_out", action: "action_out" };

/** The ONNX contract v1 input tensor of a column. */
export const inputName = (spec: Pick<ColumnSpec, "kind">): string => INPUT_NAMES[spec.kind];
/** The ONNX contract v1 output tensor of a column. */
export const outputName = (spec: Pick<ColumnSpec, "kind">): string => OUTPUT_NAMES[spec.kind];

// ---- rules JSON Schema cannot express -------------------------------------------------------

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isPosInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;
const isNumber = (v: unknown): v is number => typeof v === "number";

function checkSemantics(card: Json, report: Report): void {
  const columns = Array.isArray(card.columns) ? card.columns : [];
  const firstOfKind = new Map<unknown, number>();
  const firstOfName = new Map<unknown, number>();
  columns.forEach((col: unknown, i) => {
    if (!isObject(col)) return;
    const prevKind = firstOfKind.get(col.kind);
    if (prevKind !== undefined) {
      report(["columns", i, "kind"], `a second ${show(col.kind)} column (the first is columns[${prevKind}]); contract v1 has one input per kind`);
    } else firstOfKind.set(col.kind, i);
    // Cells are looked up by name in plain objects: a name every object already has would alias it.
    if (typeof col.name === "string" && col.name in Object.prototype) report(["columns", i, "name"], `${show(col.name)} is reserved (every JavaScript object has it); choose another name`);
    const prevName = firstOfName.get(col.name);
    if (prevName !== undefined) report(["columns", i, "name"], `duplicate column name ${show(col.name)} (also columns[${prevName}])`);
    else firstOfName.set(col.name, i);
    const at = ["columns", i];
    if (col.kind === "pixels") checkPixels(col, at, report);
    else if (col.kind === "objects") checkObjects(col, at, report);
    else if (col.kind === "action") checkAction(col, at, report);
  });
  if (isObject(card.tokenizer)) checkTokenizer(card.tokenizer, report);
}

function checkWidth(col: Json, at: (string | number)[], expected: number, why: string, report: Report): void {
  if (isPosInt(col.width) && col.width !== expected) report([...at, "width"], `expected ${expected} (= ${why}), got ${col.width}`);
}

function checkPixels(col: Json, at: (string | number)[], report: Report): void {
  const image = col.image as Partial<PixelsColumnSpec["image"]> | undefined;
  if (!isObject(image) || !isPosInt(image.height) || !isPosInt(image.width) || (image.channels !== 1 && image.channels !== 3)) return;
  const { height: h, width: w, channels: c } = image;
  checkWidth(col, at, h * w * c, `image height ${h} × width ${w} × channels ${c}`, report);
}

function checkObjects(col: Json, at: (string | number)[], report: Report): void {
  const o = col.objects;
  if (!isObject(o)) return;
  const classes = Array.isArray(o.classes) ? (o.classes as unknown[]) : undefined;
  const coords = Array.isArray(o.coords) ? (o.coords as unknown[]) : undefined;
  if (classes && classes.length > 0) {
    const last = classes[classes.length - 1];
    if (last !== "other") report([...at, "objects", "classes"], `the last class must be "other" (detections of any unlisted class), got ${show(last)}`);
    duplicates(classes, [...at, "objects", "classes"], "class", report);
  }
  if (coords) duplicates(coords, [...at, "objects", "coords"], "coordinate", report);
  if ((o.layout === "one_per_class" || o.layout === "named_first") && classes && isPosInt(o.max_objects) && o.max_objects !== classes.length) {
    report([...at, "objects", "max_objects"], `layout "${o.layout}" gives each of the ${classes.length} classes its own row: expected max_objects ${classes.length}, got ${o.max_objects}`);
  }
  if (classes && coords && isPosInt(o.max_objects)) {
    const row = 1 + classes.length + coords.length + 1;
    const why = `max_objects ${o.max_objects} × (1 present + ${classes.length} classes + ${coords.length} coords + 1 score)`;
    checkWidth(col, at, o.max_objects * row, why, report);
  }
  const bounds = o.bounds;
  if (!coords || !isObject(bounds)) return;
  for (const side of ["min", "max"]) {
    const list = bounds[side];
    if (Array.isArray(list) && list.length !== coords.length) {
      report([...at, "objects", "bounds", side], `expected ${coords.length} entries (one per coord: ${coords.join(", ")}), got ${list.length}`);
    }
  }
  const min = bounds.min, max = bounds.max;
  if (Array.isArray(min) && Array.isArray(max)) {
    for (let k = 0; k < Math.min(min.length, max.length); k++) {
      if (isNumber(min[k]) && isNumber(max[k]) && !(min[k] < max[k])) {
        report([...at, "objects", "bounds", "min", k], `expected < max[${k}] (${max[k]}), got ${min[k]}`);
      }
    }
  }
}

function checkAction(col: Json, at: (string | number)[], report: Report): void {
  const a = col.action;
  if (!isObject(a) || !Array.isArray(a.joints)) return;
  const joints = a.joints as unknown[];
  checkWidth(col, at, joints.length, `number of joints`, report);
  const names: unknown[] = joints.map((j) => (isObject(j) ? j.name : undefined));
  duplicates(names, [...at, "action", "joints"], "joint name", report, "name");
  joints.forEach((j, k) => {
    if (isObject(j) && isNumber(j.min) && isNumber(j.max) && !(j.min < j.max)) {
      report([...at, "action", "joints", k, "min"], `expected < max (${j.max}), got ${j.min}`);
    }
  });
  const cmd = a.command;
  if (!isObject(cmd)) return;
  const mapAt = [...at, "action", "command", "twist_map"];
  if (cmd.mode === "twist") {
    if (cmd.twist_map === undefined) {
      report(mapAt, `missing; mode "twist" needs the joint entries of linear.x, linear.y, linear.z, angular.x, angular.y, angular.z (null where unused)`);
    } else if (Array.isArray(cmd.twist_map)) {
      const map = cmd.twist_map as unknown[];
      if (map.length !== 6) report(mapAt, `expected 6 entries (linear.x/y/z, angular.x/y/z), got ${map.length}`);
      map.forEach((m, k) => {
        if (typeof m === "string" && !names.includes(m)) report([...mapAt, k], `expected a joint name of this column or null, got ${show(m)}`);
      });
    }
  } else if (cmd.twist_map !== undefined && typeof cmd.mode === "string") {
    report(mapAt, `only read for mode "twist" (mode is ${show(cmd.mode)}); remove it`);
  }
}

function checkTokenizer(tok: Json, report: Report): void {
  const special = tok.special;
  if (!isObject(special)) return;
  const vocab = Number.isInteger(tok.vocab_size) ? (tok.vocab_size as number) : undefined;
  const seen = new Map<number, string>();
  for (const key of ["PAD", "BOS", "EOS", "SEP"]) {
    const id = special[key];
    if (!Number.isInteger(id)) continue;
    const n = id as number;
    if (n < 256 || (vocab !== undefined && n >= vocab)) {
      report(["tokenizer", "special", key], `expected an id in [256, vocab_size ${vocab ?? "?"}) (0..255 are the bytes), got ${n}`);
    }
    const other = seen.get(n);
    if (other !== undefined) report(["tokenizer", "special", key], `expected an id distinct from the other specials, got ${n} (also ${other})`);
    else seen.set(n, key);
  }
}

function duplicates(values: unknown[], at: (string | number)[], what: string, report: Report, field?: string): void {
  const first = new Map<unknown, number>();
  values.forEach((v, k) => {
    if (v === undefined) return;
    const prev = first.get(v);
    if (prev === undefined) first.set(v, k);
    else report(field ? [...at, k, field] : [...at, k], `duplicate ${what} ${show(v)} (also [${prev}])`);
  });
}

/** `Unexpected token } in JSON at position 57` → adds `(line 4, column 3)`. */
function syntaxWhere(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const m = /position (\d+)/.exec(message);
  // Newer V8s say the line and column themselves.
  if (!m || /line \d+/.test(message)) return message;
  const pos = Number(m[1]);
  const before = text.slice(0, pos).split("\n");
  return `${message} (line ${before.length}, column ${before[before.length - 1]!.length + 1})`;
}

