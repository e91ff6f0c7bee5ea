// The simulator in lockstep: in-process, advanced one control tick at a time by its caller, with
// no bus and no clock of its own — deterministic, and as fast as the CPU allows. `reset(seed,
// task)` starts an episode; `step(commands)` applies the commands, runs the physics to the next
// control tick, and returns every sensor message that fell due on the way, stamped in sim time,
// plus the episode's status. The real-time runner (realtime.ts) and teleop drive this same class.
import RAPIER from "@dimforge/rapier3d-deterministic-compat";
import { float64MultiArray, image, jointState, stringMsg } from "../src/messages/make.ts";
import type { RosMessageTypes, RosTypeName, Time } from "../src/messages/types.ts";
import { timeFromNs } from "../src/messages/time.ts";
import type { Topic } from "../src/bus/types.ts";
import { pinholeCamera, DEFAULT_VIEW, type PinholeCamera } from "./camera.ts";
import { ArmCommander, type SimCommand } from "./commands.ts";
import { simConfig, type SimConfig, type SimConfigInput } from "./config.ts";
import { detect, type TrueObject } from "./detector.ts";
import { generateEpisode, type EpisodeSpec, type TaskName } from "./episode.ts";
import { forwardKinematics } from "./kinematics.ts";
import type { Vec3 } from "./math3.ts";
import { Rng } from "./prng.ts";
import { newFrame, type Frame } from "./raster.ts";
import { renderScene, type SceneState } from "./render.ts";
import { ARM_JOINT_NAMES, loadArm, type ArmSpec } from "./robot.ts";
import { BLOCK_HALF } from "./scene.ts";
import { judge, type Outcome } from "./tasks.ts";
import { FRAMES } from "./topics.ts";
import { PHYSICS_HZ, SimWorld, type BodyPose } from "./world.ts";

/** One message the simulator emits, with its topic (type-checked pair) and the sim instant it
 * was sampled at (for messages without a header, such as the task string: a log's time). */
export type SimMessage = { [K in RosTypeName]: { topic: Topic<K>; message: RosMessageTypes[K]; stamp: Time } }[RosTypeName];

export interface EpisodeStatus {
  seed: number;
  task: TaskName;
  command: string;
  tick: number;
  /** Episode time (s) at the end of the tick. */
  time: number;
  /** Null while the episode runs. */
  outcome: Outcome | null;
  reason: string | null;
}

export interface SimTick {
  tick: number;
  /** Episode time (s) and its stamp. */
  time: number;
  stamp: Time;
  /** Messages that fell due during the tick, in time order. */
  messages: SimMessage[];
  status: EpisodeStatus;
  /** The episode's outcome was decided at this tick. */
  ended: boolean;
}

/** Privileged state, for the scripted expert, tests and views: what a policy must not see. */
export interface Truth {
  time: number;
  joints: Float64Array;
  velocities: Float64Array;
  /** Commanded joint targets (after clamping to limits). */
  targets: Float64Array;
  tip: Vec3;
  blocks: BodyPose[];
  spec: EpisodeSpec;
  estopped: boolean;
}

export class SimStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SimStateError";
  }
}

let rapierReady: Promise<void> | null = null;
/** Rapier's WASM module loads once per process. */
export function initRapier(): Promise<void> {
  rapierReady ??= RAPIER.init();
  return rapierReady;
}

interface Sensor {
  rateHz: number;
  count: number;
  emit: (stamp: Time) => SimMessage;
}

export class Sim {
  readonly config: SimConfig;
  readonly arm: ArmSpec;
  readonly camera: PinholeCamera;
  private readonly frame: Frame;
  private world: SimWorld | null = null;
  private commander: ArmCommander | null = null;
  private spec: EpisodeSpec | null = null;
  private detectorRng: Rng | null = null;
  private sensors: Sensor[] = [];
  private tickIndex = 0;
  private touchedThisTick = false;
  private outcome: { outcome: Outcome; reason: string } | null = null;
  private stampOffsetNs = 0n;

  private constructor(config: SimConfig) {
    this.config = config;
    this.arm = loadArm(config.urdf);
    const { width, height, fovY } = config.camera;
    this.camera = pinholeCamera({ width, height, fovY, eye: DEFAULT_VIEW.eye, target: DEFAULT_VIEW.target });
    this.frame = newFrame(width, height);
  }

  static async create(input: SimConfigInput = {}): Promise<Sim> {
    const config = simConfig(input);
    await initRapier();
    return new Sim(config);
  }

  /** Starts the episode of `seed` and `task`; returns tick 0: the episode's start event, the
   * command, and every sensor's first sample. `stampOffsetNs` shifts stamps (the real-time runner
   * passes the wall clock; lockstep stamps count from 0). */
  reset(seed: number, task: TaskName, options: { stampOffsetNs?: bigint } = {}): SimTick {
    const spec = { ...generateEpisode(seed, task, { geometry: this.arm.geometry, limits: this.arm.joints }), timeoutS: this.config.timeoutS[task] };
    this.world?.free(); // only now: a bad seed or task leaves the running episode intact
    this.spec = spec;
    this.world = new SimWorld(RAPIER, spec, this.arm);
    this.commander = new ArmCommander(ARM_JOINT_NAMES, spec.armStart);
    this.detectorRng = new Rng(seed, `detector:${task}`);
    this.tickIndex = 0;
    this.touchedThisTick = false;
    this.outcome = null;
    this.stampOffsetNs = options.stampOffsetNs ?? 0n;
    this.sensors = this.makeSensors();
    const { topics } = this.config;
    const stamp = this.stampAt(0);
    const messages: SimMessage[] = [
      { topic: topics.episode, message: stringMsg(JSON.stringify({ event: "start", seed, task, command: spec.command })), stamp },
      { topic: topics.task, message: stringMsg(spec.command), stamp },
    ];
    this.sample(0, messages);
    return { tick: 0, time: 0, stamp, messages, status: this.status(), ended: false };
  }

  get episode(): EpisodeSpec {
    return this.need().spec;
  }

  /** One control tick: apply `commands`, run the physics to the next tick, judge the task. */
  step(commands: readonly SimCommand[] = []): SimTick {
    const { world } = this.need();
    this.apply(commands);
    const messages: SimMessage[] = [];
    let ended = false;
    const k = this.tickIndex + 1;
    while (world.steps * this.config.controlRateHz < k * PHYSICS_HZ) ended = this.physicsStep(messages) || ended;
    return { tick: this.tickIndex, time: world.time, stamp: this.stampAt(world.steps), messages, status: this.status(), ended };
  }

  /** Applies commands now, at the current physics step (the real-time runner calls this as
   * commands arrive). Throws SimCommandError on a malformed command. */
  apply(commands: readonly SimCommand[]): void {
    const { world, commander } = this.need();
    for (const c of commands) commander.apply(c, world.time, world.arm.read().position);
  }

  /** Runs `steps` physics steps (not aligned to control ticks; the task is still judged at each
   * tick boundary crossed). For the real-time runner, which follows the wall clock. */
  advance(steps: number): { messages: SimMessage[]; ended: boolean } {
    const messages: SimMessage[] = [];
    let ended = false;
    for (let i = 0; i < steps; i++) ended = this.physicsStep(messages) || ended;
    return { messages, ended };
  }

  /** Physics steps taken in this episode. */
  get physicsSteps(): number {
    return this.need().world.steps;
  }

  /** Stamp of the current instant. */
  stamp(): Time {
    return this.stampAt(this.need().world.steps);
  }

  /** One physics step: targets from the commander, integrate, sample due sensors, and at a
   * control tick boundary judge the task. Returns true when the episode ended at this step. */
  private physicsStep(messages: SimMessage[]): boolean {
    const { world, commander, spec } = this.need();
    world.arm.setTargets(commander.targetAt(world.time));
    world.step();
    this.touchedThisTick ||= world.touchingTarget;
    this.sample(world.steps, messages);
    if (world.steps * this.config.controlRateHz < (this.tickIndex + 1) * PHYSICS_HZ) return false;
    this.tickIndex++;
    const touched = this.touchedThisTick;
    this.touchedThisTick = false;
    if (this.outcome) return false;
    const verdict = judge(spec, { target: world.blockPoses()[spec.targetBlock]!, touched, time: world.time });
    if (!verdict) return false;
    this.outcome = verdict;
    const event = { event: "end", seed: spec.seed, task: spec.task, command: spec.command, ...verdict, duration_s: world.time };
    messages.push({ topic: this.config.topics.episode, message: stringMsg(JSON.stringify(event)), stamp: this.stampAt(world.steps) });
    return true;
  }

  status(): EpisodeStatus {
    const { world, spec } = this.need();
    return {
      seed: spec.seed,
      task: spec.task,
      command: spec.command,
      tick: this.tickIndex,
      time: world.time,
      outcome: this.outcome?.outcome ?? null,
      reason: this.outcome?.reason ?? null,
    };
  }

  truth(): Truth {
    const { world, commander, spec } = this.need();
    const { position, velocity } = world.arm.read();
    return {
      time: world.time,
      joints: position,
      velocities: velocity,
      targets: world.arm.targets(),
      tip: forwardKinematics(this.arm.geometry, position),
      blocks: world.blockPoses(),
      spec,
      estopped: commander.estopped,
    };
  }

  /** The world as the renderer needs it. */
  scene(): SceneState {
    const { world, spec } = this.need();
    const poses = world.blockPoses();
    const links: SceneState["links"] = [];
    for (const link of Object.values(this.arm.urdf.links)) {
      const pose = world.linkPose(link.name);
      if (pose && link.visuals.length) links.push({ pose: { pos: pose.position, rot: pose.orientation }, visuals: link.visuals });
    }
    return {
      blocks: spec.blocks.map((b, i) => ({ pose: { pos: poses[i]!.position, rot: poses[i]!.orientation }, colour: b.colour })),
      zones: spec.zones,
      links,
      tip: world.linkPose("quill")?.position ?? null,
    };
  }

  /** Renders the camera now (the frame is reused by the next render: copy what you keep). */
  renderCamera(): Frame {
    renderScene(this.camera, this.frame, this.scene());
    return this.frame;
  }

  close(): void {
    this.world?.free();
    this.world = null;
  }

  private need(): { world: SimWorld; commander: ArmCommander; spec: EpisodeSpec } {
    if (!this.world || !this.commander || !this.spec) throw new SimStateError("no episode: call reset(seed, task) first");
    return { world: this.world, commander: this.commander, spec: this.spec };
  }

  private stampAt(steps: number): Time {
    return timeFromNs(this.stampOffsetNs + BigInt(Math.round((steps * 1e9) / PHYSICS_HZ)));
  }

  /** Emits every sensor due at physics step `steps` (sample n is due once steps·rate ≥ n·240). */
  private sample(steps: number, out: SimMessage[]): void {
    let stamp: Time | null = null;
    for (const s of this.sensors) {
      if (steps * s.rateHz >= s.count * PHYSICS_HZ) {
        stamp ??= this.stampAt(steps);
        out.push(s.emit(stamp));
        s.count++;
      }
    }
  }

  private makeSensors(): Sensor[] {
    const { config } = this;
    const { topics } = config;
    const sensors: Sensor[] = [
      {
        rateHz: config.jointStates.rateHz,
        count: 0,
        emit: (stamp) => {
          const { position, velocity } = this.need().world.arm.read();
          return { topic: topics.jointStates, message: jointState({ stamp, frame_id: FRAMES.base, name: [...ARM_JOINT_NAMES], position, velocity }), stamp };
        },
      },
    ];
    if (config.camera.enabled) {
      sensors.push({
        rateHz: config.camera.rateHz,
        count: 0,
        emit: (stamp) => {
          const f = this.renderCamera();
          const message = image({ stamp, frame_id: FRAMES.camera, width: f.width, height: f.height, encoding: "rgb8", data: f.rgb.slice() });
          return { topic: topics.image, message, stamp };
        },
      });
    }
    if (config.detector.enabled) {
      sensors.push({
        rateHz: config.detector.rateHz,
        count: 0,
        emit: (stamp) => ({ topic: topics.detections, message: detect(this.trueObjects(), this.detectorRng!, config.detector, stamp), stamp }),
      });
    }
    return sensors;
  }

  private trueObjects(): TrueObject[] {
    const { world, spec } = this.need();
    const poses = world.blockPoses();
    const cube = { x: 2 * BLOCK_HALF, y: 2 * BLOCK_HALF, z: 2 * BLOCK_HALF };
    return [
      ...spec.blocks.map((b, i) => ({ className: b.className, position: poses[i]!.position, orientation: poses[i]!.orientation, size: cube })),
      ...spec.zones.map((z) => ({
        className: z.className,
        position: { x: z.x, y: z.y, z: 0 },
        orientation: { x: 0, y: 0, z: 0, w: 1 },
        size: { x: 2 * z.half, y: 2 * z.half, z: 0.001 },
      })),
    ];
  }
}

/** A Float64MultiArray position command in the arm's joint order. */
export const positionCommand = (q: ArrayLike<number>): SimCommand => ({ type: "std_msgs/msg/Float64MultiArray", message: float64MultiArray(q) });
