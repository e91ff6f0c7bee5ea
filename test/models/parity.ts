// Reads the parity vectors models/omnimodel/export.py writes (parity.json beside model.onnx) and
// replays them through onnxruntime-node. A case with past > 0 is fed onnxruntime's own previous
// `present` outputs as its past_key_values, so the chain tests the cache the runtime will carry.
import ort from "onnxruntime-node";
import { readFileSync } from "node:fs";

export class ParityFileError extends Error {
  constructor(path: string, what: string) {
    super(`parity vectors ${path}: ${what}`);
    this.name = "ParityFileError";
  }
}

interface Encoded {
  dtype: "int64" | "float32";
  shape: number[];
  data: string; // base64, little-endian
}

interface ParityCase {
  name: string;
  past: number; // S: cached tokens before this case
  new: number; // T: tokens fed in this case
  inputs: Record<string, Encoded>;
  outputs: Record<string, Encoded>;
}

export interface ParityFile {
  format: "omniloop-parity";
  version: 1;
  tolerance: number;
  torch: string;
  cases: ParityCase[];
}

export function loadParity(path: string): ParityFile {
  const json = JSON.parse(readFileSync(path, "utf8")) as Partial<ParityFile>;
  if (json.format !== "omniloop-parity" || json.version !== 1) {
    throw new ParityFileError(path, `expected format "omniloop-parity" version 1, got ${String(json.format)} version ${String(json.version)}`);
  }
  if (!Array.isArray(json.cases) || json.cases.length === 0) throw new ParityFileError(path, "expected a non-empty cases list");
  return json as ParityFile;
}

export function decode(e: Encoded): ort.Tensor {
  const buf = Buffer.from(e.data, "base64");
  // Copy into a fresh, aligned ArrayBuffer: a Buffer's byteOffset need not be a multiple of 8.
  const bytes = new Uint8Array(buf.byteLength);
  bytes.set(buf);
  const data = e.dtype === "int64" ? new BigInt64Array(bytes.buffer) : new Float32Array(bytes.buffer);
  return new ort.Tensor(e.dtype, data, e.shape);
}

export interface CaseResult {
  name: string;
  past: number;
  new: number;
  /** Largest |onnxruntime − torch| over every output of the case. */
  maxAbsError: number;
  /** The output holding that largest error. */
  worst: string;
}

/** Runs every case in order; throws naming the case, output and element that misses `tol`. */
export async function runParity(session: ort.InferenceSession, file: ParityFile, tol: number): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  let carried: Record<string, ort.Tensor> | undefined;
  for (const c of file.cases) {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, enc] of Object.entries(c.inputs)) feeds[name] = decode(enc);
    if (carried && c.past > 0) {
      for (const name of Object.keys(feeds)) {
        if (!name.startsWith("past_key_values.")) continue;
        const from = name.replace("past_key_values.", "present.");
        const own = carried[from];
        if (!own) throw new Error(`case ${c.name}: no ${from} output from the previous case to feed ${name}`);
        feeds[name] = own;
      }
    }
    const out = await session.run(feeds);
    let maxAbsError = 0;
    let worst = "";
    for (const [name, enc] of Object.entries(c.outputs)) {
      const want = decode(enc);
      const got = out[name];
      if (!got) throw new Error(`case ${c.name}: the graph has no output ${name}`);
      if (got.dims.join(",") !== want.dims.join(",")) {
        throw new Error(`case ${c.name}: output ${name} has shape [${got.dims.join(", ")}], torch gave [${want.dims.join(", ")}]`);
      }
      const g = got.data as Float32Array;
      const w = want.data as Float32Array;
      for (let i = 0; i < w.length; i++) {
        const err = Math.abs(g[i]! - w[i]!);
        if (!(err <= tol)) {
          throw new Error(`case ${c.name} (S=${c.past}, T=${c.new}): ${name}[${i}] = ${g[i]} from onnxruntime, ${w[i]} from torch (|diff| ${err} > ${tol})`);
        }
        if (err > maxAbsError) {
          maxAbsError = err;
          worst = name;
        }
      }
    }
    carried = out;
    results.push({ name: c.name, past: c.past, new: c.new, maxAbsError, worst });
  }
  return results;
}
