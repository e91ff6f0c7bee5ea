// One entry point from a URL to a bus, so configuration picks the transport and the loop never
// knows which one it runs on.
import { BusUrlError } from "./errors.ts";
import { MemoryBus } from "./memory.ts";
import type { Bus } from "./types.ts";
import { KNOWN_SCHEMES, parseBusUrl } from "./url.ts";
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
    case "ros2":
      // The seam for the ROS 2 transport (rclnodejs, src/bus/ros2/): a later issue.
      throw new BusUrlError(
        `bus URL "${url}": the ROS 2 transport is not built yet (src/bus/ros2/ is a later issue); ` +
          `use ${KNOWN_SCHEMES.filter((s) => !s.startsWith("ros2")).join(" or ")}`,
      );
  }
}
