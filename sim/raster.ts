// A small software rasterizer: flat-coloured triangles with a depth buffer into an rgb8 frame,
// plus lines for overlays. Written for speed over generality: the camera renders ~200 triangles
// into 128×96 pixels many times per simulated second.
import type { Projected } from "./camera.ts";

export interface Frame {
  width: number;
  height: number;
  /** rgb8, row-major, no padding (step = 3·width). */
  rgb: Uint8Array;
  /** Depth key per pixel, larger is nearer (see camera.ts `Projected.d`). */
  depth: Float32Array;
}

export function newFrame(width: number, height: number): Frame {
  return { width, height, rgb: new Uint8Array(width * height * 3), depth: new Float32Array(width * height) };
}

/** Fills the frame with a vertical gradient and resets the depth buffer to "infinitely far". */
export function clearFrame(f: Frame, top: readonly number[], bottom: readonly number[]): void {
  const { width, height, rgb } = f;
  for (let y = 0; y < height; y++) {
    const t = height > 1 ? y / (height - 1) : 0;
    const r = Math.round(top[0]! + (bottom[0]! - top[0]!) * t);
    const g = Math.round(top[1]! + (bottom[1]! - top[1]!) * t);
    const b = Math.round(top[2]! + (bottom[2]! - top[2]!) * t);
    for (let i = y * width * 3, end = i + width * 3; i < end; i += 3) {
      rgb[i] = r;
      rgb[i + 1] = g;
      rgb[i + 2] = b;
    }
  }
  f.depth.fill(-Infinity);
}

/** Draws a triangle where it is nearer than what is there (ties drawn: later wins). */
export function fillTriangle(f: Frame, a: Projected, b: Projected, c: Projected, r: number, g: number, bl: number): void {
  const area = (b.u - a.u) * (c.v - a.v) - (b.v - a.v) * (c.u - a.u);
  if (Math.abs(area) < 1e-9) return;
  const { width, height, rgb, depth } = f;
  const minX = Math.max(0, Math.floor(Math.min(a.u, b.u, c.u)));
  const maxX = Math.min(width - 1, Math.ceil(Math.max(a.u, b.u, c.u)));
  const minY = Math.max(0, Math.floor(Math.min(a.v, b.v, c.v)));
  const maxY = Math.min(height - 1, Math.ceil(Math.max(a.v, b.v, c.v)));
  if (minX > maxX || minY > maxY) return;
  const inv = 1 / area;
  // Edge functions w_a (opposite a), w_b, w_c, normalised by the area so inside means all ≥ 0
  // whatever the winding; each is linear in x and y, stepped incrementally.
  const ax = (c.v - b.v) * -inv, ay = (c.u - b.u) * inv;
  const bx = (a.v - c.v) * -inv, by = (a.u - c.u) * inv;
  const cx = (b.v - a.v) * -inv, cy = (b.u - a.u) * inv;
  const px = minX + 0.5, py = minY + 0.5;
  let rowA = ((b.u - px) * (c.v - py) - (b.v - py) * (c.u - px)) * inv;
  let rowB = ((c.u - px) * (a.v - py) - (c.v - py) * (a.u - px)) * inv;
  let rowC = ((a.u - px) * (b.v - py) - (a.v - py) * (b.u - px)) * inv;
  const eps = -1e-7;
  for (let y = minY; y <= maxY; y++) {
    let wa = rowA, wb = rowB, wc = rowC;
    let i = y * width + minX;
    for (let x = minX; x <= maxX; x++, i++) {
      if (wa >= eps && wb >= eps && wc >= eps) {
        const d = wa * a.d + wb * b.d + wc * c.d;
        if (d >= depth[i]!) {
          depth[i] = d;
          const k = i * 3;
          rgb[k] = r;
          rgb[k + 1] = g;
          rgb[k + 2] = bl;
        }
      }
      wa += ax;
      wb += bx;
      wc += cx;
    }
    rowA += ay;
    rowB += by;
    rowC += cy;
  }
}

/** A one-pixel line (Bresenham), drawn over everything. */
export function drawLine(f: Frame, x0: number, y0: number, x1: number, y1: number, rgb: readonly number[]): void {
  let x = Math.round(x0), y = Math.round(y0);
  const xe = Math.round(x1), ye = Math.round(y1);
  const dx = Math.abs(xe - x), dy = -Math.abs(ye - y);
  const sx = x < xe ? 1 : -1, sy = y < ye ? 1 : -1;
  let err = dx + dy;
  for (;;) {
    if (x >= 0 && y >= 0 && x < f.width && y < f.height) {
      const k = (y * f.width + x) * 3;
      f.rgb[k] = rgb[0]!;
      f.rgb[k + 1] = rgb[1]!;
      f.rgb[k + 2] = rgb[2]!;
    }
    if (x === xe && y === ye) return;
    const e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y += sy;
    }
  }
}
