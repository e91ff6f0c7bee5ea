// The ONNX contract v1 tensors → omnitokens: the inverse of packing (for logs, datasets and tests)
// and the model's outputs → the predicted omnitokens.
//
// The contract carries presence but not origin, step or stamp. Without a side channel,
// unpackInputs gives origin "observed" to a present cell and "absent" to the rest, step = the
// token's `position` and stamp 0. With the SideChannel of `packSide`, pack → unpack is the identity.
import type { ModelCard } from "./card-types.ts";
import { columnPlan, expectTensor, PackError, type Feeds, type Tensor } from "./tensor.ts";
import { ORIGINS, type Cell, type Omnitoken, type Origin, type Stamp } from "./types.ts";

/** What the contract does not carry, row-major like the tensors. */
export interface SideChannel {
  origins: Uint8Array; // [B, T, C] index into ORIGINS
  steps: Float64Array; // [B, T]
  stamps: Stamp[]; // [B * T]
}

/** The side channel of the windows `packBatch` was given. */
export function packSide(card: ModelCard, windows: readonly (readonly Omnitoken[])[]): SideChannel {
  const plan = columnPlan(card);
  const C = plan.length;
  const T = windows[0]?.length ?? 0;
  const B = windows.length;
  const side: SideChannel = { origins: new Uint8Array(B * T * C), steps: new Float64Array(B * T), stamps: [] };
  windows.forEach((w, b) => {
    if (w.length !== T) throw new PackError(`packSide: windows must have equal lengths; window 0 has ${T} tokens, window ${b} has ${w.length}`);
    w.forEach((token, t) => {
      const bt = b * T + t;
      side.steps[bt] = token.step;
      side.stamps[bt] = { sec: token.stamp.sec, nanosec: token.stamp.nanosec };
      plan.forEach((col, c) => {
        const cell = token.columns[col.name];
        side.origins[bt * C + c] = cell ? ORIGINS.indexOf(cell.origin) : 2;
      });
    });
  });
  return side;
}

/** Feeds (as packed) → B windows of T tokens. The exact inverse of packBatch given `side`. */
export function unpackInputs(card: ModelCard, feeds: Feeds, side?: SideChannel): Omnitoken[][] {
  const plan = columnPlan(card);
  const C = plan.length;
  const presentT = feeds.present;
  if (!presentT || presentT.dims.length !== 3) throw new PackError(`tensor present: expected dims [B, T, ${C}], got ${presentT ? `[${presentT.dims.join(", ")}]` : "no tensor"}`);
  const [B, T] = presentT.dims as [number, number, number];
  const present = expectTensor(feeds, "present", "float32", [B, T, C], `${C} columns in card ${card.name}`).data as Float32Array;
  const position = expectTensor(feeds, "position", "int64", [B, T], "one per token").data as BigInt64Array;
  const data = plan.map((col) =>
    col.kind === "text"
      ? expectTensor(feeds, col.input, "int64", [B, T], `column ${col.name}`).data
      : expectTensor(feeds, col.input, "float32", [B, T, col.width], `column ${col.name} width ${col.width}`).data,
  );
  if (side && (side.origins.length !== B * T * C || side.steps.length !== B * T || side.stamps.length !== B * T)) {
    throw new PackError(`side channel: expected ${B * T * C} origins and ${B * T} steps and stamps, got ${side.origins.length}, ${side.steps.length}, ${side.stamps.length}`);
  }
  const out: Omnitoken[][] = [];
  for (let b = 0; b < B; b++) {
    const window: Omnitoken[] = [];
    for (let t = 0; t < T; t++) {
      const bt = b * T + t;
      const columns: Record<string, Cell> = {};
      plan.forEach((col, c) => {
        const flag = present[bt * C + c]!;
        if (flag !== 0 && flag !== 1) throw new PackError(`present[${b}, ${t}, ${c}] (column ${col.name}): expected 0 or 1, got ${flag}`);
        let origin: Origin = flag === 1 ? "observed" : "absent";
        if (side) {
          const code = side.origins[bt * C + c]!;
          const named = ORIGINS[code];
          if (named === undefined) throw new PackError(`side channel origin [${b}, ${t}, ${c}]: expected 0..${ORIGINS.length - 1}, got ${code}`);
          origin = named;
          if ((origin !== "absent") !== (flag === 1)) {
            throw new PackError(`token [${b}, ${t}] column ${col.name}: side channel says ${origin}, present says ${flag}`);
          }
        }
        const src = data[c]!;
        const cellData = col.kind === "text"
          ? Int32Array.of(Number((src as BigInt64Array)[bt]))
          : (src as Float32Array).slice(bt * col.width, (bt + 1) * col.width);
        columns[col.name] = { origin, data: cellData };
      });
      const stamp = side ? side.stamps[bt]! : { sec: 0, nanosec: 0 };
      window.push({ step: side ? side.steps[bt]! : Number(position[bt]), stamp: { sec: stamp.sec, nanosec: stamp.nanosec }, columns });
    }
    out.push(window);
  }
  return out;
}

/** The model's outputs → predicted tokens [B][T] (origin "predicted").
 * text: argmax of text_logits [B, T, V] (lowest id on ties; NaN never wins; an all-NaN row leaves
 * text absent). pixels_out / objects_out / action_out [B, T, W] are copied as given. A column whose
 * output the graph does not produce is absent (zeros). `steps` and `stamps` are [B][T]. */
export function unpackOutputs(card: ModelCard, outputs: Record<string, Tensor>, steps: readonly (readonly number[])[], stamps: readonly (readonly Stamp[])[]): Omnitoken[][] {
  const plan = columnPlan(card);
  const B = steps.length;
  const T = steps[0]?.length ?? 0;
  if (stamps.length !== B || steps.some((s) => s.length !== T) || stamps.some((s) => s.length !== T)) {
    throw new PackError(`unpackOutputs: steps and stamps must both be [B][T]; steps is [${B}][${T}], stamps [${stamps.length}][${stamps[0]?.length ?? 0}] or ragged`);
  }
  const V = card.tokenizer.vocab_size;
  const data = plan.map((col) => {
    if (!outputs[col.output]) return undefined;
    const W = col.kind === "text" ? V : col.width;
    const why = col.kind === "text" ? `vocab_size ${V}` : `column ${col.name} width ${W}`;
    return expectTensor(outputs, col.output, "float32", [B, T, W], why).data as Float32Array; // [B, T, W]
  });
  const out: Omnitoken[][] = [];
  for (let b = 0; b < B; b++) {
    const window: Omnitoken[] = [];
    for (let t = 0; t < T; t++) {
      const bt = b * T + t;
      const columns: Record<string, Cell> = {};
      plan.forEach((col, c) => {
        const src = data[c];
        if (col.kind === "text") {
          const id = src ? argmax(src, bt * V, V) : -1;
          columns[col.name] = id < 0 ? { origin: "absent", data: new Int32Array(1) } : { origin: "predicted", data: Int32Array.of(id) };
        } else {
          columns[col.name] = src
            ? { origin: "predicted", data: src.slice(bt * col.width, (bt + 1) * col.width) }
            : { origin: "absent", data: new Float32Array(col.width) };
        }
      });
      const s = stamps[b]![t]!;
      window.push({ step: steps[b]![t]!, stamp: { sec: s.sec, nanosec: s.nanosec }, columns });
    }
    out.push(window);
  }
  return out;
}

/** Index of the largest of `n` values from `start`, relative to start; -1 when all are NaN. */
function argmax(values: Float32Array, start: number, n: number): number {
  let best = -1;
  let bestValue = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[start + i]!;
    if (v > bestValue || (best < 0 && v === -Infinity)) {
      best = i;
      bestValue = v;
    }
  }
  return best;
}
