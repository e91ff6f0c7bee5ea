// Omnitokens → the ONNX contract v1 input tensors (DESIGN §3), and back (unpack.ts).
//   text_ids [B, T] int64 · pixels [B, T, P] · objects [B, T, O] · action [B, T, A] ·
//   present [B, T, C] float32 (1/0, card column order) · position [B, T] int64
// A column the card does not declare has no tensor. Absent cells are packed as they are (zeros by
// convention) so that unpacking gives back the same data.
import type { ModelCard } from "./card-types.ts";
import { columnPlan, float32, int64, PackError, type ColumnPlan, type Feeds } from "./tensor.ts";
import type { Omnitoken } from "./types.ts";

export { PackError, type Feeds, type Tensor } from "./tensor.ts";
export { packSide, unpackInputs, unpackOutputs, type SideChannel } from "./unpack.ts";

/** Fresh feeds for B windows of T tokens. */
function allocate(plan: ColumnPlan[], B: number, T: number): Feeds {
  const feeds: Feeds = {};
  for (const col of plan) {
    feeds[col.input] = col.kind === "text"
      ? int64(new BigInt64Array(B * T), [B, T]) // [B, T]
      : float32(new Float32Array(B * T * col.width), [B, T, col.width]); // [B, T, W]
  }
  feeds.present = float32(new Float32Array(B * T * plan.length), [B, T, plan.length]); // [B, T, C]
  feeds.position = int64(new BigInt64Array(B * T), [B, T]); // [B, T]
  return feeds;
}

/** Writes window `b` (T tokens) into `feeds`. Hot path of every control tick: no allocation but the BigInts. */
function fill(card: ModelCard, plan: ColumnPlan[], feeds: Feeds, b: number, tokens: readonly Omnitoken[], firstPosition: number): void {
  const T = tokens.length;
  const C = plan.length;
  const present = feeds.present!.data as Float32Array;
  const position = feeds.position!.data as BigInt64Array;
  const vocab = card.tokenizer.vocab_size;
  if (!Number.isSafeInteger(firstPosition) || firstPosition < 0) throw new PackError(`window ${b}: expected a non-negative integer first position, got ${firstPosition}`);
  for (let t = 0; t < T; t++) {
    const token = tokens[t]!;
    const bt = b * T + t;
    position[bt] = BigInt(firstPosition + t);
    for (let c = 0; c < C; c++) {
      const col = plan[c]!;
      const cell = token.columns[col.name];
      if (!cell) throw new PackError(`token ${t} (step ${token.step}) has no column ${col.name} (card ${card.name} declares ${plan.map((p) => p.name).join(", ")})`);
      present[bt * C + c] = cell.origin === "absent" ? 0 : 1;
      const data = cell.data;
      if (col.kind === "text") {
        const id = data[0];
        if (!(data instanceof Int32Array) || data.length !== 1 || id === undefined || id < 0 || id >= vocab) {
          throw new PackError(`token ${t} (step ${token.step}) column ${col.name}: expected Int32Array(1) holding an id in [0, ${vocab}), got ${describeData(data)}`);
        }
        (feeds[col.input]!.data as BigInt64Array)[bt] = BigInt(id);
      } else {
        if (!(data instanceof Float32Array) || data.length !== col.width) {
          throw new PackError(`token ${t} (step ${token.step}) column ${col.name}: expected Float32Array(${col.width}), got ${describeData(data)}`);
        }
        (feeds[col.input]!.data as Float32Array).set(data, bt * col.width);
      }
    }
  }
}

function describeData(data: unknown): string {
  if (!ArrayBuffer.isView(data)) return String(data);
  const arr = data as unknown as ArrayLike<number>;
  return arr.length === 1 ? `${data.constructor.name}(1) [${arr[0]}]` : `${data.constructor.name}(${arr.length})`;
}

/** One window of T tokens at positions firstPosition.. → feeds with B = 1. */
export function packWindow(card: ModelCard, tokens: readonly Omnitoken[], firstPosition: number): Feeds {
  return packBatch(card, [tokens], [firstPosition]);
}

/** B windows of equal length T → feeds [B, T, …]; window b starts at firstPositions[b]. */
export function packBatch(card: ModelCard, windows: readonly (readonly Omnitoken[])[], firstPositions: readonly number[]): Feeds {
  if (windows.length === 0) throw new PackError("packBatch: expected at least one window, got none");
  if (firstPositions.length !== windows.length) {
    throw new PackError(`packBatch: expected one first position per window (${windows.length}), got ${firstPositions.length}`);
  }
  const T = windows[0]!.length;
  windows.forEach((w, b) => {
    if (w.length !== T) throw new PackError(`packBatch: windows must have equal lengths; window 0 has ${T} tokens, window ${b} has ${w.length}`);
  });
  const plan = columnPlan(card);
  const feeds = allocate(plan, windows.length, T);
  windows.forEach((w, b) => fill(card, plan, feeds, b, w, firstPositions[b]!));
  return feeds;
}

/** Packs a fixed number of tokens (1 by default: one control tick) into tensors it allocates
 * once and reuses. The returned feeds are overwritten by the next call. */
export class Packer {
  readonly length: number;
  private readonly card: ModelCard;
  private readonly plan: ColumnPlan[];
  private readonly feeds: Feeds;

  constructor(card: ModelCard, options: { length?: number } = {}) {
    this.card = card;
    this.length = options.length ?? 1;
    this.plan = columnPlan(card);
    this.feeds = allocate(this.plan, 1, this.length);
  }

  /** `tokens.length` must equal `length`; positions firstPosition.. → feeds [1, length, …]. */
  pack(tokens: readonly Omnitoken[], firstPosition: number): Feeds {
    if (tokens.length !== this.length) throw new PackError(`Packer: expected ${this.length} tokens, got ${tokens.length}`);
    fill(this.card, this.plan, this.feeds, 0, tokens, firstPosition);
    return this.feeds;
  }

  /** One token at `position` (needs length 1). */
  packToken(token: Omnitoken, position: number): Feeds {
    return this.pack([token], position);
  }
}
