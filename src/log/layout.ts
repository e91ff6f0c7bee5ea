// How an omniloop log lays out in MCAP — the names readers and writers agree on.
// ROS 2 messages: schema encoding `ros2msg` (rosbag2's concatenated .msg text), message encoding
// `cdr`, profile `ros2`: a log is a rosbag2 file. Omnitokens: message encoding `msgpack`, schema
// encoding `omniloop-card` with the model card's JSON as schema data (a custom encoding, which
// Foxglove lists and leaves undecoded rather than misreading).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const PROFILE = "ros2";
export const ROS2MSG = "ros2msg";
export const CDR = "cdr";
export const MSGPACK = "msgpack";
export const OMNITOKEN_TYPE = "omniloop/msg/Omnitoken";
export const CARD_SCHEMA_ENCODING = "omniloop-card";

/** Metadata record names. `omniloop`: software version, start time, configuration (JSON);
 * `omniloop.card`: the model card (JSON); `omniloop.topic_map`: the map an import used (JSON). */
export const META_OMNILOOP = "omniloop";
export const META_CARD = "omniloop.card";
export const META_TOPIC_MAP = "omniloop.topic_map";

const here = dirname(fileURLToPath(import.meta.url));

/** omniloop's version, from package.json (written into every log). */
export const SOFTWARE_VERSION: string = (
  JSON.parse(readFileSync(join(here, "../../package.json"), "utf8")) as { version: string }
).version;

export const LIBRARY = `omniloop ${SOFTWARE_VERSION}`;

/** The card import and dataset export use when none is given: the shipped model's, else the
 * simulator's schema (the shipped model is trained on it). */
export function defaultCardPath(): string {
  const shipped = join(here, "../../models/reference/card.json");
  return existsSync(shipped) ? shipped : join(here, "../../sim/card.json");
}

export const NS_PER_S = 1_000_000_000n;

export function nsToSeconds(ns: bigint): number {
  return Number(ns) / 1e9;
}

export function secondsToNs(s: number): bigint {
  return BigInt(Math.round(s * 1e9));
}

/** A ROS time (sec, nanosec) as nanoseconds. */
export function stampToNs(stamp: { sec: number; nanosec: number }): bigint {
  return BigInt(stamp.sec) * NS_PER_S + BigInt(stamp.nanosec);
}

export function nsToStamp(ns: bigint): { sec: number; nanosec: number } {
  return { sec: Number(ns / NS_PER_S), nanosec: Number(ns % NS_PER_S) };
}
