// The JSON Schema of a model card (card-types.ts), checked by ajv. What a schema cannot say
// (widths that follow from other fields, unique names, min < max) is checked in card.ts.
// Schemas are written so that `describe()` in card-problems.ts can turn any of them into
// "expected a positive integer"-style words: keep to type/minimum/enum/const/minLength/pattern.

const positiveInt = { type: "integer", minimum: 1 } as const;
const nonNegativeInt = { type: "integer", minimum: 0 } as const;
const positiveNumber = { type: "number", exclusiveMinimum: 0 } as const;
const nonEmpty = { type: "string", minLength: 1 } as const;
/** Column names become file names (dataset .npy), log fields and object keys: plain lowercase names. */
export const IDENTIFIER = "^[a-z][a-z0-9_]*$";
const identifier = { type: "string", pattern: IDENTIFIER } as const;

const textColumn = {
  type: "object",
  required: ["name", "kind", "width"],
  additionalProperties: false,
  properties: { name: identifier, kind: { const: "text" }, width: { const: 1 } },
} as const;

const pixelsColumn = {
  type: "object",
  required: ["name", "kind", "width", "image"],
  additionalProperties: false,
  properties: {
    name: identifier,
    kind: { const: "pixels" },
    width: positiveInt,
    image: {
      type: "object",
      required: ["height", "width", "channels"],
      additionalProperties: false,
      properties: { height: positiveInt, width: positiveInt, channels: { enum: [1, 3] } },
    },
  },
} as const;

const objectsColumn = {
  type: "object",
  required: ["name", "kind", "width", "objects"],
  additionalProperties: false,
  properties: {
    name: identifier,
    kind: { const: "objects" },
    width: positiveInt,
    objects: {
      type: "object",
      required: ["max_objects", "classes", "coords", "bounds", "frame_id"],
      additionalProperties: false,
      properties: {
        max_objects: positiveInt,
        layout: { enum: ["sorted", "one_per_class", "named_first"] },
        classes: { type: "array", minItems: 1, items: nonEmpty },
        coords: { type: "array", minItems: 1, items: { enum: ["x", "y", "z", "cx", "cy", "w", "h"] } },
        bounds: {
          type: "object",
          required: ["min", "max"],
          additionalProperties: false,
          properties: {
            min: { type: "array", items: { type: "number" } },
            max: { type: "array", items: { type: "number" } },
          },
        },
        frame_id: nonEmpty,
      },
    },
  },
} as const;

const joint = {
  type: "object",
  required: ["name", "min", "max", "unit"],
  additionalProperties: false,
  properties: {
    name: nonEmpty,
    min: { type: "number" },
    max: { type: "number" },
    unit: { enum: ["rad", "m", "m/s", "rad/s"] },
    max_velocity: positiveNumber,
  },
} as const;

const actionColumn = {
  type: "object",
  required: ["name", "kind", "width", "action"],
  additionalProperties: false,
  properties: {
    name: identifier,
    kind: { const: "action" },
    width: positiveInt,
    action: {
      type: "object",
      required: ["joints", "command"],
      additionalProperties: false,
      properties: {
        joints: { type: "array", minItems: 1, items: joint },
        command: {
          type: "object",
          required: ["mode"],
          additionalProperties: false,
          properties: {
            mode: { enum: ["joint_trajectory", "float64_multi_array", "twist"] },
            twist_map: { type: "array", items: { type: ["string", "null"] } },
          },
        },
      },
    },
  },
} as const;

export const COLUMN_KINDS = ["text", "pixels", "objects", "action"] as const;

export const cardSchema = {
  type: "object",
  required: ["schema_version", "name", "columns", "tokenizer", "context_length", "control_rate_hz", "kv_cache"],
  additionalProperties: false,
  properties: {
    schema_version: { const: 1 },
    name: nonEmpty,
    description: { type: "string" },
    onnx: nonEmpty,
    columns: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        // ajv's discriminator reports only the branch the `kind` names, not all four.
        discriminator: { propertyName: "kind" },
        oneOf: [textColumn, pixelsColumn, objectsColumn, actionColumn],
      },
    },
    tokenizer: {
      type: "object",
      required: ["kind", "vocab_size", "special"],
      additionalProperties: false,
      properties: {
        kind: { const: "byte" },
        // 256 byte ids + the four specials at least.
        vocab_size: { type: "integer", minimum: 260 },
        special: {
          type: "object",
          required: ["PAD", "BOS", "EOS", "SEP"],
          additionalProperties: false,
          properties: { PAD: nonNegativeInt, BOS: nonNegativeInt, EOS: nonNegativeInt, SEP: nonNegativeInt },
        },
      },
    },
    context_length: positiveInt,
    control_rate_hz: positiveNumber,
    kv_cache: {
      type: "object",
      required: ["layers", "heads", "head_dim", "dtype"],
      additionalProperties: false,
      properties: { layers: positiveInt, heads: positiveInt, head_dim: positiveInt, dtype: { enum: ["float32", "float16"] } },
    },
    decoding: {
      type: "object",
      additionalProperties: false,
      properties: { confirm_done_ticks: positiveInt },
    },
    training: {
      type: "object",
      required: ["data"],
      // Free-form provenance beyond these fields is welcome (optimizer, seed, git commit...).
      properties: { data: nonEmpty, episodes: nonNegativeInt, steps: nonNegativeInt, command: { type: "string" } },
    },
    metrics: { type: "object", additionalProperties: { type: "number" } },
  },
} as const;
