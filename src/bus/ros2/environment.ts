// Loading rclnodejs, only when the ROS 2 transport is chosen. Without a sourced ROS 2 environment
// that choice fails at once, saying what to source and install — not with a native stack trace.
import type * as rcl from "rclnodejs";
import { Ros2UnavailableError } from "./errors.ts";

export type Rclnodejs = typeof rcl;

/** The ROS 2 distributions omniloop supports (their message layouts are the ones src/messages has). */
export const SUPPORTED_DISTROS = ["humble", "jazzy"] as const;

const SOURCE_HINT =
  "source your ROS 2 installation first (`source /opt/ros/jazzy/setup.bash`, or humble), then install rclnodejs with its " +
  "install scripts (`npm install rclnodejs --foreground-scripts`: it builds its native binding and generates the message " +
  'bindings; package.json\'s "allowScripts" must allow rclnodejs on the robot)';

export interface RosEnvironment {
  distro: string;
  /** Whether the distribution is one omniloop was written against. */
  supported: boolean;
}

/** Checks that a ROS 2 environment is sourced (ROS_DISTRO, AMENT_PREFIX_PATH). Pure: `env` is passed in. */
export function checkRosEnvironment(env: Readonly<Record<string, string | undefined>>): RosEnvironment {
  const missing = ["ROS_DISTRO", "AMENT_PREFIX_PATH"].filter((k) => !env[k]);
  if (missing.length > 0) {
    throw new Ros2UnavailableError(`the ROS 2 transport needs a sourced ROS 2 environment (${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not set): ${SOURCE_HINT}`);
  }
  const distro = env.ROS_DISTRO!;
  return { distro, supported: (SUPPORTED_DISTROS as readonly string[]).includes(distro) };
}

/** rclnodejs, initialised. `importer` is the seam for tests of the failure messages. */
export async function loadRclnodejs(
  env: Readonly<Record<string, string | undefined>> = process.env,
  importer: () => Promise<unknown> = () => import("rclnodejs"),
  log: (line: string) => void = () => {},
): Promise<Rclnodejs> {
  const ros = checkRosEnvironment(env);
  if (!ros.supported) log(`ROS_DISTRO=${ros.distro}: omniloop is tested against ${SUPPORTED_DISTROS.join(" and ")}; message layouts may differ`);
  let mod: Rclnodejs;
  try {
    const imported = (await importer()) as Rclnodejs & { default?: Rclnodejs };
    mod = imported.default ?? imported;
  } catch (err) {
    const why = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new Ros2UnavailableError(`rclnodejs could not be loaded (${why}): ${SOURCE_HINT}`);
  }
  try {
    await mod.init();
  } catch (err) {
    const why = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new Ros2UnavailableError(`rclnodejs could not initialise ROS 2 on ${ros.distro} (${why}): ${SOURCE_HINT}`);
  }
  try {
    mod.require("std_msgs/msg/String");
  } catch (err) {
    const why = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new Ros2UnavailableError(
      `rclnodejs has no generated message bindings (${why}): with ROS 2 sourced, run \`npx generate-ros-messages\` (or reinstall rclnodejs with its scripts)`,
    );
  }
  return mod;
}
