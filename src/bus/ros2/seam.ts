// The seam between the ROS 2 transport and rclnodejs: the few calls the transport makes, as a plain
// interface the bus is written against, and its implementation over rclnodejs's own types (the only
// code here that touches rclnodejs; it compiles against node_modules/rclnodejs/types). Tests drive
// the bus through this seam with messages of the exact shapes rclnodejs delivers.
import type * as rcl from "rclnodejs";
import type { Rclnodejs } from "./environment.ts";
import type { QosProfile } from "./qos.ts";

export interface RosPublisher {
  publish(message: object): void;
  destroy(): void;
}

export interface RosSubscription {
  destroy(): void;
}

export interface RosNodeSeam {
  /** The node's fully qualified name, for messages. */
  readonly name: string;
  createPublisher(rosType: string, topic: string, qos: QosProfile): RosPublisher;
  /** `onMessage` gets the message as rclnodejs delivers it (plain object, typed arrays). */
  createSubscription(rosType: string, topic: string, qos: QosProfile, onMessage: (message: unknown) => void): RosSubscription;
}

/** rmw QoS of a profile. rclnodejs's QoS takes the policies as rmw enum values. */
export function toRclQos(rclnodejs: Rclnodejs, p: QosProfile): rcl.QoS {
  const Q = rclnodejs.QoS;
  return new Q(
    p.history === "keep_all" ? Q.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_ALL : Q.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST,
    p.depth,
    p.reliability === "reliable" ? Q.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE : Q.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT,
    p.durability === "transient_local" ? Q.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL : Q.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_VOLATILE,
  );
}

/** The seam over a real rclnodejs node (plain or lifecycle). */
export function rclnodejsSeam(rclnodejs: Rclnodejs, node: rcl.Node): RosNodeSeam {
  return {
    name: `${node.namespace() === "/" ? "" : node.namespace()}/${node.name()}`,
    createPublisher(rosType, topic, qos) {
      const publisher = node.createPublisher(rosType, topic, { qos: toRclQos(rclnodejs, qos) });
      return {
        publish: (message) => publisher.publish(message),
        destroy: () => node.destroyPublisher(publisher),
      };
    },
    createSubscription(rosType, topic, qos, onMessage) {
      // enableTypedArray (rclnodejs's default, spelled out): numeric arrays arrive as typed arrays,
      // the message model's own convention.
      const subscription = node.createSubscription(rosType, topic, { qos: toRclQos(rclnodejs, qos), enableTypedArray: true }, (message: unknown) => onMessage(message));
      return { destroy: () => node.destroySubscription(subscription) };
    },
  };
}
