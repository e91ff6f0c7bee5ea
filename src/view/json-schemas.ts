// JSON Schemas of the viewer's JSON channels. Two are Foxglove's own (their names make Foxglove's
// Image panel draw annotations and its Log panel list entries); the others are omniloop's, flat
// objects of numbers so every field is a Plot / State Transitions message path.

const time = { type: "object", properties: { sec: { type: "integer" }, nsec: { type: "integer" } } };
const point2 = { type: "object", properties: { x: { type: "number" }, y: { type: "number" } } };
const color = { type: "object", properties: { r: { type: "number" }, g: { type: "number" }, b: { type: "number" }, a: { type: "number" } } };

/** foxglove.ImageAnnotations (circles, points, texts), as Foxglove's JSON schema declares it. */
export const IMAGE_ANNOTATIONS_SCHEMA = {
  title: "foxglove.ImageAnnotations",
  type: "object",
  properties: {
    circles: {
      type: "array",
      items: {
        type: "object",
        properties: { timestamp: time, position: point2, diameter: { type: "number" }, thickness: { type: "number" }, fill_color: color, outline_color: color },
      },
    },
    points: {
      type: "array",
      items: {
        type: "object",
        properties: {
          timestamp: time,
          type: { type: "integer", description: "0 UNKNOWN, 1 POINTS, 2 LINE_LOOP, 3 LINE_STRIP, 4 LINE_LIST" },
          points: { type: "array", items: point2 },
          outline_color: color,
          outline_colors: { type: "array", items: color },
          fill_color: color,
          thickness: { type: "number" },
        },
      },
    },
    texts: {
      type: "array",
      items: {
        type: "object",
        properties: { timestamp: time, position: point2, text: { type: "string" }, font_size: { type: "number" }, text_color: color, background_color: color },
      },
    },
  },
};

/** foxglove.Log: level 1 DEBUG, 2 INFO, 3 WARNING, 4 ERROR, 5 FATAL. */
export const LOG_SCHEMA = {
  title: "foxglove.Log",
  type: "object",
  properties: {
    timestamp: time,
    level: { type: "integer" },
    message: { type: "string" },
    name: { type: "string" },
    file: { type: "string" },
    line: { type: "integer" },
  },
};

/** omniloop.Surprise: `tick`, then one number per model column (RMS prediction error; null where
 * not measurable), named by the card's columns. */
export function surpriseSchema(columns: readonly string[]): object {
  return {
    title: "omniloop.Surprise",
    type: "object",
    properties: { tick: { type: "integer" }, ...Object.fromEntries(columns.map((c) => [c, { type: ["number", "null"] }])) },
  };
}

/** omniloop.Holds: the reasons the safety filter held the robot at `tick`, as one string (for
 * State Transitions) and one 0/1 field per reason (for Plot). */
export function holdsSchema(reasons: readonly string[]): object {
  return {
    title: "omniloop.Holds",
    type: "object",
    properties: {
      tick: { type: "integer" },
      reasons: { type: "string" },
      ...Object.fromEntries(reasons.map((r) => [r, { type: "integer" }])),
    },
  };
}

/** omniloop.Step: the policy step's wall time (ms), measured between the observation and the
 * prediction on the bus, and the loop's tick rate over the last second. */
export const STEP_SCHEMA = {
  title: "omniloop.Step",
  type: "object",
  properties: { tick: { type: "integer" }, step_ms: { type: "number" }, tick_hz: { type: "number" } },
};
