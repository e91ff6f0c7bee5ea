// Fixed facts of the tabletop scene, shared by the physics, the camera, the detector and the
// tasks. Lengths in metres, in the table frame (origin at the centre of the table top, z up).

export const TABLE = { halfX: 0.35, halfY: 0.25, thickness: 0.04 } as const;
/** Blocks are 4 cm cubes of 50 g. */
export const BLOCK_HALF = 0.02;
export const BLOCK_MASS = 0.05;
/** Target zones are 12 cm squares painted on the table, axis-aligned. */
export const ZONE_HALF = 0.06;
/** The floor below the table, where a block pushed off the table ends up. */
export const FLOOR_Z = -0.75;

export const COLOURS = ["red", "green", "blue", "yellow"] as const;
export type Colour = (typeof COLOURS)[number];

/** Display colours (sRGB 0..255); zones use a paler tint of the same hue. */
export const RGB: Record<Colour | "grey", [number, number, number]> = {
  red: [205, 38, 38],
  green: [40, 165, 60],
  blue: [40, 75, 210],
  yellow: [225, 200, 35],
  grey: [120, 120, 125],
};

/** Detector class names (the model card's object classes, before "other"). */
export const BLOCK_CLASSES = COLOURS.map((c) => `${c}_block`);
export const ZONE_CLASSES = COLOURS.map((c) => `${c}_zone`);
export const OBJECT_CLASSES = [...BLOCK_CLASSES, ...ZONE_CLASSES];
