// The ONNX contract v1 (DESIGN §3) checked against a model card: the runtime refuses a graph whose
// inputs or outputs disagree with its card, naming each mismatch, before the robot moves.
import { inputName, outputName } from "../omnitoken/card.ts";
import type { ModelCard } from "../omnitoken/card-types.ts";

/** What we need to know of one graph input/output (onnxruntime's ValueMetadata, or a test's). */
export interface GraphValue {
  name: string;
  type?: string; // "float32", "int64", ...
  /** Dimensions: a number where fixed, a string (symbolic) where dynamic; empty when unknown. */
  shape?: ReadonlyArray<number | string>;
}

export class ContractError extends Error {
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    super(`model ${source} does not match its card:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ContractError";
    this.problems = problems;
  }
}

interface Expected {
  name: string;
  type: "float32" | "int64";
  /** Expected dims: a number to match, null for a dynamic axis. */
  dims: (number | null)[];
  /** How to say what the card declares about the last dimension, for messages. */
  what: string;
}

export function expectedInputs(card: ModelCard): Expected[] {
  const { layers, heads, head_dim } = card.kv_cache;
  const out: Expected[] = [];
  for (const c of card.columns) {
    if (c.kind === "text") out.push({ name: inputName(c), type: "int64", dims: [null, null], what: "text ids" });
    else out.push({ name: inputName(c), type: "float32", dims: [null, null, c.width], what: `${c.name} width` });
  }
  out.push({ name: "present", type: "float32", dims: [null, null, card.columns.length], what: "column count" });
  out.push({ name: "position", type: "int64", dims: [null, null], what: "positions" });
  for (let i = 0; i < layers; i++) {
    for (const kv of ["key", "value"]) {
      out.push({ name: `past_key_values.${i}.${kv}`, type: "float32", dims: [null, heads, null, head_dim], what: "KV cache [B,H,S,D]" });
    }
  }
  return out;
}

export function expectedOutputs(card: ModelCard): Expected[] {
  const { layers, heads, head_dim } = card.kv_cache;
  const out: Expected[] = [];
  for (const c of card.columns) {
    const width = c.kind === "text" ? card.tokenizer.vocab_size : c.width;
    out.push({ name: outputName(c), type: "float32", dims: [null, null, width], what: c.kind === "text" ? "vocabulary size" : `${c.name} width` });
  }
  for (let i = 0; i < layers; i++) {
    for (const kv of ["key", "value"]) {
      out.push({ name: `present.${i}.${kv}`, type: "float32", dims: [null, heads, null, head_dim], what: "KV cache [B,H,S+T,D]" });
    }
  }
  return out;
}

function compare(side: "input" | "output", expected: Expected[], actual: readonly GraphValue[], problems: string[]): void {
  const byName = new Map(actual.map((v) => [v.name, v]));
  for (const e of expected) {
    const a = byName.get(e.name);
    if (!a) {
      problems.push(`card expects graph ${side} ${e.name} (${e.what}), the graph has none`);
      continue;
    }
    byName.delete(e.name);
    if (a.type && a.type !== e.type) problems.push(`graph ${side} ${e.name} is ${a.type}, the contract says ${e.type}`);
    const shape = a.shape ?? [];
    if (shape.length === 0) continue; // shape unknown to the runtime: nothing more to check
    if (shape.length !== e.dims.length) {
      problems.push(`graph ${side} ${e.name} has ${shape.length} dimensions, the contract says ${e.dims.length}`);
      continue;
    }
    e.dims.forEach((want, i) => {
      const got = shape[i];
      if (want !== null && typeof got === "number" && got !== want) {
        problems.push(`card declares ${e.what} ${want}, graph ${side} ${e.name} has ${got} (dimension ${i})`);
      }
    });
  }
  for (const extra of byName.keys()) problems.push(`graph ${side} ${extra} is not in the contract for this card`);
}

/** Every disagreement between `card` and the graph's inputs and outputs (empty when they agree). */
export function contractProblems(card: ModelCard, inputs: readonly GraphValue[], outputs: readonly GraphValue[]): string[] {
  const problems: string[] = [];
  compare("input", expectedInputs(card), inputs, problems);
  compare("output", expectedOutputs(card), outputs, problems);
  return problems;
}

export function checkContract(card: ModelCard, inputs: readonly GraphValue[], outputs: readonly GraphValue[], source: string): void {
  const problems = contractProblems(card, inputs, outputs);
  if (problems.length) throw new ContractError(source, problems);
}
