// The simulator's configuration: rates, camera, detector, topics. One object with documented
// defaults; `simConfig(partial)` fills the rest and rejects values that cannot work.
import { DEFAULT_VIEW } from "./camera.ts";
import { checkDetectorConfig, DEFAULT_DETECTOR, type DetectorConfig } from "./detector.ts";
import { DEFAULT_TOPICS, type SimTopics } from "./topics.ts";
import { TIMEOUT_S, type TaskName } from "./episode.ts";
import { PHYSICS_HZ } from "./world.ts";

export interface CameraConfig {
  enabled: boolean;
  width: number;
  height: number;
  rateHz: number;
  /** Vertical field of view in degrees. */
  fovY: number;
}

export interface SimConfig {
  /** Control ticks per second: `step()` advances one tick (default 10). */
  controlRateHz: number;
  camera: CameraConfig;
  detector: DetectorConfig & { enabled: boolean; rateHz: number };
  jointStates: { rateHz: number };
  topics: SimTopics;
  /** Episode time limits per task (s; default episode.ts TIMEOUT_S: reach 10, push 25). */
  timeoutS: Record<TaskName, number>;
  /** The robot description (default sim/robot/scara.urdf). */
  urdf?: string;
}

export const DEFAULT_SIM_CONFIG: SimConfig = {
  controlRateHz: 10,
  camera: { enabled: true, width: 128, height: 96, rateHz: 10, fovY: DEFAULT_VIEW.fovY },
  detector: { enabled: true, rateHz: 10, ...DEFAULT_DETECTOR },
  jointStates: { rateHz: 50 },
  topics: DEFAULT_TOPICS,
  timeoutS: { ...TIMEOUT_S },
};

export class SimConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SimConfigError";
  }
}

export interface SimConfigInput {
  controlRateHz?: number;
  camera?: Partial<CameraConfig>;
  detector?: Partial<SimConfig["detector"]>;
  jointStates?: Partial<SimConfig["jointStates"]>;
  topics?: Partial<SimTopics>;
  timeoutS?: Partial<Record<TaskName, number>>;
  urdf?: string;
}

export function simConfig(input: SimConfigInput = {}): SimConfig {
  const d = DEFAULT_SIM_CONFIG;
  const c: SimConfig = {
    controlRateHz: input.controlRateHz ?? d.controlRateHz,
    camera: { ...d.camera, ...input.camera },
    detector: { ...d.detector, ...input.detector },
    jointStates: { ...d.jointStates, ...input.jointStates },
    topics: { ...d.topics, ...input.topics },
    timeoutS: { ...d.timeoutS, ...input.timeoutS },
    ...(input.urdf ? { urdf: input.urdf } : {}),
  };
  const rate = (field: string, v: number) => {
    if (!(v > 0 && v <= PHYSICS_HZ)) {
      throw new SimConfigError(`${field}: expected a rate in (0, ${PHYSICS_HZ}] Hz (the physics rate), found ${v}`);
    }
  };
  rate("controlRateHz", c.controlRateHz);
  rate("camera.rateHz", c.camera.rateHz);
  rate("detector.rateHz", c.detector.rateHz);
  rate("jointStates.rateHz", c.jointStates.rateHz);
  for (const [field, v] of [["camera.width", c.camera.width], ["camera.height", c.camera.height]] as const) {
    if (!Number.isInteger(v) || v < 8 || v > 4096) throw new SimConfigError(`${field}: expected an integer in [8, 4096] pixels, found ${v}`);
  }
  if (!(c.camera.fovY > 5 && c.camera.fovY < 170)) throw new SimConfigError(`camera.fovY: expected degrees in (5, 170), found ${c.camera.fovY}`);
  for (const [task, t] of Object.entries(c.timeoutS)) {
    if (!(t > 0 && Number.isFinite(t))) throw new SimConfigError(`timeoutS.${task}: expected seconds > 0, found ${t}`);
  }
  checkDetectorConfig(c.detector);
  return c;
}
