// The ROS 2 transport's errors: each says what is missing or wrong and what to do.
import { BusError } from "../errors.ts";

/** The ROS 2 transport was chosen where it cannot run: no sourced ROS 2, rclnodejs not installed or
 * not built, or its message bindings not generated. */
export class Ros2UnavailableError extends BusError {
  constructor(message: string) {
    super(message);
    this.name = "Ros2UnavailableError";
  }
}

/** The node's parameter file (ROS 2 YAML) is not one the node can run: names the file, the
 * parameter, what was expected and what was found. */
export class Ros2ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Ros2ConfigError";
  }
}

/** A lifecycle transition that is not available from the current state, or whose work failed. */
export class LifecycleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LifecycleError";
  }
}
