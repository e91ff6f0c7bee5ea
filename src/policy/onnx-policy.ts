// The local policy: an ONNX model and its card in onnxruntime-node (DESIGN §3–4). Checks the graph
// against the card before anything runs, keeps the KV cache between steps (on the GPU where the
// provider allows), slides the window when the context is full, rolls out action chunks, and warms
// up at load so the first control tick is not slow.
import ort from "onnxruntime-node";
import { dirname, resolve } from "node:path";
import { loadCard, outputName } from "../omnitoken/card.ts";
import type { ModelCard } from "../omnitoken/card-types.ts";
import { Packer, packWindow, unpackOutputs, type Feeds, type Tensor } from "../omnitoken/pack.ts";
import { absentToken, textToken } from "../omnitoken/token.ts";
import type { Omnitoken } from "../omnitoken/types.ts";
import { checkContract } from "./contract.ts";
import { KvCache } from "./kv-cache.ts";
import { autoCandidates, openSession, type Log, type ProviderChoice, type ProviderName } from "./providers.ts";
import type { Policy } from "./types.ts";

export interface OnnxPolicyOptions {
  /** The model card JSON; the graph is the card's `onnx` file beside it (or `model`). */
  card: string;
  /** The .onnx file, when the card does not name it. */
  model?: string;
  provider?: ProviderChoice;
  log?: Log;
  /** Warm-up runs at load (0 disables). */
  warmup?: number;
  /** Keep the last command's prefilled cache, so an episode that starts with the same prefix (the
   * same packed inputs: tokens and positions; stamps do not reach the model) skips its prefill
   * (default on). */
  prefixCache?: boolean;
}

/** The last prefix prefilled: its packed inputs (to recognise it), its cache and its outputs. */
interface HeldPrefix {
  feeds: Feeds;
  mark: { past: Map<string, ort.Tensor>; len: number };
  host: Record<string, Tensor>;
}

const toOrt = (feeds: Feeds): Record<string, ort.Tensor> =>
  Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor(t.type, t.data, t.dims)]));

export class OnnxPolicy implements Policy {
  readonly card: ModelCard;
  readonly provider: ProviderName;
  readonly modelPath: string;
  private readonly session: ort.InferenceSession;
  private readonly cache: KvCache;
  private readonly packer: Packer;
  private readonly outputNames: string[];
  /** The text head's logits at the last token of the last run (for speakProbability). */
  private lastText: { logits: Float32Array; offset: number } | null = null;
  private prefixCache = true;
  private held: HeldPrefix | undefined;
  private hits = 0;

  private constructor(card: ModelCard, modelPath: string, session: ort.InferenceSession, provider: ProviderName) {
    this.card = card;
    this.modelPath = modelPath;
    this.session = session;
    this.provider = provider;
    this.cache = new KvCache({ spec: card.kv_cache, contextLength: card.context_length });
    this.packer = new Packer(card);
    // Only what the loop reads comes back to the host; the cache outputs stay where they are.
    this.outputNames = session.outputNames.filter((n) => !n.startsWith("present."));
  }

  static async load(options: OnnxPolicyOptions): Promise<OnnxPolicy> {
    const log = options.log ?? (() => {});
    const card = loadCard(options.card);
    const modelPath = resolveModel(options, card);
    const gpuOutputs = presentNames(card);
    const choice = options.provider ?? "cpu";
    let policy: OnnxPolicy;
    if (choice === "auto") {
      policy = await OnnxPolicy.pickFastest(card, modelPath, gpuOutputs, log);
    } else {
      const { session, provider } = await openSession(modelPath, choice, { log, gpuOutputs });
      checkContract(card, session.inputMetadata, session.outputMetadata, modelPath);
      policy = new OnnxPolicy(card, modelPath, session, provider);
    }
    policy.prefixCache = options.prefixCache ?? true;
    await policy.warmup(options.warmup ?? 3);
    return policy;
  }

  get contextLength(): number {
    return this.cache.length;
  }

  get slides(): number {
    return this.cache.slideCount;
  }

  /** Episodes whose prefill came from the prefix cache. */
  get prefixHits(): number {
    return this.hits;
  }

  async start(prefix: readonly Omnitoken[]): Promise<Omnitoken> {
    if (prefix.length === 0) throw new RangeError("policy start: the command prefix is empty (expected at least BOS … SEP)");
    const feeds = packWindow(this.card, prefix, prefix[0]!.step);
    const held = this.held;
    if (this.prefixCache && held && sameFeeds(held.feeds, feeds)) {
      // The same command again: its cache and outputs are what this prefill would compute (the
      // model is a function of these inputs), so the episode starts without running it.
      this.cache.resume(held.mark);
      this.cache.pinPrefix();
      this.hits += 1;
      const out = this.unpack(held.host, prefix);
      return out[out.length - 1]!;
    }
    this.cache.reset();
    const host = await this.runHost(feeds, prefix.length);
    this.cache.pinPrefix();
    if (this.prefixCache) {
      const copy = Object.fromEntries(Object.entries(host).map(([k, t]) => [k, { ...t, data: t.data.slice() }]));
      this.held = { feeds, mark: this.cache.hold(), host: copy };
    }
    const out = this.unpack(host, prefix);
    return out[out.length - 1]!;
  }

  async step(token: Omnitoken): Promise<Omnitoken> {
    // The position is the token's step in its episode (as in training), so a tick the loop did not
    // feed (async mode) leaves a gap in positions rather than compressing time.
    return (await this.run(this.packer.packToken(token, token.step), [token]))[0]!;
  }

  async rollout(token: Omnitoken, horizon: number): Promise<Omnitoken[]> {
    if (!Number.isInteger(horizon) || horizon < 1) throw new RangeError(`rollout horizon: expected a positive integer, got ${horizon}`);
    const first = await this.step(token);
    const mark = this.cache.snapshot();
    const out = [first];
    try {
      // A prediction goes back in as it is: same schema, its columns' origin "predicted".
      for (let h = 1; h < horizon; h++) out.push(await this.step(out[h - 1]!));
    } finally {
      this.cache.restore(mark); // predictions fed back are scratch: the context keeps real observations
    }
    return out;
  }

  async close(): Promise<void> {
    await this.session.release();
  }

  /** 1 − p(PAD) under the text head at the last token of the last run: how sure the model was
   * that it had something to say (the loop speaks when a word beats PAD). null before any run or
   * without a text output. For traces and evaluations; the loop does not use it. */
  speakProbability(): number | null {
    if (!this.lastText) return null;
    const { logits, offset } = this.lastText;
    const V = this.card.tokenizer.vocab_size;
    let max = -Infinity;
    for (let i = 0; i < V; i++) max = Math.max(max, logits[offset + i]!);
    if (!Number.isFinite(max)) return null;
    let sum = 0;
    for (let i = 0; i < V; i++) sum += Math.exp(logits[offset + i]! - max);
    return 1 - Math.exp(logits[offset + this.card.tokenizer.special.PAD]! - max) / sum;
  }

  /** Runs `feeds` (T tokens) with the cache; returns the T predicted tokens. */
  private async run(feeds: Feeds, tokens: readonly Omnitoken[]): Promise<Omnitoken[]> {
    return this.unpack(await this.runHost(feeds, tokens.length), tokens);
  }

  /** Runs `feeds` (T tokens) with the cache; returns the outputs the loop reads, on the host. */
  private async runHost(feeds: Feeds, T: number): Promise<Record<string, Tensor>> {
    await this.cache.reserve(T);
    const outputs = await this.session.run({ ...toOrt(feeds), ...this.cache.feeds() });
    this.cache.update(outputs, T);
    const host: Record<string, Tensor> = {};
    for (const name of this.outputNames) {
      const t = outputs[name] as ort.Tensor;
      host[name] = { type: "float32", data: (await t.getData()) as Float32Array, dims: [...t.dims] };
    }
    const text = host[outputName({ kind: "text" })];
    this.lastText = text ? { logits: text.data as Float32Array, offset: (T - 1) * this.card.tokenizer.vocab_size } : null;
    return host;
  }

  private unpack(host: Record<string, Tensor>, tokens: readonly Omnitoken[]): Omnitoken[] {
    const period = 1 / this.card.control_rate_hz;
    const steps = tokens.map((t) => t.step + 1);
    const stamps = tokens.map((t) => addSeconds(t.stamp, period));
    return unpackOutputs(this.card, host, [steps], [stamps])[0]!;
  }

  /** `auto`: open the model on every provider this machine has, time a few warm steps on each, keep
   * the fastest, and say why. */
  private static async pickFastest(card: ModelCard, modelPath: string, gpuOutputs: string[], log: Log): Promise<OnnxPolicy> {
    const timings: { policy: OnnxPolicy; p50: number }[] = [];
    for (const name of autoCandidates()) {
      let opened;
      try {
        opened = await openSession(modelPath, name, { fallbacks: [], log, gpuOutputs });
      } catch {
        continue; // openSession logged why
      }
      checkContract(card, opened.session.inputMetadata, opened.session.outputMetadata, modelPath);
      const policy = new OnnxPolicy(card, modelPath, opened.session, opened.provider);
      timings.push({ policy, p50: await timeSteps(policy, card) });
    }
    if (timings.length === 0) throw new Error(`${modelPath}: auto: no execution provider could start`);
    timings.sort((a, b) => a.p50 - b.p50);
    const best = timings[0]!;
    log(`execution provider auto: ${timings.map((t) => `${t.policy.provider} ${t.p50.toFixed(2)} ms`).join(", ")} (median one-token step) → ${best.policy.provider}`);
    for (const t of timings.slice(1)) await t.policy.close();
    return best.policy;
  }

  private async warmup(runs: number): Promise<void> {
    if (runs <= 0) return;
    const stamp = { sec: 0, nanosec: 0 };
    const { BOS, SEP } = this.card.tokenizer.special;
    await this.start([textToken(this.card, BOS, 0, stamp), textToken(this.card, SEP, 1, stamp)]);
    for (let i = 0; i < runs; i++) await this.step(absentToken(this.card, 2 + i, stamp));
    this.cache.reset();
  }
}

function addSeconds(stamp: { sec: number; nanosec: number }, s: number): { sec: number; nanosec: number } {
  const ns = stamp.nanosec + Math.round(s * 1e9);
  return { sec: stamp.sec + Math.floor(ns / 1e9), nanosec: ns % 1e9 };
}

/** Same tensors, element for element (dims and bytes). */
function sameFeeds(a: Feeds, b: Feeds): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) {
    const x = a[k]!;
    const y = b[k];
    if (!y || x.type !== y.type || x.dims.length !== y.dims.length || x.dims.some((d, i) => d !== y.dims[i])) return false;
    const xb = new Uint8Array(x.data.buffer, x.data.byteOffset, x.data.byteLength);
    const yb = new Uint8Array(y.data.buffer, y.data.byteOffset, y.data.byteLength);
    if (Buffer.compare(xb, yb) !== 0) return false;
  }
  return true;
}

function presentNames(card: ModelCard): string[] {
  const names: string[] = [];
  for (let i = 0; i < card.kv_cache.layers; i++) names.push(`present.${i}.key`, `present.${i}.value`);
  return names;
}

function resolveModel(options: OnnxPolicyOptions, card: ModelCard): string {
  if (options.model) return options.model;
  if (!card.onnx) throw new Error(`${options.card}: the card names no onnx file; pass the model path`);
  return resolve(dirname(options.card), card.onnx);
}

async function timeSteps(policy: OnnxPolicy, card: ModelCard, n = 10): Promise<number> {
  const stamp = { sec: 0, nanosec: 0 };
  const { BOS, SEP } = card.tokenizer.special;
  await policy.start([textToken(card, BOS, 0, stamp), textToken(card, SEP, 1, stamp)]);
  for (let i = 0; i < 3; i++) await policy.step(absentToken(card, 2 + i, stamp));
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await policy.step(absentToken(card, 5 + i, stamp));
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return ms[Math.floor(n / 2)]!;
}
