// The report's data: what the page plots, as plain JSON. Times are seconds from the episode's
// start (log time); series are [times, values] with values null where a sample has no value.
import type { LatencySummary } from "./latency.ts";

export interface Series {
  t: number[];
  v: (number | null)[];
}

export interface JointSeries {
  name: string;
  commanded: Series;
  predicted: Series;
  measured: Series;
}

export interface HoldEvent {
  t: number;
  tick: number | null;
  reasons: string[];
}

/** A detection drawn on a frame: an image rectangle (camera model) or a table point (top-down). */
export type FrameMark =
  | { kind: "box"; u0: number; v0: number; u1: number; v1: number; label: string; color: [number, number, number] }
  | { kind: "point"; x: number; y: number; label: string; color: [number, number, number] };

export interface Frame {
  t: number;
  /** data:image/png;base64,… of the camera image; absent for a top-down-only view. */
  png?: string;
  width: number;
  height: number;
  /** "camera": boxes in image pixels; "topdown": points in the table frame (metres). */
  view: "camera" | "topdown";
  marks: FrameMark[];
}

export interface EpisodeReport {
  id: string;
  source: string;
  index: number;
  model: string;
  task: string;
  seed: number | null;
  command: string;
  outcome: string;
  reason: string | null;
  duration_s: number;
  joints: JointSeries[];
  surprise: { columns: string[]; t: number[]; v: (number | null)[][] };
  holds: HoldEvent[];
  holdReasons: string[];
  /** Policy step wall times (ms) and how they were measured. */
  stepMs: number[];
  latency: LatencySummary | null;
  stepSource: string;
  frames: Frame[];
  said: { t: number; text: string }[];
  /** Messages the report could not read, by topic, with the reason. */
  unreadable: { topic: string; count: number; reason: string }[];
}

export interface RateRow {
  model: string;
  task: string;
  successes: number;
  episodes: number;
  rate: number;
  /** Wilson 95% interval. */
  low: number;
  high: number;
}

export interface RunReport {
  title: string;
  created: string;
  sources: string[];
  episodes: EpisodeReport[];
  rates: RateRow[];
}
