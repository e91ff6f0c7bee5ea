// The model card (DESIGN §3): JSON beside the .onnx that declares the omnitoken schema the model
// was trained on. These are the card's TypeScript shapes; `card.ts` holds the JSON Schema that
// validates a file against them.

export const CARD_SCHEMA_VERSION = 1;

export interface TokenizerSpec {
  kind: "byte"; // UTF-8 bytes 0..255, then the special tokens
  vocab_size: number; // 256 + number of specials
  special: { PAD: number; BOS: number; EOS: number; SEP: number };
}

export interface TextColumnSpec {
  name: string;
  kind: "text";
  width: 1; // one token id per omnitoken
}

export interface PixelsColumnSpec {
  name: string;
  kind: "pixels";
  width: number; // = height × width × channels
  image: { height: number; width: number; channels: 1 | 3 };
}

/** Object table: K rows × F fields. Field layout of one row, in order:
 * [present, one-hot over `classes` (the last class is `other`), ...coords, score]. */
export interface ObjectsColumnSpec {
  name: string;
  kind: "objects";
  width: number; // = max_objects × (1 + classes.length + coords.length + 1)
  objects: {
    max_objects: number;
    classes: string[]; // must end with "other"
    /** Detection3DArray → ["x","y","z"] (pose position); Detection2DArray → ["cx","cy","w","h"]. */
    coords: ("x" | "y" | "z" | "cx" | "cy" | "w" | "h")[];
    /** Bounds used to normalise each coordinate to [0,1], same order as `coords`. */
    bounds: { min: number[]; max: number[] };
    frame_id: string;
    /** Which detection goes in which row. "sorted" (default): the max_objects highest-scoring,
     * ordered by class, coords, score. "one_per_class": row i holds class i's highest-scoring
     * detection (max_objects = classes.length), so a class is always in the same row — a policy
     * finds the object a command names by its row, not by searching the table. "named_first":
     * one row per class as well, the classes the episode's command names first (in the order it
     * names them), then the rest in card order — the object a command is about is always row 0. */
    layout?: "sorted" | "one_per_class" | "named_first";
  };
}

export type CommandMode = "joint_trajectory" | "float64_multi_array" | "twist";

export interface JointSpec {
  name: string;
  min: number; // limit, in `unit`
  max: number;
  unit: "rad" | "m" | "m/s" | "rad/s";
  max_velocity?: number; // unit per second, used by the safety filter's rate limit
}

export interface ActionColumnSpec {
  name: string;
  kind: "action";
  width: number; // = joints.length
  action: {
    joints: JointSpec[]; // normalised to [-1,1] by [min,max]
    command: {
      mode: CommandMode;
      /** For twist: which joint entries are linear.x, linear.y, linear.z, angular.x, angular.y, angular.z. */
      twist_map?: (string | null)[];
    };
  };
}

export type ColumnSpec = TextColumnSpec | PixelsColumnSpec | ObjectsColumnSpec | ActionColumnSpec;

export interface KvCacheSpec {
  layers: number;
  heads: number;
  head_dim: number;
  dtype: "float32" | "float16";
}

export interface ModelCard {
  schema_version: 1;
  name: string;
  description?: string;
  onnx?: string; // file name of the graph, relative to the card
  columns: ColumnSpec[];
  tokenizer: TokenizerSpec;
  context_length: number; // max tokens in the KV cache
  control_rate_hz: number;
  kv_cache: KvCacheSpec;
  /** How the runtime reads the model's outputs, measured per model (docs/CONVENTIONS.md). */
  decoding?: {
    /** The model must start speaking on this many control ticks in a row before the loop listens
     * (ClosedLoop confirmDone). Default 1. */
    confirm_done_ticks?: number;
  };
  training?: { data: string; episodes?: number; steps?: number; command?: string; [k: string]: unknown };
  metrics?: Record<string, number>;
}
