// Camera frames for the report's strip: the image as PNG (pngjs), and the detections of that moment
// as marks the page draws over it — image rectangles through the camera model when the log has
// one, otherwise table-frame points for a top-down view.
import { PNG } from "pngjs";
import type { Detection3DArray, Image } from "../../messages/types.ts";
import { classColor, projectBox, type PinholeModel } from "../camera-model.ts";
import type { Frame, FrameMark } from "./types.ts";

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FrameError";
  }
}

const CHANNELS: Record<string, { n: number; order: [number, number, number] | null }> = {
  rgb8: { n: 3, order: [0, 1, 2] },
  bgr8: { n: 3, order: [2, 1, 0] },
  rgba8: { n: 4, order: [0, 1, 2] },
  bgra8: { n: 4, order: [2, 1, 0] },
  mono8: { n: 1, order: null },
};

/** An 8-bit image as PNG bytes. */
export function imagePng(im: Image, where: string): Buffer {
  const layout = CHANNELS[im.encoding];
  if (!layout) throw new FrameError(`${where}: image encoding "${im.encoding}" is not one the report draws (${Object.keys(CHANNELS).join(", ")})`);
  if (im.data.length < im.step * im.height || im.step < im.width * layout.n) {
    throw new FrameError(`${where}: ${im.width}×${im.height} ${im.encoding} needs step ≥ ${im.width * layout.n} and ${im.step * im.height} bytes, found step ${im.step} and ${im.data.length} bytes`);
  }
  const png = new PNG({ width: im.width, height: im.height });
  for (let y = 0; y < im.height; y++) {
    for (let x = 0; x < im.width; x++) {
      const s = y * im.step + x * layout.n;
      const d = (y * im.width + x) * 4;
      if (layout.order) {
        png.data[d] = im.data[s + layout.order[0]]!;
        png.data[d + 1] = im.data[s + layout.order[1]]!;
        png.data[d + 2] = im.data[s + layout.order[2]]!;
      } else png.data[d] = png.data[d + 1] = png.data[d + 2] = im.data[s]!;
      png.data[d + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

/** The detections as marks: boxes on the image with a camera model, table points without. */
export function detectionMarks(dets: Detection3DArray | undefined, camera: PinholeModel | undefined): FrameMark[] {
  const marks: FrameMark[] = [];
  for (const d of dets?.detections ?? []) {
    const label = d.results[0]?.hypothesis.class_id ?? d.id ?? "?";
    const color = classColor(label);
    const c = d.bbox.center;
    if (camera) {
      const box = projectBox(camera, c.position, c.orientation, d.bbox.size);
      if (box) marks.push({ kind: "box", u0: box[0], v0: box[1], u1: box[2], v1: box[3], label, color });
    } else marks.push({ kind: "point", x: c.position.x, y: c.position.y, label, color });
  }
  return marks;
}

/** One strip frame at time `t` (s from the episode's start). */
export function makeFrame(t: number, im: Image | undefined, dets: Detection3DArray | undefined, camera: PinholeModel | undefined, where: string): Frame {
  const marks = detectionMarks(dets, camera);
  if (im && camera && (camera.width !== im.width || camera.height !== im.height)) {
    // A camera model for another resolution would put every box in the wrong place: say so by
    // drawing the top-down view instead of wrong boxes.
    return { t, png: `data:image/png;base64,${imagePng(im, where).toString("base64")}`, width: im.width, height: im.height, view: "topdown", marks: detectionMarks(dets, undefined) };
  }
  if (im) return { t, png: `data:image/png;base64,${imagePng(im, where).toString("base64")}`, width: im.width, height: im.height, view: camera ? "camera" : "topdown", marks };
  return { t, width: 0, height: 0, view: "topdown", marks: detectionMarks(dets, undefined) };
}
