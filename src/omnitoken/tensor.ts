// Tensors of the ONNX contract v1 (DESIGN §3) as plain data, independent of onnxruntime: the
// policy adapter wraps them in `new ort.Tensor(type, data, dims)` without copying.
import { inputName, outputName } from "./card.ts";
import type { ColumnSpec, ModelCard } from "./card-types.ts";
import type { ColumnKind } from "./types.ts";

export interface Tensor {
  type: "int64" | "float32";
  data: BigInt64Array | Float32Array;
  dims: number[];
}

/** Input tensors by name: the card's column inputs + `present` + `position`. */
export type Feeds = Record<string, Tensor>;

/** Tokens or tensors that do not fit the card's contract; the message names both sides. */
export class PackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PackError";
  }
}

export interface ColumnPlan {
  spec: ColumnSpec;
  name: string;
  kind: ColumnKind;
  /** Floats per token (1 for text, whose input is one int64 id). */
  width: number;
  input: string;
  output: string;
  /** Position in the card's column order = the index into `present`'s last axis. */
  index: number;
}

const plans = new WeakMap<ModelCard, ColumnPlan[]>();

/** The card's columns with their tensor names, computed once per card object. */
export function columnPlan(card: ModelCard): ColumnPlan[] {
  let plan = plans.get(card);
  if (!plan) {
    plan = card.columns.map((spec, index) => ({
      spec,
      name: spec.name,
      kind: spec.kind,
      width: spec.kind === "text" ? 1 : spec.width,
      input: inputName(spec),
      output: outputName(spec),
      index,
    }));
    plans.set(card, plan);
  }
  return plan;
}

export const float32 = (data: Float32Array, dims: number[]): Tensor => ({ type: "float32", data, dims });
export const int64 = (data: BigInt64Array, dims: number[]): Tensor => ({ type: "int64", data, dims });

/** `feeds[name]`, checked to have `type` and `dims`; `why` says where the dims come from. */
export function expectTensor(feeds: Record<string, Tensor>, name: string, type: Tensor["type"], dims: number[], why: string): Tensor {
  const t = feeds[name];
  if (!t) throw new PackError(`tensor ${name} is missing (${why})`);
  const arrayOk = type === "int64" ? t.data instanceof BigInt64Array : t.data instanceof Float32Array;
  if (t.type !== type || !arrayOk) throw new PackError(`tensor ${name}: expected ${type}, got ${t.type} (${t.data.constructor.name})`);
  if (t.dims.length !== dims.length || t.dims.some((d, i) => d !== dims[i])) {
    throw new PackError(`tensor ${name}: expected dims [${dims.join(", ")}] (${why}), got [${t.dims.join(", ")}]`);
  }
  const size = dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== size) throw new PackError(`tensor ${name}: dims [${dims.join(", ")}] hold ${size} values, its data has ${t.data.length}`);
  return t;
}
