// A seeded PRNG of our own (sfc32 seeded through splitmix32): 32-bit integer arithmetic only, so a
// seed gives the same stream on every machine and JS engine (Math.random is neither seedable nor
// portable). Streams for different purposes (layout, detector noise) are split by a salt.

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** `seed`: any integer (safe range); `salt`: a stream name, so each purpose has its own stream. */
  constructor(seed: number, salt = "") {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`Rng seed must be a safe integer, got ${seed}`);
    // Fold the seed's high and low 32 bits and the salt into one 32-bit state for splitmix32.
    let s = (seed >>> 0) ^ Math.imul(Math.floor(seed / 4294967296) >>> 0, 0x9e3779b1);
    for (let i = 0; i < salt.length; i++) s = Math.imul(s ^ salt.charCodeAt(i), 0x01000193) >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** Next 32-bit unsigned integer (sfc32). */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1), 32 bits of resolution (exact: a multiple of 2^-32). */
  next(): number {
    return this.u32() / 4294967296;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("Rng.pick: empty list");
    return items[this.int(items.length)]!;
  }

  /** Fisher–Yates shuffle of a copy. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  /** Standard normal (Marsaglia polar method: sqrt and log only, no trigonometry). */
  normal(): number {
    for (;;) {
      const u = 2 * this.next() - 1;
      const v = 2 * this.next() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) return u * Math.sqrt((-2 * Math.log(s)) / s);
    }
  }

  /** A uniformly random direction in the plane as (cos, sin), by rejection (no trigonometry). */
  unitCircle(): [number, number] {
    for (;;) {
      const u = 2 * this.next() - 1;
      const v = 2 * this.next() - 1;
      const s = u * u + v * v;
      if (s > 1e-4 && s <= 1) {
        const r = Math.sqrt(s);
        return [u / r, v / r];
      }
    }
  }
}
