// The omnitoken (spec v1, DESIGN §2): one step of the robot's world, every modality in its own
// named column. Plain data only; nothing here imports the rest of the project.

/** Where a column's value came from. A column is present exactly when its origin is not `absent`. */
export type Origin = "observed" | "predicted" | "absent";

/** Column kinds v1 knows. Adding a kind (audio, force/torque, depth) adds a name here, a spec
 * variant in `card.ts`, an encoder and a head — not edits across the runtime. */
export type ColumnKind = "text" | "pixels" | "objects" | "action";

/** One column's value in one omnitoken.
 * text: `Int32Array(1)` holding one token id; continuous kinds: `Float32Array(width)`.
 * An absent cell still carries a zero-filled array of the right width, so packing never branches. */
export interface Cell {
  origin: Origin;
  data: Float32Array | Int32Array;
}

/** Seconds + nanoseconds, as builtin_interfaces/msg/Time (no import: omnitoken stands alone). */
export interface Stamp {
  sec: number;
  nanosec: number;
}

export interface Omnitoken {
  /** Step index within its episode (text prefix tokens count too). */
  step: number;
  stamp: Stamp;
  /** By column name, one entry per column the card declares. */
  columns: Record<string, Cell>;
}

export const ORIGINS: readonly Origin[] = ["observed", "predicted", "absent"];
