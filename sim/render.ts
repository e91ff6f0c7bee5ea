// Draws the world: turns the table, zones, blocks and the arm's URDF visuals into flat-shaded
// triangles and rasterizes them through a camera. Simple Lambert shading with one fixed light, so
// a cube's top and sides differ in brightness (shape) and each block keeps its hue (colour).
import { project, type Camera } from "./camera.ts";
import { add, apply, compose, dot, norm, rotate, scale, sub, vec, type Pose3, type Vec3 } from "./math3.ts";
import { clearFrame, fillTriangle, type Frame } from "./raster.ts";
import { BLOCK_HALF, RGB, TABLE, type Colour } from "./scene.ts";
import type { UrdfShape } from "./urdf.ts";

/** What the renderer needs of the world: plain data, so the physics stays out of this file. */
export interface SceneState {
  blocks: { pose: Pose3; colour: Colour | "grey" }[];
  zones: { x: number; y: number; half: number; colour: Colour }[];
  /** Visual shapes of each arm link with the link's world pose. */
  links: { pose: Pose3; visuals: UrdfShape[] }[];
  /** Tip (bottom of the pusher) in the table frame: it casts a small shadow on the table. */
  tip: Vec3 | null;
}

interface Tri {
  a: Vec3;
  b: Vec3;
  c: Vec3;
  /** Outward normal (unit). */
  n: Vec3;
  rgb: readonly number[];
  /** Drawn regardless of facing (flat decals on the table). */
  twoSided?: boolean;
}

const LIGHT = (() => {
  const l = vec(-0.35, 0.45, 1);
  return scale(l, 1 / norm(l));
})();
const TABLE_RGB = [196, 176, 146];
const TABLE_EDGE_RGB = [150, 128, 100];
const BACKGROUND_TOP = [92, 96, 104];
const BACKGROUND_BOTTOM = [58, 60, 66];

function pushQuad(out: Tri[], p: Vec3[], n: Vec3, rgb: readonly number[], twoSided = false): void {
  out.push({ a: p[0]!, b: p[1]!, c: p[2]!, n, rgb, twoSided }, { a: p[0]!, b: p[2]!, c: p[3]!, n, rgb, twoSided });
}

/** An oriented box: 6 faces, 12 triangles. */
function pushBox(out: Tri[], pose: Pose3, h: Vec3, rgb: readonly number[]): void {
  const corner = (sx: number, sy: number, sz: number) => apply(pose, vec(sx * h.x, sy * h.y, sz * h.z));
  const faces: [Vec3, [number, number, number][]][] = [
    [vec(1, 0, 0), [[1, -1, -1], [1, 1, -1], [1, 1, 1], [1, -1, 1]]],
    [vec(-1, 0, 0), [[-1, -1, -1], [-1, -1, 1], [-1, 1, 1], [-1, 1, -1]]],
    [vec(0, 1, 0), [[-1, 1, -1], [-1, 1, 1], [1, 1, 1], [1, 1, -1]]],
    [vec(0, -1, 0), [[-1, -1, -1], [1, -1, -1], [1, -1, 1], [-1, -1, 1]]],
    [vec(0, 0, 1), [[-1, -1, 1], [1, -1, 1], [1, 1, 1], [-1, 1, 1]]],
    [vec(0, 0, -1), [[-1, -1, -1], [-1, 1, -1], [1, 1, -1], [1, -1, -1]]],
  ];
  for (const [n, cs] of faces) pushQuad(out, cs.map(([x, y, z]) => corner(x, y, z)), rotate(pose.rot, n), rgb);
}

/** A cylinder along the pose's z axis, as an n-sided prism with caps. */
function pushPrism(out: Tri[], pose: Pose3, radius: number, halfLength: number, sides: number, rgb: readonly number[]): void {
  const ring = (z: number) =>
    Array.from({ length: sides }, (_, i) => {
      const t = (2 * Math.PI * i) / sides;
      return apply(pose, vec(radius * Math.cos(t), radius * Math.sin(t), z));
    });
  const top = ring(halfLength);
  const bottom = ring(-halfLength);
  const up = rotate(pose.rot, vec(0, 0, 1));
  const topC = apply(pose, vec(0, 0, halfLength));
  const botC = apply(pose, vec(0, 0, -halfLength));
  for (let i = 0; i < sides; i++) {
    const j = (i + 1) % sides;
    const t = (2 * Math.PI * (i + 0.5)) / sides;
    const n = rotate(pose.rot, vec(Math.cos(t), Math.sin(t), 0));
    pushQuad(out, [bottom[i]!, bottom[j]!, top[j]!, top[i]!], n, rgb);
    out.push({ a: topC, b: top[i]!, c: top[j]!, n: up, rgb });
    out.push({ a: botC, b: bottom[j]!, c: bottom[i]!, n: scale(up, -1), rgb });
  }
}

function shapeTris(out: Tri[], link: Pose3, s: UrdfShape): void {
  const pose = compose(link, s.origin);
  const rgb = s.rgba ? s.rgba.slice(0, 3).map((c) => Math.round(c * 255)) : [200, 200, 200];
  const g = s.geometry;
  if (g.type === "box") pushBox(out, pose, scale(g.size, 0.5), rgb);
  else if (g.type === "cylinder") pushPrism(out, pose, g.radius, g.length / 2, g.radius < 0.02 ? 6 : 10, rgb);
  else pushBox(out, pose, vec(g.radius, g.radius, g.radius), rgb);
}

function sceneTris(s: SceneState): Tri[] {
  const out: Tri[] = [];
  const up = vec(0, 0, 1);
  const { halfX: hx, halfY: hy, thickness: t } = TABLE;
  pushQuad(out, [vec(-hx, -hy, 0), vec(hx, -hy, 0), vec(hx, hy, 0), vec(-hx, hy, 0)], up, TABLE_RGB);
  pushQuad(out, [vec(-hx, hy, -t), vec(hx, hy, -t), vec(hx, hy, 0), vec(-hx, hy, 0)], vec(0, 1, 0), TABLE_EDGE_RGB);
  pushQuad(out, [vec(hx, -hy, -t), vec(hx, hy, -t), vec(hx, hy, 0), vec(hx, -hy, 0)], vec(1, 0, 0), TABLE_EDGE_RGB);
  pushQuad(out, [vec(-hx, hy, -t), vec(-hx, -hy, -t), vec(-hx, -hy, 0), vec(-hx, hy, 0)], vec(-1, 0, 0), TABLE_EDGE_RGB);
  // Zones: paler tints of their colour, a millimetre above the table.
  for (const z of s.zones) {
    const c = RGB[z.colour].map((v, i) => Math.round(0.45 * v + 0.55 * TABLE_RGB[i]!));
    const e = 0.001;
    pushQuad(out, [vec(z.x - z.half, z.y - z.half, e), vec(z.x + z.half, z.y - z.half, e), vec(z.x + z.half, z.y + z.half, e), vec(z.x - z.half, z.y + z.half, e)], up, c, true);
  }
  if (s.tip && s.tip.z > 0) {
    // A soft-edged shadow straight below the tip shows its height above the table.
    const sides = 8;
    const r = 0.012;
    const shade = TABLE_RGB.map((v) => Math.round(v * 0.55));
    const centre = vec(s.tip.x, s.tip.y, 0.0015);
    for (let i = 0; i < sides; i++) {
      const a0 = (2 * Math.PI * i) / sides;
      const a1 = (2 * Math.PI * (i + 1)) / sides;
      out.push({ a: centre, b: add(centre, vec(r * Math.cos(a0), r * Math.sin(a0), 0)), c: add(centre, vec(r * Math.cos(a1), r * Math.sin(a1), 0)), n: up, rgb: shade, twoSided: true });
    }
  }
  for (const b of s.blocks) pushBox(out, b.pose, vec(BLOCK_HALF, BLOCK_HALF, BLOCK_HALF), RGB[b.colour]);
  for (const l of s.links) for (const v of l.visuals) shapeTris(out, l.pose, v);
  return out;
}

/** Renders the scene into `frame` (which must match the camera's size). */
export function renderScene(cam: Camera, frame: Frame, s: SceneState): void {
  if (frame.width !== cam.width || frame.height !== cam.height) {
    throw new RangeError(`renderScene: frame is ${frame.width}×${frame.height}, camera is ${cam.width}×${cam.height}`);
  }
  clearFrame(frame, BACKGROUND_TOP, BACKGROUND_BOTTOM);
  for (const t of sceneTris(s)) {
    if (!t.twoSided) {
      // Back faces: facing away from the pinhole, or (top-down) not facing up.
      const facing = cam.kind === "pinhole" ? dot(t.n, sub(t.a, cam.eye)) : -t.n.z;
      if (facing >= 0) continue;
    }
    const pa = project(cam, t.a);
    const pb = project(cam, t.b);
    const pc = project(cam, t.c);
    if (!pa || !pb || !pc) continue;
    const light = 0.5 + 0.5 * Math.max(0, dot(t.n, LIGHT));
    fillTriangle(frame, pa, pb, pc, Math.round(t.rgb[0]! * light), Math.round(t.rgb[1]! * light), Math.round(t.rgb[2]! * light));
  }
}
