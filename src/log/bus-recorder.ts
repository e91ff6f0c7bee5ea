// Records a running bus: one subscription per topic, each message written as it arrives. The
// write is synchronous inside the subscriber, so the recorder never queues: on the memory bus a
// publisher waits for the write; on a network bus, what the transport could not deliver shows in
// its own dropped/malformed counters, which `stop()` reports beside the recorder's count.
import type { Subscription } from "rxjs";
import type { Bus, Topic, TopicStats } from "../bus/types.ts";
import type { Recorder, RecordingResult } from "./recorder.ts";

export interface BusRecording {
  /** Messages written per topic so far. */
  counts(): Record<string, number>;
  /** The first error a write raised, if any (recording goes on for the other topics). */
  errors(): string[];
  /** Unsubscribes and closes the recorder. */
  stop(): Promise<{ recording: RecordingResult; counts: Record<string, number>; bus: Record<string, TopicStats>; errors: string[] }>;
}

export function recordBus(bus: Bus, topics: readonly Topic[], recorder: Recorder): BusRecording {
  const counts: Record<string, number> = {};
  const errors: string[] = [];
  const subs: Subscription[] = topics.map((t) =>
    bus.subscribe(t).subscribe({
      next: (message) => {
        try {
          recorder.write(t, message);
          counts[t.name] = (counts[t.name] ?? 0) + 1;
        } catch (err) {
          if (errors.length < 20) errors.push(`${t.name}: ${(err as Error).message}`);
        }
      },
    }),
  );
  return {
    counts: () => ({ ...counts }),
    errors: () => [...errors],
    async stop() {
      for (const s of subs) s.unsubscribe();
      return { recording: recorder.close(), counts: { ...counts }, bus: bus.stats(), errors: [...errors] };
    },
  };
}
