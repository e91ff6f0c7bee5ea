// A ROS 2 bus on its own plain node, for tools that only move messages (record, replay, teleop,
// viewers): `createBus("ros2")`. The omniloop node itself uses a lifecycle node (ros2-node.ts).
import type { Bus } from "../types.ts";
import { Ros2Bus, type Ros2BusOptions } from "./bus.ts";
import { loadRclnodejs } from "./environment.ts";
import { rclnodejsSeam } from "./seam.ts";

export interface OpenRos2BusOptions extends Ros2BusOptions {
  /** Node name; default "omniloop_bus". */
  node?: string;
  log?: (line: string) => void;
}

/** Loads rclnodejs (failing at once, with what to source and install, without ROS 2), creates a
 * node, spins it, and returns the bus; closing the bus destroys the node. */
export async function openRos2Bus(options: OpenRos2BusOptions = {}): Promise<Bus> {
  const rclnodejs = await loadRclnodejs(process.env, undefined, options.log);
  const node = new rclnodejs.Node(options.node ?? "omniloop_bus");
  node.spin();
  const bus = new Ros2Bus(rclnodejsSeam(rclnodejs, node), options);
  const close = bus.close.bind(bus);
  bus.close = async () => {
    await close();
    node.destroy();
  };
  return bus;
}
