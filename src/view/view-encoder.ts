// Bus messages → viewer channels. Every ROS 2 topic is passed through as CDR with its ros2msg
// schema (what a log holds, so the same layout reads both); omnitokens, surprise, holds, the
// model's words and detections become the derived `/omniloop/view/...` channels. One encoder keeps
// the little state derivation needs (the last prediction for surprise, the observation's time for
// the step latency); the live server and the log writer both drive it.
import type { BusTypeName, Topic } from "../bus/types.ts";
import { cdrCodecFor } from "../log/cdr.ts";
import { fullDefinition } from "../messages/definitions.ts";
import type { Detection3DArray, StringMsg } from "../messages/types.ts";
import { columnOf } from "../omnitoken/card.ts";
import type { ModelCard } from "../omnitoken/card-types.ts";
import type { Omnitoken } from "../omnitoken/types.ts";
import { HOLD_REASONS } from "../loop/safety.ts";
import { surprise } from "../loop/surprise.ts";
import { classColor, projectBox, projectPoint, type PinholeModel } from "./camera-model.ts";
import { holdsSchema, IMAGE_ANNOTATIONS_SCHEMA, LOG_SCHEMA, STEP_SCHEMA, surpriseSchema } from "./json-schemas.ts";
import { actionJoints, objectRows, pixelsImage, type ObjectRow } from "./token-views.ts";
import { SOURCE_TOPICS, VIEW } from "./view-topics.ts";

export interface ViewChannel {
  topic: string;
  encoding: "cdr" | "json";
  schemaName: string;
  schemaEncoding: "ros2msg" | "jsonschema";
  schema: string;
  /** The bus topic it is made from. */
  source: string;
}

export interface ViewFrame {
  channel: ViewChannel;
  data: Uint8Array;
}

export interface ViewEncoderOptions {
  /** Bus topics to serve (default SOURCE_TOPICS). Omnitoken topics only feed derived channels. */
  topics?: readonly Topic[];
  /** The model's card: needed for every omnitoken-derived channel. */
  card?: ModelCard;
  /** The camera's model: detections and predicted objects drawn on the image. */
  camera?: PinholeModel;
  /** Names of the loop's topics when remapped. */
  names?: Partial<Record<"observation" | "prediction" | "holds" | "said" | "episode" | "detections", string>>;
}

const utf8 = new TextEncoder();
const json = (v: unknown) => utf8.encode(JSON.stringify(v));
const rgba = (c: [number, number, number], a = 1) => ({ r: c[0] / 255, g: c[1] / 255, b: c[2] / 255, a });

function rosChannel(topic: string, type: string, source = topic): ViewChannel {
  return { topic, encoding: "cdr", schemaName: type, schemaEncoding: "ros2msg", schema: fullDefinition(type), source };
}

function jsonChannel(topic: string, schema: { title: string }, source: string): ViewChannel {
  return { topic, encoding: "json", schemaName: schema.title, schemaEncoding: "jsonschema", schema: JSON.stringify(schema), source };
}

function timeOf(ns: bigint): { sec: number; nsec: number } {
  return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
}

type Wanted = (channel: ViewChannel) => boolean;
type Producer = (message: unknown, nowNs: bigint, wanted: Wanted) => ViewFrame[];

export class ViewEncoder {
  readonly channels: ViewChannel[] = [];
  /** The bus topics to subscribe to. */
  readonly sources: Topic[] = [];
  private readonly producers = new Map<string, Producer>();
  private readonly card: ModelCard | undefined;
  private readonly camera: PinholeModel | undefined;
  private readonly columns: string[];
  private lastPrediction: Omnitoken | null = null;
  private predictedObjects: ObjectRow[] = [];
  private observedAt: number | null = null;
  private tick = -1;
  private tickTimes: number[] = [];

  constructor(o: ViewEncoderOptions = {}) {
    this.card = o.card;
    this.camera = o.camera;
    this.columns = o.card ? o.card.columns.filter((c) => c.kind !== "text").map((c) => c.name) : [];
    const name = (k: keyof NonNullable<ViewEncoderOptions["names"]>, d: string) => o.names?.[k] ?? d;
    const observation = name("observation", "/omniloop/observation");
    const prediction = name("prediction", "/omniloop/prediction");
    for (const t of o.topics ?? SOURCE_TOPICS) {
      if (t.type === "omniloop/msg/Omnitoken") continue;
      this.add(t, [rosChannel(t.name, t.type)], (ch) => (m, _now, wanted) => (wanted(ch[0]!) ? [{ channel: ch[0]!, data: cdrCodecFor(t.type).encode(m) }] : []));
    }
    const log = jsonChannel(VIEW.log, LOG_SCHEMA, "*");
    this.channels.push(log);
    this.derive(name("episode", "/omniloop/episode"), "std_msgs/msg/String", [], () => (m, now, wanted) => {
      const text = (m as StringMsg).data;
      if (text.includes('"start"')) this.tick = -1;
      return wanted(log) ? [{ channel: log, data: json(this.logEntry(now, 2, `episode ${text}`, "episode")) }] : [];
    });
    this.derive(name("said", "/omniloop/said"), "std_msgs/msg/String", [], () => (m, now, wanted) =>
      wanted(log) ? [{ channel: log, data: json(this.logEntry(now, 2, `model said: ${(m as StringMsg).data}`, "model")) }] : [],
    );
    this.derive(name("holds", "/omniloop/holds"), "std_msgs/msg/String", [jsonChannel(VIEW.holds, holdsSchema(HOLD_REASONS) as { title: string }, name("holds", "/omniloop/holds"))], ([holds]) => (m, now, wanted) => {
      const text = (m as StringMsg).data;
      const out: ViewFrame[] = [];
      let parsed: { tick?: number; reasons?: string[] } = {};
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        parsed = { reasons: [`unreadable: ${text.slice(0, 60)}`] };
      }
      const reasons = Array.isArray(parsed.reasons) ? parsed.reasons.map(String) : [];
      if (wanted(holds!)) {
        const flags = Object.fromEntries(HOLD_REASONS.map((r) => [r, reasons.includes(r) ? 1 : 0]));
        out.push({ channel: holds!, data: json({ tick: parsed.tick ?? this.tick, reasons: reasons.join(","), ...flags }) });
      }
      if (wanted(log)) out.push({ channel: log, data: json(this.logEntry(now, 3, `held at tick ${parsed.tick ?? "?"}: ${reasons.join(", ")}`, "safety")) });
      return out;
    });
    if (this.camera) {
      this.derive(name("detections", "/detections"), "vision_msgs/msg/Detection3DArray", [jsonChannel(VIEW.annotations, IMAGE_ANNOTATIONS_SCHEMA, "/detections")], ([ann]) => (m, _now, wanted) =>
        wanted(ann!) ? [{ channel: ann!, data: json(this.annotations(m as Detection3DArray)) }] : [],
      );
    }
    if (!this.card) return;
    const pixels = columnOf(this.card, "pixels");
    const objects = columnOf(this.card, "objects");
    const img = (topic: string, source: string) => rosChannel(topic, "sensor_msgs/msg/Image", source);
    this.derive(observation, "omniloop/msg/Omnitoken", [img(VIEW.observedImage, observation), jsonChannel(VIEW.surprise, surpriseSchema(this.columns) as { title: string }, observation)], ([seen, surp]) => (m, _now, wanted) => {
      const token = m as Omnitoken;
      this.tick += 1;
      this.observedAt = performance.now();
      this.tickTimes.push(this.observedAt);
      while (this.tickTimes.length > 0 && this.observedAt - this.tickTimes[0]! > 1000) this.tickTimes.shift();
      const out: ViewFrame[] = [];
      if (pixels && wanted(seen!)) {
        const im = pixelsImage(token, pixels);
        if (im) out.push({ channel: seen!, data: cdrCodecFor("sensor_msgs/msg/Image").encode(im) });
      }
      const s = surprise(this.lastPrediction, token, this.columns);
      if (wanted(surp!)) out.push({ channel: surp!, data: json({ tick: this.tick, ...Object.fromEntries(this.columns.map((c, i) => [c, Number.isFinite(s[i]) ? s[i] : null])) }) });
      return out;
    });
    const predictedChannels = [img(VIEW.predictedImage, prediction), rosChannel(VIEW.predictedJoints, "sensor_msgs/msg/JointState", prediction), jsonChannel(VIEW.step, STEP_SCHEMA, prediction)];
    this.derive(prediction, "omniloop/msg/Omnitoken", predictedChannels, ([seen, joints, step]) => (m, _now, wanted) => {
      const token = m as Omnitoken;
      this.lastPrediction = token;
      if (objects) this.predictedObjects = objectRows(token, objects);
      const out: ViewFrame[] = [];
      if (pixels && wanted(seen!)) {
        const im = pixelsImage(token, pixels);
        if (im) out.push({ channel: seen!, data: cdrCodecFor("sensor_msgs/msg/Image").encode(im) });
      }
      if (wanted(joints!)) {
        const js = actionJoints(token, this.card!);
        if (js) out.push({ channel: joints!, data: cdrCodecFor("sensor_msgs/msg/JointState").encode(js) });
      }
      if (this.observedAt !== null && wanted(step!)) {
        out.push({ channel: step!, data: json({ tick: this.tick, step_ms: performance.now() - this.observedAt, tick_hz: this.tickTimes.length }) });
      }
      this.observedAt = null;
      return out;
    });
  }

  /** Frames for one bus message; channels nobody wants are not encoded (state still updates). */
  encode(topic: string, message: unknown, nowNs: bigint, wanted: Wanted = () => true): ViewFrame[] {
    const p = this.producers.get(topic);
    return p ? p(message, nowNs, wanted) : [];
  }

  /** Loop timing for diagnostics: ticks over the last second. */
  tickRate(): number {
    return this.tickTimes.length;
  }

  private add(t: Topic, channels: ViewChannel[], make: (channels: ViewChannel[]) => Producer): void {
    this.channels.push(...channels);
    const mine = make(channels);
    const before = this.producers.get(t.name);
    if (!before) this.sources.push(t);
    this.producers.set(t.name, before ? (m, now, w) => [...before(m, now, w), ...mine(m, now, w)] : mine);
  }

  private derive(topicName: string, type: BusTypeName, channels: ViewChannel[], make: (channels: ViewChannel[]) => Producer): void {
    this.add({ name: topicName, type }, channels, make);
  }

  private logEntry(now: bigint, level: number, message: string, name: string) {
    return { timestamp: timeOf(now), level, message, name, file: "", line: 0 };
  }

  /** Detections as solid boxes with their class, the model's predicted objects as thin circles. */
  private annotations(m: Detection3DArray) {
    const cam = this.camera!;
    const ts = { sec: m.header.stamp.sec, nsec: m.header.stamp.nanosec };
    const points = [];
    const texts = [];
    const circles = [];
    for (const d of m.detections) {
      const cls = d.results[0]?.hypothesis.class_id ?? d.id ?? "?";
      const c = classColor(cls);
      const box = projectBox(cam, d.bbox.center.position, d.bbox.center.orientation, d.bbox.size);
      if (!box) continue;
      const [u0, v0, u1, v1] = box;
      points.push({ timestamp: ts, type: 2, points: [{ x: u0, y: v0 }, { x: u1, y: v0 }, { x: u1, y: v1 }, { x: u0, y: v1 }], outline_color: rgba(c), outline_colors: [], fill_color: rgba(c, 0), thickness: 1 });
      texts.push({ timestamp: ts, position: { x: u0, y: Math.max(0, v0 - 2) }, text: cls, font_size: 8, text_color: rgba(c), background_color: rgba([0, 0, 0], 0.5) });
    }
    for (const o of this.predictedObjects) {
      const p = projectPoint(cam, o);
      if (p) circles.push({ timestamp: ts, position: { x: p.u, y: p.v }, diameter: 6, thickness: 1, fill_color: rgba([0, 0, 0], 0), outline_color: rgba(classColor(o.className), 0.8) });
    }
    return { circles, points, texts };
  }
}
