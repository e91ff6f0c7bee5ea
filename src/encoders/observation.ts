// The "pack" path: the latest sensor messages → one observation omnitoken o_k for the card
// (docs/CONVENTIONS.md, an episode's per-tick token): text present with PAD ("nothing to say");
// pixels, objects and action observed from their message, or absent (zero-filled) when the input
// is missing. An input for a column the card does not declare is ignored: the card decides what
// the model reads.
import type { ModelCard } from "../omnitoken/card-types.ts";
import { absentToken } from "../omnitoken/token.ts";
import type { Cell, Omnitoken, Stamp } from "../omnitoken/types.ts";
import type { Detection2DArray, Detection3DArray, Image, JointState } from "../messages/types.ts";
import { encodeDetections2D, encodeDetections3D, type DetectionsEncoding } from "./detections.ts";
import { EncodeError } from "./errors.ts";
import { encodeImage } from "./image.ts";
import { encodeJointState } from "./joints.ts";

export interface ObservationInputs {
  image?: Image;
  detections?: Detection3DArray | Detection2DArray;
  joints?: JointState;
  /** The episode's task command in words (the objects layout "named_first" orders rows by it). */
  command?: string;
}

/** Filled by encodeObservation when given: what the object encoder left out or clamped. */
export interface ObservationStats {
  detections?: Omit<DetectionsEncoding, "data">;
}

/**
 * Encodes one observation. With `scratch` (a token this function returned before, for the same
 * card) it writes into scratch's arrays and returns scratch — no allocation per tick; the caller
 * copies (cloneToken) what it keeps. If an encoder throws, scratch's content is unspecified.
 */
export function encodeObservation(
  card: ModelCard,
  inputs: ObservationInputs,
  step: number,
  stamp: Stamp,
  scratch?: Omnitoken,
  stats?: ObservationStats,
): Omnitoken {
  const token = scratch ?? absentToken(card, step, stamp);
  token.step = step;
  token.stamp = { sec: stamp.sec, nanosec: stamp.nanosec };
  if (stats) delete stats.detections;
  for (const spec of card.columns) {
    const cell = token.columns[spec.name];
    if (!cell) throw new EncodeError("observation", `the scratch token has no column ${JSON.stringify(spec.name)}; pass a token built for this card`);
    if (spec.kind === "text") {
      if (!(cell.data instanceof Int32Array) || cell.data.length !== 1) throw scratchMismatch(spec.name, "Int32Array(1)", cell);
      cell.data[0] = card.tokenizer.special.PAD;
      cell.origin = "observed";
      continue;
    }
    if (!(cell.data instanceof Float32Array) || cell.data.length !== spec.width) throw scratchMismatch(spec.name, `Float32Array(${spec.width})`, cell);
    const data = cell.data;
    let observed = false;
    if (spec.kind === "pixels" && inputs.image) {
      encodeImage(inputs.image, spec, data);
      observed = true;
    } else if (spec.kind === "objects" && inputs.detections) {
      const d = inputs.detections;
      const command = inputs.command ?? "";
      const result = is2D(d, spec.objects.coords) ? encodeDetections2D(d, spec, data, command) : encodeDetections3D(d, spec, data, command);
      if (stats) stats.detections = { dropped: result.dropped, unknownClasses: result.unknownClasses, outOfBounds: result.outOfBounds };
      observed = true;
    } else if (spec.kind === "action" && inputs.joints) {
      encodeJointState(inputs.joints, spec, data);
      observed = true;
    }
    cell.origin = observed ? "observed" : "absent";
    if (!observed) data.fill(0);
  }
  return token;
}

/** A 2D array has boxes with size_x; an empty one is read as whatever the card's coords are. */
function is2D(d: Detection3DArray | Detection2DArray, coords: readonly string[]): d is Detection2DArray {
  const first = d.detections[0];
  return first === undefined ? coords.includes("cx") || coords.includes("w") : "size_x" in first.bbox;
}

function scratchMismatch(name: string, expected: string, cell: Cell): EncodeError {
  return new EncodeError("observation", `the scratch token's column ${JSON.stringify(name)} holds ${cell.data.constructor.name}(${cell.data.length}), the card needs ${expected}`);
}
