// vision_msgs Detection3DArray / Detection2DArray → the objects column: K rows of
// [present, one-hot class, coords…, score], empty rows all zero.
//
// - Class: the best-scoring hypothesis (the first on a tie), looked up in the card's classes; a
//   class the card does not list, or a detection with no hypothesis, becomes "other" (counted).
// - Coords: 3D x, y, z are the box centre (bbox.center.position — the one pose every 3D detector
//   fills); 2D cx, cy, w, h are bbox centre and size. Each is normalised to [0, 1] by the card's
//   bounds and clamped; a detection with any coordinate outside is counted.
// - Score: the best hypothesis's score, clamped to [0, 1].
// - Which rows (layout "sorted", the default): with more than K detections, the K highest-scoring
//   are kept, the rest dropped and counted. Row order: class index, then coords in card order, then
//   higher score first — so the column does not depend on the order the detector listed them in.
//   Layout "one_per_class": row i is class i's highest-scoring detection (empty if none); other
//   detections of a class are dropped and counted.
//   Layout "named_first": one row per class too, but the classes the task command names come
//   first, in the order it names them ("push the red block into the blue zone": red_block, then
//   blue_zone), then the others in card order. The detector is prompted by the command, as
//   open-vocabulary detectors are: the objects the command is about sit in fixed rows.
// - Frames: when both the card and a message header name a frame, they must agree (positions in
//   the wrong frame would be silently wrong).
import type { ObjectsColumnSpec } from "../omnitoken/card-types.ts";
import { objectLayout } from "../omnitoken/card.ts";
import type { Detection2D, Detection2DArray, Detection3D, Detection3DArray, Header, ObjectHypothesisWithPose } from "../messages/types.ts";
import { EncodeError, outputArray } from "./errors.ts";

export interface DetectionsEncoding {
  data: Float32Array;
  /** Detections beyond the card's max_objects, left out (the lowest-scoring). */
  dropped: number;
  /** Detections whose class the card does not list (encoded as "other"). */
  unknownClasses: number;
  /** Detections with a coordinate outside the card's bounds (clamped to them). */
  outOfBounds: number;
}

type Coord = ObjectsColumnSpec["objects"]["coords"][number];
const COORDS_3D: readonly Coord[] = ["x", "y", "z"];
const COORDS_2D: readonly Coord[] = ["cx", "cy", "w", "h"];

const coord3D = (d: Detection3D, c: Coord): number => d.bbox.center.position[c as "x" | "y" | "z"];

function coord2D(d: Detection2D, c: Coord): number {
  if (c === "cx") return d.bbox.center.position.x;
  if (c === "cy") return d.bbox.center.position.y;
  return c === "w" ? d.bbox.size_x : d.bbox.size_y;
}

/** `command`: the task in words; only the "named_first" layout reads it. */
export function encodeDetections3D(msg: Detection3DArray, spec: ObjectsColumnSpec, out?: Float32Array, command = ""): DetectionsEncoding {
  return encode("Detection3DArray", msg.header, msg.detections, spec, COORDS_3D, coord3D, out, command);
}

export function encodeDetections2D(msg: Detection2DArray, spec: ObjectsColumnSpec, out?: Float32Array, command = ""): DetectionsEncoding {
  return encode("Detection2DArray", msg.header, msg.detections, spec, COORDS_2D, coord2D, out, command);
}

/** The classes a command names, in the order it names them: class "red_block" is named by the
 * words "red block" (case and punctuation ignored). The same rule as models/omnimodel/named.py. */
export function namedClasses(command: string, classes: readonly string[]): number[] {
  const text = ` ${command.toLowerCase().replace(/[^a-z0-9]+/g, " ").trim()} `;
  const found: [number, number][] = [];
  classes.forEach((name, i) => {
    const at = text.indexOf(` ${name.toLowerCase().replace(/_/g, " ")} `);
    if (at >= 0) found.push([at, i]);
  });
  return found.sort((a, b) => a[0] - b[0]).map(([, i]) => i);
}

/** Row of each class under "named_first" for one command (cached: a command lasts an episode). */
const rowOrders = new WeakMap<ObjectsColumnSpec, { command: string; rowOf: Int32Array }>();

function rowOfClass(spec: ObjectsColumnSpec, command: string): Int32Array {
  const hit = rowOrders.get(spec);
  if (hit && hit.command === command) return hit.rowOf;
  const classes = spec.objects.classes;
  const named = namedClasses(command, classes);
  const order = [...named, ...classes.map((_, i) => i).filter((i) => !named.includes(i))];
  const rowOf = new Int32Array(classes.length);
  order.forEach((cls, row) => (rowOf[cls] = row));
  rowOrders.set(spec, { command, rowOf });
  return rowOf;
}

interface Row {
  cls: number;
  coords: number[]; // normalised, clamped
  score: number;
}

const classIndexes = new WeakMap<ObjectsColumnSpec, Map<string, number>>();

function classIndex(spec: ObjectsColumnSpec): Map<string, number> {
  let map = classIndexes.get(spec);
  if (!map) {
    map = new Map(spec.objects.classes.map((c, i) => [c, i]));
    classIndexes.set(spec, map);
  }
  return map;
}

function encode<D extends { header: Header; results: ObjectHypothesisWithPose[] }>(
  input: string,
  header: Header,
  detections: readonly D[],
  spec: ObjectsColumnSpec,
  allowed: readonly Coord[],
  coordOf: (d: D, c: Coord) => number,
  out: Float32Array | undefined,
  command: string,
): DetectionsEncoding {
  const { max_objects: K, classes, coords, bounds, frame_id } = spec.objects;
  const layout = objectLayout(spec);
  if (spec.width !== K * layout.rowWidth) throw new EncodeError(input, `column ${spec.name} declares width ${spec.width}, its layout needs ${K} × ${layout.rowWidth}`);
  for (const c of coords) {
    if (!allowed.includes(c)) throw new EncodeError(input, `the card's coordinate ${JSON.stringify(c)} is not in a ${input}; it gives ${allowed.join(", ")}`);
  }
  checkFrame(input, "header", header, frame_id);
  const other = classes.length - 1; // the card validator guarantees classes end with "other"
  const index = classIndex(spec);
  let unknownClasses = 0;
  let outOfBounds = 0;
  const rows: Row[] = detections.map((d, i) => {
    checkFrame(input, `detections[${i}].header`, d.header, frame_id);
    const best = bestHypothesis(d.results);
    const known = best === undefined ? undefined : index.get(best.hypothesis.class_id);
    if (known === undefined) unknownClasses++;
    let outside = false;
    const values = coords.map((c, k) => {
      const v = coordOf(d, c);
      if (!Number.isFinite(v)) throw new EncodeError(input, `detections[${i}] coordinate ${c} is ${v}; expected a finite number`);
      const lo = bounds.min[k]!;
      const hi = bounds.max[k]!;
      if (v < lo || v > hi) outside = true;
      return Math.min(1, Math.max(0, (v - lo) / (hi - lo)));
    });
    if (outside) outOfBounds++;
    const score = best === undefined ? 0 : best.hypothesis.score;
    if (!Number.isFinite(score)) throw new EncodeError(input, `detections[${i}] score is ${score}; expected a finite number`);
    return { cls: known ?? other, coords: values, score: Math.min(1, Math.max(0, score)) };
  });

  const perClass = spec.objects.layout === "one_per_class" || spec.objects.layout === "named_first";
  let kept: (Row | undefined)[];
  if (perClass) {
    const rowOf = spec.objects.layout === "named_first" ? rowOfClass(spec, command) : null;
    kept = new Array<Row | undefined>(K).fill(undefined);
    for (const r of rows) {
      const at = rowOf ? rowOf[r.cls]! : r.cls;
      const held = kept[at];
      if (held === undefined || r.score > held.score || (r.score === held.score && byRow(r, held) < 0)) kept[at] = r;
    }
  } else {
    kept = rows.length > K ? rows.slice().sort((a, b) => b.score - a.score || byRow(a, b)).slice(0, K) : rows.slice();
    kept.sort((a, b) => byRow(a!, b!));
  }

  const data = outputArray(input, spec.width, out);
  data.fill(0);
  let used = 0;
  kept.forEach((r, i) => {
    if (r === undefined) return;
    used++;
    const base = i * layout.rowWidth;
    data[base + layout.present] = 1;
    data[base + layout.classStart + r.cls] = 1;
    for (let k = 0; k < layout.coordCount; k++) data[base + layout.coordStart + k] = r.coords[k]!;
    data[base + layout.score] = r.score;
  });
  return { data, dropped: rows.length - used, unknownClasses, outOfBounds };
}

/** Class, then coords in card order, then higher score first. */
function byRow(a: Row, b: Row): number {
  if (a.cls !== b.cls) return a.cls - b.cls;
  for (let k = 0; k < a.coords.length; k++) {
    const d = a.coords[k]! - b.coords[k]!;
    if (d !== 0) return d;
  }
  return b.score - a.score;
}

function bestHypothesis(results: readonly ObjectHypothesisWithPose[]): ObjectHypothesisWithPose | undefined {
  let best: ObjectHypothesisWithPose | undefined;
  for (const r of results) if (best === undefined || r.hypothesis.score > best.hypothesis.score) best = r;
  return best;
}

function checkFrame(input: string, where: string, header: Header, expected: string): void {
  const found = header.frame_id;
  if (expected !== "" && found !== "" && found !== expected) {
    throw new EncodeError(input, `${where}.frame_id is ${JSON.stringify(found)}, the card's objects are in ${JSON.stringify(expected)}; transform the detections first`);
  }
}
