// Surprise (DESIGN §4, step 4): per column, how far the prediction p_k was from the observation o_k
// that followed. Root-mean-square over the column's values, only where the prediction was made and
// the column was really observed (a filled-in column is not evidence). NaN when not measurable.
import type { Omnitoken } from "../omnitoken/types.ts";

export function surprise(prediction: Omnitoken | null, observation: Omnitoken, columns: readonly string[]): Float64Array {
  const out = new Float64Array(columns.length).fill(NaN);
  if (!prediction) return out;
  columns.forEach((name, i) => {
    const p = prediction.columns[name];
    const o = observation.columns[name];
    if (!p || !o || p.origin === "absent" || o.origin !== "observed") return;
    if (p.data.length !== o.data.length || p.data.length === 0) return;
    let sum = 0;
    for (let j = 0; j < o.data.length; j++) {
      const d = p.data[j]! - o.data[j]!;
      sum += d * d;
    }
    out[i] = Math.sqrt(sum / o.data.length);
  });
  return out;
}
