// Seeded random omnitokens for property-style round trips: random presence and origins, and
// the float values that break naive codecs (NaN with payloads, ±Infinity, -0, subnormals).
import { readFileSync } from "node:fs";
import { validateCard } from "../../src/omnitoken/card.ts";
import type { ModelCard } from "../../src/omnitoken/card-types.ts";
import { ORIGINS, type Cell, type Omnitoken } from "../../src/omnitoken/types.ts";

/** mulberry32: small, fast, good enough to vary test data; same seed → same sequence. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function fixtureCard(name: string): ModelCard {
  const path = new URL(`../fixtures/cards/${name}.json`, import.meta.url);
  return validateCard(JSON.parse(readFileSync(path, "utf8")), `test/fixtures/cards/${name}.json`);
}

/** Float32 bit patterns chosen to catch lossy paths; index 0.. are special, the rest random. */
export function randomFloats(rand: () => number, n: number): Float32Array {
  const out = new Float32Array(n);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.05) bits[i] = 0x7fc00000 | Math.floor(rand() * 0x3fffff) + 1; // quiet NaN, payload
    else if (r < 0.08) bits[i] = 0xff800001 + Math.floor(rand() * 0x3ffffe); // negative signalling NaN
    else if (r < 0.1) out[i] = rand() < 0.5 ? Infinity : -Infinity;
    else if (r < 0.13) out[i] = -0;
    else if (r < 0.15) bits[i] = 1 + Math.floor(rand() * 0x7fffff); // subnormal
    else out[i] = (rand() - 0.5) * 4;
  }
  return out;
}

export function randomToken(card: ModelCard, rand: () => number, step: number): Omnitoken {
  const columns: Record<string, Cell> = {};
  for (const spec of card.columns) {
    const origin = ORIGINS[Math.floor(rand() * ORIGINS.length)]!;
    columns[spec.name] = spec.kind === "text"
      ? { origin, data: Int32Array.of(Math.floor(rand() * card.tokenizer.vocab_size)) }
      : { origin, data: randomFloats(rand, spec.width) };
  }
  return { step, stamp: { sec: 1_700_000_000 + step, nanosec: Math.floor(rand() * 1e9) }, columns };
}

export function randomWindow(card: ModelCard, rand: () => number, T: number, firstStep = 0): Omnitoken[] {
  return Array.from({ length: T }, (_, t) => randomToken(card, rand, firstStep + t));
}
