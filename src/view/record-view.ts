// The derived view channels written into a log beside the raw topics, so a log opens in Foxglove
// with the same layout as the live view: predicted image and joints, named surprise, holds, the
// log panel's entries, detections drawn on the camera image, step timing — plus the camera model
// as metadata, which the report uses to draw detections. The raw topics are the recorder's job.
import type { Subscription } from "rxjs";
import type { Bus } from "../bus/types.ts";
import { monotonicWallClock, type ChannelSpec, type Recorder } from "../log/recorder.ts";
import { CAMERA_METADATA, cameraMetadata } from "./camera-model.ts";
import { ViewEncoder, type ViewChannel, type ViewEncoderOptions } from "./view-encoder.ts";

export interface RecordViewOptions extends ViewEncoderOptions {
  /** Log time of each frame (default the wall clock): pass the recorder's own clock when it has
   * one (a lockstep run logged in simulated time). */
  now?: () => bigint;
}

export interface ViewRecording {
  /** Frames written per derived channel. */
  counts(): Record<string, number>;
  errors(): string[];
  stop(): void;
}

const utf8 = new TextEncoder();

export function recordView(bus: Bus, recorder: Recorder, o: RecordViewOptions = {}): ViewRecording {
  const encoder = new ViewEncoder(o);
  const now = o.now ?? monotonicWallClock();
  if (o.camera) recorder.metadata(CAMERA_METADATA, cameraMetadata(o.camera, o.topics?.find((t) => t.type === "sensor_msgs/msg/Image")?.name));
  const specs = new Map<ViewChannel, ChannelSpec>();
  const specOf = (ch: ViewChannel): ChannelSpec => {
    let s = specs.get(ch);
    if (!s) {
      s = { topic: ch.topic, schemaName: ch.schemaName, schemaEncoding: ch.schemaEncoding, schemaData: utf8.encode(ch.schema), messageEncoding: ch.encoding };
      specs.set(ch, s);
    }
    return s;
  };
  const derived = (ch: ViewChannel) => ch.topic !== ch.source;
  const counts: Record<string, number> = {};
  const errors: string[] = [];
  const subs: Subscription[] = encoder.sources.map((t) =>
    bus.subscribe(t).subscribe((message) => {
      const at = now();
      try {
        for (const f of encoder.encode(t.name, message, at, derived)) {
          recorder.writeEncoded(specOf(f.channel), f.data, at, at);
          counts[f.channel.topic] = (counts[f.channel.topic] ?? 0) + 1;
        }
      } catch (err) {
        if (errors.length < 20) errors.push(`${t.name}: ${(err as Error).message}`);
      }
    }),
  );
  return {
    counts: () => ({ ...counts }),
    errors: () => [...errors],
    stop: () => subs.forEach((s) => s.unsubscribe()),
  };
}
