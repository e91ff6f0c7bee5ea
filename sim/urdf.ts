// URDF → plain data: the links (inertia, visual and collision shapes) and joints (origin, axis,
// limits) of a robot description, so the simulator builds the same robot Gazebo would load.
// Supports the subset a rigid arm uses: box / cylinder / sphere geometry, fixed / revolute /
// continuous / prismatic joints, named materials with rgba colours.
import { readFileSync } from "node:fs";
import { fromRpy, vec, type Pose3, type Vec3 } from "./math3.ts";
import { child, childrenNamed, parseXml, type XmlElement } from "./xml.ts";

export type UrdfGeometry =
  | { type: "box"; size: Vec3 }
  | { type: "cylinder"; radius: number; length: number } // axis along the shape's local z
  | { type: "sphere"; radius: number };

export interface UrdfShape {
  origin: Pose3;
  geometry: UrdfGeometry;
  /** rgba in [0,1], from the shape's material (inline colour or a named robot-level material). */
  rgba?: [number, number, number, number];
}

export interface UrdfInertial {
  mass: number;
  origin: Pose3;
  /** Principal moments, assuming the inertia's off-diagonal terms are zero (as ours are). */
  diagonal: Vec3;
}

export interface UrdfLink {
  name: string;
  inertial?: UrdfInertial;
  visuals: UrdfShape[];
  collisions: UrdfShape[];
}

export type UrdfJointType = "fixed" | "revolute" | "continuous" | "prismatic";

export interface UrdfJoint {
  name: string;
  type: UrdfJointType;
  parent: string;
  child: string;
  /** Child frame relative to the parent frame at joint position 0. */
  origin: Pose3;
  axis: Vec3;
  limit?: { lower: number; upper: number; effort: number; velocity: number };
  dynamics?: { damping: number; friction: number };
}

export interface UrdfRobot {
  name: string;
  links: Record<string, UrdfLink>;
  /** In document order. */
  joints: UrdfJoint[];
}

export class UrdfError extends Error {
  constructor(source: string, message: string) {
    super(`${source}: ${message}`);
    this.name = "UrdfError";
  }
}

export function loadUrdf(path: string): UrdfRobot {
  return parseUrdf(readFileSync(path, "utf8"), path);
}

export function parseUrdf(text: string, source = "urdf"): UrdfRobot {
  const root = parseXml(text, source);
  const fail = (msg: string): never => {
    throw new UrdfError(source, msg);
  };
  if (root.name !== "robot") fail(`root element is <${root.name}>, expected <robot>`);

  const numbers = (el: XmlElement, attr: string, count: number, fallback?: number[]): number[] => {
    const raw = el.attrs[attr];
    if (raw === undefined) {
      if (fallback) return fallback;
      return fail(`<${el.name}${el.attrs.name ? ` name="${el.attrs.name}"` : ""}> lacks attribute ${attr}`);
    }
    const parts = raw.trim().split(/\s+/).map(Number);
    if (parts.length !== count || parts.some((x) => !Number.isFinite(x))) {
      fail(`<${el.name}> ${attr}="${raw}": expected ${count} finite number(s)`);
    }
    return parts;
  };
  const origin = (el: XmlElement | undefined): Pose3 => {
    const o = el && child(el, "origin");
    const [x, y, z] = o ? numbers(o, "xyz", 3, [0, 0, 0]) : [0, 0, 0];
    const [r, p, yw] = o ? numbers(o, "rpy", 3, [0, 0, 0]) : [0, 0, 0];
    return { pos: vec(x!, y!, z!), rot: fromRpy(r!, p!, yw!) };
  };

  const materials: Record<string, [number, number, number, number]> = {};
  const rgbaOf = (m: XmlElement | undefined): [number, number, number, number] | undefined => {
    if (!m) return undefined;
    const c = child(m, "color");
    if (c) return numbers(c, "rgba", 4) as [number, number, number, number];
    return m.attrs.name !== undefined ? materials[m.attrs.name] : undefined;
  };
  for (const m of childrenNamed(root, "material")) {
    const rgba = rgbaOf(m);
    if (m.attrs.name && rgba) materials[m.attrs.name] = rgba;
  }

  const geometry = (shape: XmlElement, where: string): UrdfGeometry => {
    const g = child(shape, "geometry") ?? fail(`${where}: <${shape.name}> has no <geometry>`);
    const [kind] = g.children;
    if (!kind) return fail(`${where}: empty <geometry>`);
    if (kind.name === "box") {
      const [x, y, z] = numbers(kind, "size", 3);
      return { type: "box", size: vec(x!, y!, z!) };
    }
    if (kind.name === "cylinder") {
      return { type: "cylinder", radius: numbers(kind, "radius", 1)[0]!, length: numbers(kind, "length", 1)[0]! };
    }
    if (kind.name === "sphere") return { type: "sphere", radius: numbers(kind, "radius", 1)[0]! };
    return fail(`${where}: geometry <${kind.name}> is not supported (box, cylinder, sphere)`);
  };

  const links: Record<string, UrdfLink> = {};
  for (const l of childrenNamed(root, "link")) {
    const name = l.attrs.name ?? fail("a <link> has no name");
    const where = `link ${name}`;
    const inert = child(l, "inertial");
    let inertial: UrdfInertial | undefined;
    if (inert) {
      const m = child(inert, "mass") ?? fail(`${where}: <inertial> has no <mass>`);
      const i = child(inert, "inertia") ?? fail(`${where}: <inertial> has no <inertia>`);
      const [mass] = numbers(m, "value", 1);
      if (!(mass! > 0)) fail(`${where}: mass must be > 0, found ${mass}`);
      inertial = {
        mass: mass!,
        origin: origin(inert),
        diagonal: vec(numbers(i, "ixx", 1)[0]!, numbers(i, "iyy", 1)[0]!, numbers(i, "izz", 1)[0]!),
      };
    }
    const shapes = (tag: string): UrdfShape[] =>
      childrenNamed(l, tag).map((s) => {
        const rgba = rgbaOf(child(s, "material"));
        return { origin: origin(s), geometry: geometry(s, where), ...(rgba ? { rgba } : {}) };
      });
    links[name] = { name, ...(inertial ? { inertial } : {}), visuals: shapes("visual"), collisions: shapes("collision") };
  }

  const joints: UrdfJoint[] = childrenNamed(root, "joint").map((j) => {
    const name = j.attrs.name ?? fail("a <joint> has no name");
    const where = `joint ${name}`;
    const type = j.attrs.type;
    if (type !== "fixed" && type !== "revolute" && type !== "continuous" && type !== "prismatic") {
      return fail(`${where}: type "${type}" is not supported (fixed, revolute, continuous, prismatic)`);
    }
    const parent = child(j, "parent")?.attrs.link ?? fail(`${where}: no <parent link=…>`);
    const childLink = child(j, "child")?.attrs.link ?? fail(`${where}: no <child link=…>`);
    for (const l of [parent, childLink]) if (!links[l]) fail(`${where}: link "${l}" is not defined`);
    const ax = child(j, "axis");
    const [x, y, z] = ax ? numbers(ax, "xyz", 3) : [1, 0, 0];
    const lim = child(j, "limit");
    if (!lim && (type === "revolute" || type === "prismatic")) fail(`${where}: a ${type} joint needs <limit>`);
    const dyn = child(j, "dynamics");
    return {
      name,
      type,
      parent,
      child: childLink,
      origin: origin(j),
      axis: vec(x!, y!, z!),
      ...(lim
        ? {
            limit: {
              lower: numbers(lim, "lower", 1, [0])[0]!,
              upper: numbers(lim, "upper", 1, [0])[0]!,
              effort: numbers(lim, "effort", 1)[0]!,
              velocity: numbers(lim, "velocity", 1)[0]!,
            },
          }
        : {}),
      ...(dyn
        ? { dynamics: { damping: numbers(dyn, "damping", 1, [0])[0]!, friction: numbers(dyn, "friction", 1, [0])[0]! } }
        : {}),
    };
  });
  return { name: root.attrs.name ?? "robot", links, joints };
}
