// Option values with units, as people type them: sizes with K/M/G suffixes, positive numbers.
import { LogError } from "./errors.ts";

export class UnitError extends LogError {}

const SUFFIX: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** "512", "4M", "1.5G", "64KiB" → bytes. */
export function parseSize(text: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) throw new UnitError(`${what}: expected a size like 512, 64K, 4M or 1G, found "${text}"`);
  const bytes = Math.round(Number(m[1]) * SUFFIX[m[2]!.toLowerCase()]!);
  if (bytes <= 0) throw new UnitError(`${what}: expected a size above 0, found "${text}"`);
  return bytes;
}

/** A number > 0. */
export function positive(text: string, what: string): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0) throw new UnitError(`${what}: expected a number above 0, found "${text}"`);
  return v;
}

/** A number ≥ 0. */
export function nonNegative(text: string, what: string): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v < 0) throw new UnitError(`${what}: expected a number of 0 or more, found "${text}"`);
  return v;
}
