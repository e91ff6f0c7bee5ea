// The KV cache between steps (DESIGN §3 contract: past_key_values.{i}.key/value in,
// present.{i}.key/value out, [B, H, S, D]). After each run the `present` outputs become the next
// `past` inputs as they are — on the GPU, where the provider left them there, so a step makes no
// host round trip. When the context is full the window slides: the command prefix stays, the oldest
// ticks after it go. It slides by a chunk at a time (not one token per step), so a GPU-resident
// cache is brought to the host rarely.
import ort from "onnxruntime-node";
import type { KvCacheSpec } from "../omnitoken/card-types.ts";

export interface KvCacheOptions {
  spec: KvCacheSpec;
  /** Max tokens the model attends to (the card's context_length). */
  contextLength: number;
  /** Fraction of the sliding part dropped when the window is full (0 < f ≤ 1). */
  slideFraction?: number;
}

export class KvCache {
  private readonly spec: KvCacheSpec;
  private readonly contextLength: number;
  private readonly slideFraction: number;
  private past: Map<string, ort.Tensor> = new Map();
  private len = 0;
  /** Tokens at the start of the window that never slide out (the command prefix). */
  private prefix = 0;
  private slides = 0;
  /** Device tensors a snapshot still refers to: not to be released when replaced. */
  private readonly pinned = new Set<ort.Tensor>();
  /** Device tensors of the held prefix (hold/resume): kept until another prefix is held. */
  private held = new Set<ort.Tensor>();

  constructor(options: KvCacheOptions) {
    this.spec = options.spec;
    this.contextLength = options.contextLength;
    this.slideFraction = options.slideFraction ?? 0.25;
    if (!(this.slideFraction > 0 && this.slideFraction <= 1)) {
      throw new RangeError(`kv cache slide fraction: expected 0 < f <= 1, got ${this.slideFraction}`);
    }
    this.reset();
  }

  get length(): number {
    return this.len;
  }

  get slideCount(): number {
    return this.slides;
  }

  /** Empty the cache (S = 0 tensors: the contract's first prefill). */
  reset(): void {
    const { layers, heads, head_dim } = this.spec;
    this.past = new Map();
    for (let i = 0; i < layers; i++) {
      for (const kv of ["key", "value"]) {
        this.past.set(`past_key_values.${i}.${kv}`, new ort.Tensor("float32", new Float32Array(0), [1, heads, 0, head_dim]));
      }
    }
    this.len = 0;
    this.prefix = 0;
  }

  /** Mark the tokens cached so far as the prefix that never slides out. */
  pinPrefix(): void {
    this.prefix = this.len;
  }

  /** The past inputs for the next run. */
  feeds(): Record<string, ort.Tensor> {
    return Object.fromEntries(this.past);
  }

  /** Make room for `incoming` new tokens, sliding the window if they would not fit. */
  async reserve(incoming: number): Promise<void> {
    if (this.prefix + incoming > this.contextLength) {
      throw new RangeError(
        `context: the ${this.prefix}-token command prefix plus ${incoming} new tokens exceed the model's context of ${this.contextLength}`,
      );
    }
    if (this.len + incoming <= this.contextLength) return;
    const sliding = this.len - this.prefix;
    const needed = this.len + incoming - this.contextLength;
    const drop = Math.min(sliding, Math.max(needed, Math.ceil(sliding * this.slideFraction)));
    await this.dropAfterPrefix(drop);
  }

  /** A mark to return to after scratch runs (rollouts). Tensors are immutable, so keeping the
   * references is enough; a restore must come before any slide. */
  snapshot(): { past: Map<string, ort.Tensor>; len: number } {
    for (const t of this.past.values()) this.pinned.add(t);
    return { past: new Map(this.past), len: this.len };
  }

  restore(mark: { past: Map<string, ort.Tensor>; len: number }): void {
    for (const t of mark.past.values()) this.pinned.delete(t);
    this.adopt(mark);
  }

  /** The cache becomes `mark`'s; tensors only the current cache used are released. */
  private adopt(mark: { past: Map<string, ort.Tensor>; len: number }): void {
    const kept = new Set(mark.past.values());
    for (const t of this.past.values()) if (!kept.has(t)) this.release(t);
    this.past = new Map(mark.past);
    this.len = mark.len;
  }

  /** Keep the cache as it is now (a command prefix just prefilled) to `resume` from in a later
   * episode, however the cache changes in between. Replaces the previous hold. */
  hold(): { past: Map<string, ort.Tensor>; len: number } {
    const previous = this.held;
    this.held = new Set(this.past.values());
    for (const t of previous) if (!this.held.has(t)) this.release(t);
    return { past: new Map(this.past), len: this.len };
  }

  /** Back to a held prefix: the cache as `hold` returned it, its prefix not yet pinned. */
  resume(mark: { past: Map<string, ort.Tensor>; len: number }): void {
    this.adopt(mark);
    this.prefix = 0;
  }

  /** Device memory is not garbage-collected promptly: free a replaced GPU tensor at once. */
  private release(t: ort.Tensor): void {
    if (t.location !== "cpu" && !this.pinned.has(t) && !this.held.has(t)) t.dispose();
  }

  /** Take the run's `present.*` outputs as the new past; `added` tokens were fed in that run. */
  update(outputs: Record<string, ort.OnnxValue>, added: number): void {
    for (const name of this.past.keys()) {
      const present = outputs[name.replace("past_key_values.", "present.")];
      if (!(present instanceof ort.Tensor)) throw new Error(`model output ${name.replace("past_key_values.", "present.")} is missing`);
      const s = present.dims[2];
      if (s !== this.len + added) {
        throw new Error(`model output ${name.replace("past_key_values.", "present.")} has ${s} cached tokens, expected ${this.len + added}`);
      }
      const old = this.past.get(name);
      this.past.set(name, present);
      if (old) this.release(old);
    }
    this.len += added;
  }

  private async dropAfterPrefix(drop: number): Promise<void> {
    const { heads, head_dim: d } = this.spec;
    const keep = this.len - drop;
    for (const [name, tensor] of this.past) {
      const data = (await tensor.getData()) as Float32Array; // [1, H, S, D]; downloads if on the GPU
      const out = new Float32Array(heads * keep * d);
      for (let h = 0; h < heads; h++) {
        const src = h * this.len * d;
        const dst = h * keep * d;
        out.set(data.subarray(src, src + this.prefix * d), dst); // the command prefix
        out.set(data.subarray(src + (this.prefix + drop) * d, src + this.len * d), dst + this.prefix * d); // recent ticks
      }
      this.release(tensor);
      this.past.set(name, new ort.Tensor("float32", out, [1, heads, keep, d]));
    }
    this.len = keep;
    this.slides += 1;
  }
}
