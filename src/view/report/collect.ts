// Logs → the report's episodes, in one pass per log. Episodes come from `/omniloop/episode` events
// (a log without them is one episode); per episode: commanded, predicted and measured joints,
// surprise per column, holds, the policy's step times, what the model said, and a strip of camera
// frames with the detections of that moment. Messages that cannot be read are counted with why.
import { decoderFor, cardOf, type Decoder } from "../../log/decode.ts";
import { META_CARD } from "../../log/layout.ts";
import { openLog, type LogMessage } from "../../log/reader.ts";
import { surprise } from "../../loop/surprise.ts";
import { validateCard, columnOf } from "../../omnitoken/card.ts";
import type { ModelCard } from "../../omnitoken/card-types.ts";
import type { Omnitoken } from "../../omnitoken/types.ts";
import type { Detection3DArray, Float64MultiArray, Image, JointState, JointTrajectory, StringMsg } from "../../messages/types.ts";
import { cameraFromMetadata } from "../camera-model.ts";
import { actionJoints } from "../token-views.ts";
import { VIEW } from "../view-topics.ts";
import { makeFrame } from "./frames.ts";
import { latencySummary } from "./latency.ts";
import type { EpisodeReport, Frame, HoldEvent, Series } from "./types.ts";

export interface CollectOptions {
  /** Camera frames per episode in the strip (default 8). */
  frames?: number;
  /** Most points per plotted series; longer ones are thinned evenly (default 4000). */
  maxPoints?: number;
  /** Topic names, when the log's differ from docs/CONVENTIONS.md. */
  topics?: Partial<typeof TOPICS>;
}

export const TOPICS = {
  episode: "/omniloop/episode",
  image: "/camera/image_raw",
  detections: "/detections",
  joints: "/joint_states",
  forward: "/forward_position_controller/commands",
  trajectory: "/arm_controller/joint_trajectory",
  surprise: "/omniloop/surprise",
  holds: "/omniloop/holds",
  said: "/omniloop/said",
  observation: "/omniloop/observation",
  prediction: "/omniloop/prediction",
  task: "/omniloop/task",
  step: VIEW.step,
};

interface Event {
  event?: string;
  seed?: number;
  task?: string;
  command?: string;
  outcome?: string;
  reason?: string;
  duration_s?: number;
}

/** One episode being read: raw samples with log times, turned into an EpisodeReport at its end. */
class Episode {
  readonly start: bigint;
  end: bigint;
  ev: Event;
  final: Event = {};
  joints: string[] = [];
  readonly commanded = new Map<string, Series>();
  readonly predicted = new Map<string, Series>();
  readonly measured = new Map<string, Series>();
  readonly surprise: { t: number[]; v: (number | null)[][] } = { t: [], v: [] };
  surpriseColumns: string[] = [];
  /** The loop's own `/omniloop/surprise` wins over surprise derived from the tokens. */
  surpriseFrom: "tokens" | "topic" | null = null;
  readonly holds: HoldEvent[] = [];
  readonly stepMs: number[] = [];
  readonly stepFromTimes: number[] = [];
  readonly said: { t: number; text: string }[] = [];
  /** Every camera frame's log time (images are decoded only for the frames picked). */
  readonly imageTimes: { t: number; m: LogMessage }[] = [];
  readonly detections: { t: number; m: LogMessage }[] = [];
  lastObservationNs: bigint | null = null;
  lastPrediction: Omnitoken | null = null;
  taskText = "";

  constructor(start: bigint, ev: Event) {
    this.start = start;
    this.end = start;
    this.ev = ev;
  }

  t(ns: bigint): number {
    return Number(ns - this.start) / 1e9;
  }

  push(map: Map<string, Series>, name: string, t: number, v: number): void {
    let s = map.get(name);
    if (!s) map.set(name, (s = { t: [], v: [] }));
    s.t.push(t);
    s.v.push(Number.isFinite(v) ? v : null);
    if (!this.joints.includes(name)) this.joints.push(name);
  }
}

/** Reads one log's episodes. */
export async function collectLog(path: string, o: CollectOptions = {}): Promise<EpisodeReport[]> {
  const T = { ...TOPICS, ...o.topics };
  const log = await openLog(path);
  const metadata = await log.metadata();
  const camera = cameraFromMetadata(metadata, path);
  let card: ModelCard | undefined = metadata[META_CARD]?.json ? validateCard(JSON.parse(metadata[META_CARD].json), `${path}: metadata ${META_CARD}`) : undefined;
  const decoders = new Map<number, Decoder>();
  const unreadable = new Map<string, { topic: string; count: number; reason: string }>();
  const decode = <T>(m: LogMessage): T | undefined => {
    let d = decoders.get(m.channel.id);
    if (!d) {
      d = decoderFor(m.channel);
      decoders.set(m.channel.id, d);
      if (!card && m.channel.type === "omniloop/msg/Omnitoken") card = cardOf(m.channel);
    }
    const fail = (reason: string) => {
      const u = unreadable.get(m.channel.topic) ?? { topic: m.channel.topic, count: 0, reason };
      u.count += 1;
      unreadable.set(m.channel.topic, u);
      return undefined;
    };
    if (!d.ok) return fail(d.reason);
    try {
      return d.decode(m.data) as T;
    } catch (err) {
      return fail((err as Error).message);
    }
  };

  const done: Episode[] = [];
  // After an end event the loop may still finish its tick: those messages belong to the episode
  // that ended (its duration stays the judged one), not to a new one.
  let ep: Episode | undefined;
  let ended = false;
  const interesting = new Set(Object.values(T));
  for await (const m of log.messages()) {
    const topic = m.channel.topic;
    if (!interesting.has(topic)) continue;
    if (topic === T.episode) {
      const ev = parseEvent(decode<StringMsg>(m)?.data);
      if (ev?.event === "start") {
        if (ep) done.push(ep);
        ep = new Episode(m.logTime, ev);
        ended = false;
      } else if (ev?.event === "end") {
        ep ??= new Episode(m.logTime, ev);
        ep.final = ev;
        ep.end = m.logTime;
        ended = true;
      }
      continue;
    }
    ep ??= new Episode(m.logTime, {});
    if (!ended) ep.end = m.logTime;
    take(ep, topic, ep.t(m.logTime), m);
  }
  if (ep) done.push(ep);

  function take(e: Episode, topic: string, t: number, m: LogMessage): void {
    switch (topic) {
      case T.joints: {
        const js = decode<JointState>(m);
        js?.name.forEach((n, i) => e.push(e.measured, n, t, js.position[i] ?? NaN));
        return;
      }
      case T.forward: {
        const cmd = decode<Float64MultiArray>(m);
        const names = card ? columnOf(card, "action")?.action.joints.map((j) => j.name) : undefined;
        cmd?.data.forEach((v, i) => e.push(e.commanded, names?.[i] ?? `joint ${i}`, t, v));
        return;
      }
      case T.trajectory: {
        const traj = decode<JointTrajectory>(m);
        const p = traj?.points[0];
        traj?.joint_names.forEach((n, i) => e.push(e.commanded, n, t, p?.positions[i] ?? NaN));
        return;
      }
      case T.prediction: {
        const token = decode<Omnitoken>(m);
        if (!token) return;
        const js = card ? actionJoints(token, card) : null;
        js?.name.forEach((n, i) => e.push(e.predicted, n, t, js.position[i] ?? NaN));
        if (e.lastObservationNs !== null) e.stepFromTimes.push(Number(m.logTime - e.lastObservationNs) / 1e6);
        e.lastObservationNs = null;
        e.lastPrediction = token;
        return;
      }
      case T.observation: {
        const token = decode<Omnitoken>(m);
        if (!token || !card) return;
        e.lastObservationNs = m.logTime;
        // The loop's own surprise is preferred when the log has it; this is the same function on
        // the same tokens, for logs recorded without that topic.
        if (e.surpriseFrom !== "topic") {
          const columns = card.columns.filter((c) => c.kind !== "text").map((c) => c.name);
          const s = surprise(e.lastPrediction, token, columns);
          e.surpriseColumns = columns;
          e.surpriseFrom = "tokens";
          e.surprise.t.push(t);
          e.surprise.v.push(Array.from(s, (x) => (Number.isFinite(x) ? x : null)));
        }
        return;
      }
      case T.surprise: {
        const s = decode<Float64MultiArray>(m);
        if (!s) return;
        if (e.surpriseFrom !== "topic") {
          // First sample from the loop's topic: drop what was derived from tokens.
          e.surprise.t.length = 0;
          e.surprise.v.length = 0;
          e.surpriseFrom = "topic";
        }
        const labels = (s.layout.dim[0]?.label ?? "").split(",");
        e.surpriseColumns = Array.from(s.data, (_, i) => labels[i] || `column ${i}`);
        e.surprise.t.push(t);
        e.surprise.v.push(Array.from(s.data, (x) => (Number.isFinite(x) ? x : null)));
        return;
      }
      case T.holds: {
        const text = decode<StringMsg>(m)?.data;
        if (text === undefined) return;
        let h: { tick?: number; reasons?: unknown } = {};
        try {
          h = JSON.parse(text) as typeof h;
        } catch {
          h = { reasons: ["unreadable"] };
        }
        e.holds.push({ t, tick: typeof h.tick === "number" ? h.tick : null, reasons: Array.isArray(h.reasons) ? h.reasons.map(String) : [] });
        return;
      }
      case T.step: {
        const text = new TextDecoder().decode(m.data);
        try {
          const v = (JSON.parse(text) as { step_ms?: unknown }).step_ms;
          if (typeof v === "number") e.stepMs.push(v);
        } catch {
          unreadable.set(topic, { topic, count: (unreadable.get(topic)?.count ?? 0) + 1, reason: "not JSON" });
        }
        return;
      }
      case T.said: {
        const text = decode<StringMsg>(m)?.data;
        if (text !== undefined) e.said.push({ t, text });
        return;
      }
      case T.task: {
        e.taskText = decode<StringMsg>(m)?.data ?? e.taskText;
        return;
      }
      case T.image:
        e.imageTimes.push({ t, m });
        return;
      case T.detections:
        e.detections.push({ t, m });
        return;
    }
  }

  return done.map((e, index) => finish(e, index));

  function finish(e: Episode, index: number): EpisodeReport {
    const maxPoints = o.maxPoints ?? 4000;
    const names = card ? (columnOf(card, "action")?.action.joints.map((j) => j.name) ?? e.joints) : e.joints;
    const all = [...names, ...e.joints.filter((n) => !names.includes(n))];
    const empty: Series = { t: [], v: [] };
    const joints = all.map((name) => ({
      name,
      commanded: thin(e.commanded.get(name) ?? empty, maxPoints),
      predicted: thin(e.predicted.get(name) ?? empty, maxPoints),
      measured: thin(e.measured.get(name) ?? empty, maxPoints),
    }));
    const fromTopic = e.stepMs.length > 0;
    const stepMs = fromTopic ? e.stepMs : e.stepFromTimes.some((x) => x > 0) ? e.stepFromTimes : [];
    const ev = { ...e.ev, ...e.final };
    return {
      id: `e${index}`,
      source: path,
      index,
      model: card?.name ?? "unknown model",
      task: ev.task ?? "unknown",
      seed: typeof ev.seed === "number" ? ev.seed : null,
      command: ev.command ?? e.taskText,
      outcome: ev.outcome ?? (e.final.event === "end" ? "ended" : "unfinished"),
      reason: ev.reason ?? null,
      duration_s: typeof ev.duration_s === "number" ? ev.duration_s : e.t(e.end),
      joints: joints.filter((j) => j.commanded.t.length + j.predicted.t.length + j.measured.t.length > 0),
      surprise: { columns: e.surpriseColumns, t: e.surprise.t, v: e.surprise.v },
      holds: e.holds,
      holdReasons: [...new Set(e.holds.flatMap((h) => h.reasons))].sort(),
      stepMs,
      latency: latencySummary(stepMs),
      stepSource: fromTopic
        ? `measured by the loop's host (${VIEW.step})`
        : stepMs.length > 0
          ? "log time from each observation to its prediction"
          : "not in this log (no step timing, and log times do not separate observation and prediction)",
      frames: pickFrames(e, o.frames ?? 8),
      said: e.said,
      unreadable: [...unreadable.values()],
    };
  }

  function pickFrames(e: Episode, n: number): Frame[] {
    const images = e.imageTimes;
    const out: Frame[] = [];
    const picks = images.length <= n ? images.map((_, i) => i) : Array.from({ length: n }, (_, i) => Math.round((i * (images.length - 1)) / (n - 1)));
    for (const i of picks) {
      const { t, m } = images[i]!;
      const im = decode<Image>(m);
      if (!im) continue;
      let det: { t: number; m: LogMessage } | undefined;
      for (const d of e.detections) if (d.t <= t) det = d;
      out.push(makeFrame(t, im, det ? decode<Detection3DArray>(det.m) : undefined, camera, `${path}: ${T.image} at ${t.toFixed(2)} s`));
    }
    if (out.length === 0 && e.detections.length > 0) {
      const last = e.detections[e.detections.length - 1]!;
      out.push(makeFrame(last.t, undefined, decode<Detection3DArray>(last.m), undefined, path));
    }
    return out;
  }
}

function parseEvent(text: string | undefined): Event | undefined {
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === "object" && v !== null ? (v as Event) : undefined;
  } catch {
    return undefined;
  }
}

/** Every k-th sample so a series has at most `max` points (the last one kept). */
function thin(s: Series, max: number): Series {
  if (s.t.length <= max) return s;
  const k = Math.ceil(s.t.length / max);
  const out: Series = { t: [], v: [] };
  for (let i = 0; i < s.t.length; i += k) {
    out.t.push(s.t[i]!);
    out.v.push(s.v[i]!);
  }
  if (out.t[out.t.length - 1] !== s.t[s.t.length - 1]) {
    out.t.push(s.t[s.t.length - 1]!);
    out.v.push(s.v[s.v.length - 1]!);
  }
  return out;
}
