// The action column's normalisation: a joint's [min, max] ↔ [-1, 1], linear, unclamped both ways.

/** [min, max] → [-1, 1]. */
export const toUnit = (x: number, min: number, max: number): number => (2 * (x - min)) / (max - min) - 1;

/** [-1, 1] → [min, max]. */
export const fromUnit = (u: number, min: number, max: number): number => min + ((u + 1) * (max - min)) / 2;
