// The physical world of one episode: table, floor, blocks and the arm in a Rapier world with a
// fixed 240 Hz step. Knows nothing of messages or tasks; it steps and reports true state.
import type RAPIER from "@dimforge/rapier3d-deterministic-compat";
import type { EpisodeSpec } from "./episode.ts";
import { PhysicsArm, type ArmSpec } from "./robot.ts";
import { BLOCK_HALF, BLOCK_MASS, FLOOR_Z, TABLE } from "./scene.ts";
import type { Quat, Vec3 } from "./math3.ts";

type Rapier = typeof RAPIER;

export const PHYSICS_HZ = 240;

export interface BodyPose {
  position: Vec3;
  orientation: Quat;
}

/** "Touching" is the contact carrying force: a total normal impulse between the pusher and a
 * block above this during one step (N·s; 1e-6 over a 1/240 s step is 0.24 mN). Rapier's
 * manifold also lists speculative points a few mm apart, so point distance is not the test. */
export const TOUCH_IMPULSE = 1e-6;

export class SimWorld {
  readonly world: RAPIER.World;
  readonly arm: PhysicsArm;
  readonly blocks: RAPIER.RigidBody[] = [];
  private readonly blockColliders: RAPIER.Collider[] = [];
  /** Physics steps taken since the episode began. */
  steps = 0;
  /** The pusher touched the episode's named block during the last `step()`. */
  touchingTarget = false;

  constructor(R: Rapier, readonly spec: EpisodeSpec, armSpec: ArmSpec) {
    this.world = new R.World({ x: 0, y: 0, z: -9.81 });
    this.world.timestep = 1 / PHYSICS_HZ;
    const table = this.world.createRigidBody(R.RigidBodyDesc.fixed().setTranslation(0, 0, -TABLE.thickness / 2));
    this.world.createCollider(R.ColliderDesc.cuboid(TABLE.halfX, TABLE.halfY, TABLE.thickness / 2).setFriction(0.4), table);
    const floor = this.world.createRigidBody(R.RigidBodyDesc.fixed().setTranslation(0, 0, FLOOR_Z - 0.05));
    this.world.createCollider(R.ColliderDesc.cuboid(3, 3, 0.05).setFriction(0.6), floor);

    this.arm = new PhysicsArm(R, this.world, armSpec, spec.armStart);
    const density = BLOCK_MASS / (2 * BLOCK_HALF) ** 3;
    for (const b of spec.blocks) {
      const body = this.world.createRigidBody(
        R.RigidBodyDesc.dynamic()
          .setTranslation(b.x, b.y, BLOCK_HALF)
          .setRotation({ x: 0, y: 0, z: b.qz, w: b.qw }),
      );
      const collider = this.world.createCollider(
        R.ColliderDesc.cuboid(BLOCK_HALF, BLOCK_HALF, BLOCK_HALF).setDensity(density).setFriction(0.4),
        body,
      );
      this.blocks.push(body);
      this.blockColliders.push(collider);
    }
  }

  get time(): number {
    return this.steps / PHYSICS_HZ;
  }

  /** One physics step: advance the joint setpoints, integrate, then see whether the tip touches
   * the named block. */
  step(): void {
    this.arm.beforeStep(1 / PHYSICS_HZ);
    this.world.step();
    this.steps++;
    let impulse = 0;
    this.world.contactPair(this.arm.tipCollider, this.blockColliders[this.spec.targetBlock]!, (manifold) => {
      for (let k = 0; k < manifold.numContacts(); k++) impulse += manifold.contactImpulse(k);
    });
    this.touchingTarget = impulse > TOUCH_IMPULSE;
  }

  blockPoses(): BodyPose[] {
    return this.blocks.map((b) => ({ position: b.translation(), orientation: b.rotation() }));
  }

  /** World pose of a link body by URDF link name (for rendering). */
  linkPose(name: string): BodyPose | null {
    const b = this.arm.bodies[name];
    return b ? { position: b.translation(), orientation: b.rotation() } : null;
  }

  free(): void {
    this.world.free();
  }
}
