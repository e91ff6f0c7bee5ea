// The arm in the physics engine, built from its URDF: one Rapier body per link that has mass or
// collision shapes, one impulse joint with a position motor per movable joint, limits from
// <limit>. Each physics step a setpoint generator (profile.ts) moves each joint's setpoint toward
// its command within the joint's velocity and acceleration limits and the motor tracks it.
import type RAPIER from "@dimforge/rapier3d-deterministic-compat";
import { fileURLToPath } from "node:url";
import { compose, qconj, qmul, rotate, sub, dot, twistAngle, axisAngle, vec, IDENTITY, type Pose3, type Vec3 } from "./math3.ts";
import { advanceProfile, type ProfileState } from "./profile.ts";
import { loadUrdf, UrdfError, type UrdfJoint, type UrdfRobot } from "./urdf.ts";
import { scaraGeometry, type ScaraGeometry } from "./kinematics.ts";

type Rapier = typeof RAPIER;

export const DEFAULT_URDF = fileURLToPath(new URL("./robot/scara.urdf", import.meta.url));

/** The commanded joints, in the order of every joint vector (JointState, commands, the card). */
export const ARM_JOINT_NAMES = ["shoulder_joint", "elbow_joint", "lift_joint"] as const;

export interface ArmJoint {
  name: string;
  kind: "revolute" | "prismatic";
  lower: number;
  upper: number;
  /** From the URDF <limit>: rad/s or m/s, and N·m or N. */
  maxVelocity: number;
  effort: number;
  /** Not in URDF's vocabulary: the drive's acceleration limit (rad/s² or m/s²). */
  maxAcceleration: number;
  /** Position servo gains: N·m/rad and N·m·s/rad (revolute) or N/m and N·s/m (prismatic). */
  stiffness: number;
  damping: number;
}

/** Servo gains for a closed-loop natural frequency ω = 120 rad/s, critically damped, on the
 * joint's largest reflected inertia I: stiffness I·ω², damping 2·I·ω. */
const servo = (inertia: number, omega = 120) => ({ stiffness: inertia * omega * omega, damping: 2 * inertia * omega });

/** Drive parameters URDF cannot express, per joint: a small SCARA's servo tuning. The shoulder
 * carries the whole arm (≈0.11 kg·m² outstretched), the elbow the forearm and quill (≈0.013,
 * tuned as 0.02 to absorb the shoulder's reaction), the lift the 0.12 kg quill. */
export const DRIVE_TUNING: Record<string, { maxAcceleration: number; stiffness: number; damping: number }> = {
  shoulder_joint: { maxAcceleration: 100, ...servo(0.11) },
  elbow_joint: { maxAcceleration: 120, ...servo(0.02) },
  lift_joint: { maxAcceleration: 15, ...servo(0.12) },
};

export interface ArmSpec {
  source: string;
  urdf: UrdfRobot;
  joints: ArmJoint[];
  geometry: ScaraGeometry;
}

export function loadArm(path = DEFAULT_URDF): ArmSpec {
  const urdf = loadUrdf(path);
  const joints = ARM_JOINT_NAMES.map((name): ArmJoint => {
    const j = urdf.joints.find((x) => x.name === name);
    if (!j) throw new UrdfError(path, `the arm needs a joint named ${name}`);
    if ((j.type !== "revolute" && j.type !== "prismatic") || !j.limit) {
      throw new UrdfError(path, `joint ${name} must be revolute or prismatic with <limit>, found ${j.type}`);
    }
    const tuning = DRIVE_TUNING[name]!;
    return {
      name,
      kind: j.type,
      lower: j.limit.lower,
      upper: j.limit.upper,
      maxVelocity: j.limit.velocity,
      effort: j.limit.effort,
      ...tuning,
    };
  });
  return { source: path, urdf, joints, geometry: scaraGeometry(urdf, path) };
}

const G = 9.81;
/** Rapier's cylinders lie along local y, URDF's along local z. */
const CYLINDER_TO_Z = axisAngle(vec(1, 0, 0), Math.PI / 2);

interface MotorJoint {
  spec: ArmJoint;
  urdf: UrdfJoint;
  joint: RAPIER.UnitImpulseJoint;
  parent: RAPIER.RigidBody;
  child: RAPIER.RigidBody;
  profile: ProfileState;
  target: number;
}

/** World poses of every link for joint values q (by joint name; absent joints at 0). */
export function linkPoses(urdf: UrdfRobot, q: Record<string, number>, root = "world"): Record<string, Pose3> {
  const poses: Record<string, Pose3> = { [root]: { pos: vec(0, 0, 0), rot: IDENTITY } };
  let grew = true;
  while (grew) {
    grew = false;
    for (const j of urdf.joints) {
      const parent = poses[j.parent];
      if (!parent || poses[j.child]) continue;
      const v = q[j.name] ?? 0;
      const motion: Pose3 =
        j.type === "prismatic"
          ? { pos: { x: j.axis.x * v, y: j.axis.y * v, z: j.axis.z * v }, rot: IDENTITY }
          : j.type === "fixed"
            ? { pos: vec(0, 0, 0), rot: IDENTITY }
            : { pos: vec(0, 0, 0), rot: axisAngle(j.axis, v) };
      poses[j.child] = compose(compose(parent, j.origin), motion);
      grew = true;
    }
  }
  return poses;
}

export class PhysicsArm {
  readonly bodies: Record<string, RAPIER.RigidBody> = {};
  /** The collider of the link named "quill": the pusher. */
  readonly tipCollider: RAPIER.Collider;
  private readonly motors: MotorJoint[];

  constructor(R: Rapier, world: RAPIER.World, readonly spec: ArmSpec, q0: ArrayLike<number>) {
    const { urdf, source } = spec;
    const q: Record<string, number> = {};
    ARM_JOINT_NAMES.forEach((n, i) => (q[n] = q0[i]!));
    const poses = linkPoses(urdf, q);
    // Links welded to the world by fixed joints are fixed bodies; the rest move.
    const fixedLinks = new Set(["world"]);
    for (const j of urdf.joints) if (j.type === "fixed" && fixedLinks.has(j.parent)) fixedLinks.add(j.child);

    for (const link of Object.values(urdf.links)) {
      if (!link.inertial && link.collisions.length === 0) continue;
      const pose = poses[link.name];
      if (!pose) throw new UrdfError(source, `link ${link.name} is not connected to world`);
      const desc = fixedLinks.has(link.name) ? R.RigidBodyDesc.fixed() : R.RigidBodyDesc.dynamic();
      desc.setTranslation(pose.pos.x, pose.pos.y, pose.pos.z).setRotation(pose.rot).setCanSleep(false);
      if (link.inertial && !fixedLinks.has(link.name)) {
        const I = link.inertial;
        desc.setAdditionalMassProperties(I.mass, I.origin.pos, I.diagonal, I.origin.rot);
      }
      const body = world.createRigidBody(desc);
      for (const c of link.collisions) {
        const g = c.geometry;
        const cd =
          g.type === "box"
            ? R.ColliderDesc.cuboid(g.size.x / 2, g.size.y / 2, g.size.z / 2).setRotation(c.origin.rot)
            : g.type === "cylinder"
              ? R.ColliderDesc.cylinder(g.length / 2, g.radius).setRotation(qmul(c.origin.rot, CYLINDER_TO_Z))
              : R.ColliderDesc.ball(g.radius).setRotation(c.origin.rot);
        cd.setTranslation(c.origin.pos.x, c.origin.pos.y, c.origin.pos.z).setDensity(0).setFriction(0.3);
        world.createCollider(cd, body);
      }
      this.bodies[link.name] = body;
    }

    const bodyOf = (name: string, why: string) =>
      this.bodies[name] ?? ((): never => {
        throw new UrdfError(source, `link ${name} (${why}) has neither mass nor collision shape`);
      })();
    this.motors = spec.joints.map((js) => {
      const uj = urdf.joints.find((j) => j.name === js.name)!;
      if (uj.origin.rot.w !== 1) throw new UrdfError(source, `joint ${js.name}: a rotated origin on a movable joint is not supported`);
      const parent = bodyOf(uj.parent, `parent of ${js.name}`);
      const childBody = bodyOf(uj.child, `child of ${js.name}`);
      const data =
        js.kind === "revolute"
          ? R.JointData.revolute(uj.origin.pos, vec(0, 0, 0), uj.axis)
          : R.JointData.prismatic(uj.origin.pos, vec(0, 0, 0), uj.axis);
      data.limitsEnabled = true;
      data.limits = [js.lower, js.upper];
      const joint = world.createImpulseJoint(data, parent, childBody, true) as RAPIER.UnitImpulseJoint;
      joint.setContactsEnabled(false);
      // Force-based: gains in physical units. (The acceleration-based model scales by the two
      // bodies' own inertia only, which in a chain under-estimates the load and rings.)
      joint.configureMotorModel(R.MotorModel.ForceBased);
      joint.setMotorMaxForce(js.effort);
      const x = q[js.name]!;
      return { spec: js, urdf: uj, joint, parent, child: childBody, profile: { x, v: 0, a: 0 }, target: x };
    });
    // Gravity compensation of the vertical axis (the drive's feed-forward term): without it the
    // quill would hang g/ω² below its setpoint.
    for (const m of this.motors) {
      if (m.spec.kind === "prismatic") {
        const w = (urdf.links[m.urdf.child]?.inertial?.mass ?? 0) * G * m.urdf.axis.z;
        m.child.addForce(vec(0, 0, w), true);
      }
    }
    const quill = this.bodies.quill;
    if (!quill || quill.numColliders() === 0) throw new UrdfError(source, "link quill (the pusher) needs a collision shape");
    this.tipCollider = quill.collider(0);
  }

  /** Sets the commanded positions, clamped to the joint limits (a controller never commands past them). */
  setTargets(q: ArrayLike<number>): void {
    this.motors.forEach((m, i) => {
      m.target = Math.min(m.spec.upper, Math.max(m.spec.lower, q[i]!));
    });
  }

  targets(): Float64Array {
    return Float64Array.from(this.motors, (m) => m.target);
  }

  /** Before each physics step: advance each setpoint and hand it to the motor. */
  beforeStep(dt: number): void {
    for (const m of this.motors) {
      const { maxVelocity: vmax, maxAcceleration: amax, stiffness: k, damping: c } = m.spec;
      advanceProfile(m.profile, m.target, { vmax, amax }, dt);
      // Acceleration feed-forward folded into the position target: K·(x + a/ω² − q) = K·(x − q) + I·a.
      const omega = (2 * k) / c;
      m.joint.configureMotor(m.profile.x + m.profile.a / (omega * omega), m.profile.v, k, c);
    }
  }

  /** Measured joint positions and velocities, from the bodies' relative motion. */
  read(): { position: Float64Array; velocity: Float64Array } {
    const n = this.motors.length;
    const position = new Float64Array(n);
    const velocity = new Float64Array(n);
    this.motors.forEach((m, i) => {
      const rp = m.parent.rotation();
      const inv = qconj(rp);
      const axis = m.urdf.axis;
      if (m.spec.kind === "revolute") {
        position[i] = twistAngle(qmul(inv, m.child.rotation()), axis);
        velocity[i] = dot(rotate(inv, sub(m.child.angvel(), m.parent.angvel())), axis);
      } else {
        const rel: Vec3 = sub(m.child.translation(), m.parent.translation());
        position[i] = dot(sub(rotate(inv, rel), m.urdf.origin.pos), axis);
        const wp = m.parent.angvel();
        const vrel = sub(sub(m.child.linvel(), m.parent.linvel()), {
          x: wp.y * rel.z - wp.z * rel.y,
          y: wp.z * rel.x - wp.x * rel.z,
          z: wp.x * rel.y - wp.y * rel.x,
        });
        velocity[i] = dot(rotate(inv, vrel), axis);
      }
    });
    return { position, velocity };
  }
}
