// Pictures for people: a PNG of the camera frame beside a top-down view of the table, with the
// episode's tip path and the named block's path drawn on it.
import { writeFileSync } from "node:fs";
import { PNG } from "pngjs";
import { project, topDownCamera } from "./camera.ts";
import type { Sim } from "./lockstep.ts";
import type { Vec3 } from "./math3.ts";
import { drawLine, newFrame, type Frame } from "./raster.ts";
import { renderScene } from "./render.ts";
import { RGB, TABLE } from "./scene.ts";

/** Positions over an episode, one per tick, for drawing its paths. */
export interface EpisodeTrace {
  tip: Vec3[];
  block: Vec3[];
}

export function traceTick(sim: Sim, trace: EpisodeTrace): void {
  const t = sim.truth();
  trace.tip.push(t.tip);
  trace.block.push(t.blocks[t.spec.targetBlock]!.position);
}

/** The table from above at `pixelsPerMetre`, with the trace's paths and the target zone outlined. */
export function renderTopDown(sim: Sim, trace?: EpisodeTrace, pixelsPerMetre = 500): Frame {
  const cam = topDownCamera(TABLE.halfX, TABLE.halfY, pixelsPerMetre);
  const frame = newFrame(cam.width, cam.height);
  renderScene(cam, frame, sim.scene());
  const spec = sim.episode;
  const path = (points: Vec3[], rgb: readonly number[]) => {
    for (let i = 1; i < points.length; i++) {
      const a = project(cam, points[i - 1]!)!;
      const b = project(cam, points[i]!)!;
      drawLine(frame, a.u, a.v, b.u, b.v, rgb);
    }
  };
  if (spec.targetZone !== null) {
    const z = spec.zones[spec.targetZone]!;
    const c = [
      { x: z.x - z.half, y: z.y - z.half, z: 0 },
      { x: z.x + z.half, y: z.y - z.half, z: 0 },
      { x: z.x + z.half, y: z.y + z.half, z: 0 },
      { x: z.x - z.half, y: z.y + z.half, z: 0 },
    ];
    path([...c, c[0]!], RGB[z.colour].map((v) => Math.round(v * 0.6)));
  }
  if (trace) {
    const colour = spec.blocks[spec.targetBlock]!.colour;
    path(trace.block, RGB[colour].map((v) => Math.round(v * 0.5)));
    path(trace.tip, [255, 255, 255]);
  }
  return frame;
}

/** Frames side by side (top-aligned, `gap` pixels apart, each scaled by its integer factor) → PNG. */
export function composePng(panels: { frame: Frame; scale: number }[], gap = 8): Buffer {
  const width = panels.reduce((w, p) => w + p.frame.width * p.scale, 0) + gap * (panels.length - 1);
  const height = Math.max(...panels.map((p) => p.frame.height * p.scale));
  const png = new PNG({ width, height });
  png.data.fill(255);
  let x0 = 0;
  for (const { frame, scale } of panels) {
    for (let y = 0; y < frame.height * scale; y++) {
      for (let x = 0; x < frame.width * scale; x++) {
        const s = (Math.floor(y / scale) * frame.width + Math.floor(x / scale)) * 3;
        const d = (y * width + x0 + x) * 4;
        png.data[d] = frame.rgb[s]!;
        png.data[d + 1] = frame.rgb[s + 1]!;
        png.data[d + 2] = frame.rgb[s + 2]!;
        png.data[d + 3] = 255;
      }
    }
    x0 += frame.width * scale + gap;
  }
  return PNG.sync.write(png);
}

/** Writes the camera's current frame (scaled to about 384 px wide) beside the top-down view. */
export function writeSnapshot(path: string, sim: Sim, trace?: EpisodeTrace): void {
  const cam = sim.renderCamera();
  const camera = { frame: { ...cam, rgb: cam.rgb.slice() }, scale: Math.max(1, Math.round(384 / cam.width)) };
  writeFileSync(path, composePng([camera, { frame: renderTopDown(sim, trace), scale: 1 }]));
}
