// Omnitoken columns back into things people look at: the pixels column as an image, the action
// column in joint units, the object table as classed positions. Pure functions of a token and its
// card; the viewer and the report both use them.
import { denormaliseAction } from "../encoders/command.ts";
import { columnOf, objectLayout } from "../omnitoken/card.ts";
import type { ModelCard, ObjectsColumnSpec, PixelsColumnSpec } from "../omnitoken/card-types.ts";
import type { Omnitoken } from "../omnitoken/types.ts";
import type { Image, JointState } from "../messages/types.ts";
import { image, jointState } from "../messages/make.ts";

/** The pixels column as an rgb8 (or mono8) image; null when the column is absent. */
export function pixelsImage(token: Omnitoken, spec: PixelsColumnSpec, stamp = token.stamp): Image | null {
  const cell = token.columns[spec.name];
  if (!cell || cell.origin === "absent") return null;
  const { height, width, channels } = spec.image;
  const data = new Uint8Array(height * width * channels);
  for (let i = 0; i < data.length; i++) {
    const v = cell.data[i] ?? 0;
    data[i] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
  }
  return image({ stamp, frame_id: "camera_optical_frame", width, height, encoding: channels === 3 ? "rgb8" : "mono8", data });
}

/** The action column in joint units, named by the card; null when absent. */
export function actionJoints(token: Omnitoken, card: ModelCard): JointState | null {
  const spec = columnOf(card, "action");
  const cell = spec && token.columns[spec.name];
  if (!spec || !cell || cell.origin === "absent") return null;
  const position = denormaliseAction(cell.data as Float32Array, spec);
  return jointState({ stamp: token.stamp, name: spec.action.joints.map((j) => j.name), position });
}

export interface ObjectRow {
  className: string;
  score: number;
  /** Table-frame position; coordinates the card does not carry are 0. */
  x: number;
  y: number;
  z: number;
}

/** The rows of the object table marked present, with class (argmax) and denormalised position. */
export function objectRows(token: Omnitoken, spec: ObjectsColumnSpec): ObjectRow[] {
  const cell = token.columns[spec.name];
  if (!cell || cell.origin === "absent") return [];
  const L = objectLayout(spec);
  const { classes, coords, bounds } = spec.objects;
  const rows: ObjectRow[] = [];
  for (let r = 0; r < spec.objects.max_objects; r++) {
    const base = r * L.rowWidth;
    if ((cell.data[base + L.present] ?? 0) < 0.5) continue;
    let best = 0;
    for (let c = 1; c < L.classCount; c++) if ((cell.data[base + L.classStart + c] ?? 0) > (cell.data[base + L.classStart + best] ?? 0)) best = c;
    const row: ObjectRow = { className: classes[best] ?? "other", score: cell.data[base + L.score] ?? 0, x: 0, y: 0, z: 0 };
    coords.forEach((name, i) => {
      const v = cell.data[base + L.coordStart + i] ?? 0;
      const value = bounds.min[i]! + v * (bounds.max[i]! - bounds.min[i]!);
      if (name === "x" || name === "y" || name === "z") row[name] = value;
    });
    rows.push(row);
  }
  return rows;
}
