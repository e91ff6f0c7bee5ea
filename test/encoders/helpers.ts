// Shared fixtures of the encoder tests and bench: a seeded PRNG, column specs and a card built
// inline (validated by the real card validator, so the specs are ones a card file could hold).
import { validateCard } from "../../src/omnitoken/card.ts";
import { prng } from "../omnitoken/random-tokens.ts";
import type { ActionColumnSpec, CommandMode, ModelCard, ObjectsColumnSpec, PixelsColumnSpec } from "../../src/omnitoken/card-types.ts";

export { prng };

export function randomBytes(seed: number, n: number): Uint8Array {
  const rand = prng(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * 256);
  return out;
}

export function pixelsSpec(height: number, width: number, channels: 1 | 3): PixelsColumnSpec {
  return { name: "pixels", kind: "pixels", width: height * width * channels, image: { height, width, channels } };
}

export const TABLETOP_CLASSES = ["red_block", "green_block", "blue_block", "yellow_block", "other"];

export function objectsSpec(maxObjects: number, coords: ObjectsColumnSpec["objects"]["coords"] = ["x", "y", "z"]): ObjectsColumnSpec {
  const is2D = coords.includes("cx");
  return {
    name: "objects",
    kind: "objects",
    width: maxObjects * (1 + TABLETOP_CLASSES.length + coords.length + 1),
    objects: {
      max_objects: maxObjects,
      classes: TABLETOP_CLASSES,
      coords,
      // 3D: the table frame, metres; 2D: a 640×480 image, pixels.
      bounds: is2D ? { min: [0, 0, 0, 0], max: [640, 480, 640, 480] } : { min: [-0.5, -0.4, 0], max: [0.5, 0.4, 0.3] },
      frame_id: is2D ? "camera" : "table",
    },
  };
}

export const ARM_JOINTS = ["shoulder", "elbow", "lift", "wrist", "j5", "j6", "gripper"];

export function actionSpec(mode: CommandMode = "float64_multi_array", jointNames: string[] = ARM_JOINTS): ActionColumnSpec {
  return {
    name: "action",
    kind: "action",
    width: jointNames.length,
    action: {
      joints: jointNames.map((name, i) => ({ name, min: -1 - i * 0.5, max: 2 + i, unit: "rad" as const })),
      command: mode === "twist" ? { mode, twist_map: [jointNames[0]!, jointNames[1]!, null, null, null, jointNames[2]!] } : { mode },
    },
  };
}

/** A card with all four columns, validated. */
export function testCard(opts: { pixels?: PixelsColumnSpec; objects?: ObjectsColumnSpec; action?: ActionColumnSpec } = {}): ModelCard {
  return validateCard(
    {
      schema_version: 1,
      name: "encoders-test",
      columns: [
        { name: "text", kind: "text", width: 1 },
        opts.pixels ?? pixelsSpec(32, 32, 3),
        opts.objects ?? objectsSpec(20),
        opts.action ?? actionSpec(),
      ],
      tokenizer: { kind: "byte", vocab_size: 260, special: { PAD: 256, BOS: 257, EOS: 258, SEP: 259 } },
      context_length: 256,
      control_rate_hz: 10,
      kv_cache: { layers: 2, heads: 2, head_dim: 16, dtype: "float32" },
    },
    "test/encoders/helpers.ts",
  );
}
