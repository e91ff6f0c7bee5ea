// builtin_interfaces Time and Duration arithmetic. A Time is {sec: int32, nanosec: [0, 1e9)}, so a
// negative instant (or duration) has a negative `sec` and a positive `nanosec`: -0.25 s is
// {sec: -1, nanosec: 750000000}, as ROS 2's rclcpp builds it.
import type { Duration, Time } from "./types.ts";

const NS_PER_S = 1_000_000_000n;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** Nanoseconds since the epoch (or a duration in ns) → Time. Throws RangeError past int32 seconds. */
export function timeFromNs(ns: bigint): Time {
  let sec = ns / NS_PER_S; // truncates toward zero
  let nanosec = ns % NS_PER_S;
  if (nanosec < 0n) {
    sec -= 1n;
    nanosec += NS_PER_S;
  }
  const s = Number(sec);
  if (s < INT32_MIN || s > INT32_MAX) throw new RangeError(`timeFromNs(${ns}n): ${s} s is outside the int32 range of builtin_interfaces/Time.sec`);
  return { sec: s, nanosec: Number(nanosec) };
}

/** Time → nanoseconds, exact. */
export function timeToNs(t: Time): bigint {
  return BigInt(t.sec) * NS_PER_S + BigInt(t.nanosec);
}

/** Seconds (float) → Time, rounded to the nearest nanosecond. Throws RangeError for NaN/±Inf. */
export function timeFromSeconds(s: number): Time {
  if (!Number.isFinite(s)) throw new RangeError(`timeFromSeconds(${s}): expected a finite number of seconds`);
  let sec = Math.floor(s);
  let nanosec = Math.round((s - sec) * 1e9);
  // Rounding can reach a whole second (0.9999999999 s → 1e9 ns): carry it.
  if (nanosec >= 1e9) {
    sec += 1;
    nanosec -= 1e9;
  }
  if (sec < INT32_MIN || sec > INT32_MAX) throw new RangeError(`timeFromSeconds(${s}): outside the int32 range of builtin_interfaces/Time.sec`);
  return { sec, nanosec };
}

/** Time → seconds as a float (loses sub-microsecond precision for epoch times; use timeToNs for exact). */
export function timeToSeconds(t: Time): number {
  return t.sec + t.nanosec / 1e9;
}

// The wall clock has millisecond resolution; hrtime is monotonic with nanoseconds. Anchor hrtime to
// the wall clock once, so stamps are epoch-based (as ROS 2 stamps are), increase, and resolve ns.
const wallAnchorNs = BigInt(Date.now()) * 1_000_000n;
const hrAnchorNs = process.hrtime.bigint();

/** The current time as a ROS 2 stamp (epoch-based, monotonic within this process). */
export function nowTime(): Time {
  return timeFromNs(wallAnchorNs + (process.hrtime.bigint() - hrAnchorNs));
}

/** Durations share Time's representation. */
export const durationFromSeconds = (s: number): Duration => timeFromSeconds(s);
export const durationToSeconds = (d: Duration): number => timeToSeconds(d);

/** Negative when a is before b, 0 when equal, positive after. */
export function compareTime(a: Time, b: Time): number {
  return a.sec !== b.sec ? a.sec - b.sec : a.nanosec - b.nanosec;
}
