// One entry point from a URL to a bus, so configuration picks the transport and the loop never
// knows which one it runs on.
import { MemoryBus } from "./memory.ts";
import type { Bus } from "./types.ts";
import { parseBusUrl } from "./url.ts";
import { ZmqBus, type ZmqBusOptions } from "./zmq.ts";

/** Options per transport; each ignores the others'. */
export type CreateBusOptions = ZmqBusOptions;

/** `memory://` (or `memory`) → MemoryBus; `zmq://HOST:PORT` → ZmqBus.open(url, options);
 * `ros2` / `ros2://` → BusUrlError until the ROS 2 transport exists. */
export async function createBus(url: string, options: CreateBusOptions = {}): Promise<Bus> {
  const parsed = parseBusUrl(url);
  switch (parsed.scheme) {
    case "memory":
      return new MemoryBus();
    case "zmq":
      return ZmqBus.open(url, options);
    case "ros2": {
      // Loaded only when chosen: rclnodejs needs a sourced ROS 2 environment (it says which).
      const { openRos2Bus } = await import("./ros2/open.ts");
      return openRos2Bus();
    }
  }
}
