// Garbage collection over a timed run, from V8's GC profiler: collections of each kind with their
// pauses, and the bytes the JS heap allocated. The allocation is the figure that does not depend
// on the machine's load: a scavenge comes each time the young generation fills (~16 MB), however
// fast the CPU is, so bytes per tick say how often the loop will be paused.
import v8 from "node:v8";

export interface GcKindStats {
  count: number;
  /** Sum and longest of the collections' pauses (ms). */
  totalMs: number;
  maxMs: number;
}

export interface GcSummary {
  /** By V8's name for the kind: "Scavenge" (young generation), "MarkSweepCompact" (full), … */
  kinds: Record<string, GcKindStats>;
  /** Pauses over the threshold given to stop(), longest first. */
  long: { kind: string; ms: number }[];
  /** Bytes allocated on the JS heap during the run. ArrayBuffer contents (Buffers, typed arrays
   * over 64 bytes) live outside it and are not counted; their wrapper objects are. */
  allocatedBytes: number;
  /** Memory held outside the JS heap (ArrayBuffers, native wrappers) at the end, bytes. */
  externalBytes: number;
}

/** Starts watching; stop() ends it and sums up. One watch per run: V8 allows one profiler each. */
export function watchGc(): { stop(longMs?: number): GcSummary } {
  const profiler = new v8.GCProfiler();
  const startUsed = v8.getHeapStatistics().used_heap_size;
  profiler.start();
  return {
    stop(longMs = 5) {
      const stats = profiler.stop().statistics;
      const end = v8.getHeapStatistics();
      const kinds: Record<string, GcKindStats> = {};
      const long: GcSummary["long"] = [];
      // What the heap held before each collection, less what the previous one left: allocated since.
      let allocated = 0;
      let previous = startUsed;
      for (const s of stats) {
        const ms = s.cost / 1000; // µs
        const k = (kinds[s.gcType] ??= { count: 0, totalMs: 0, maxMs: 0 });
        k.count += 1;
        k.totalMs += ms;
        k.maxMs = Math.max(k.maxMs, ms);
        if (ms > longMs) long.push({ kind: s.gcType, ms });
        allocated += Math.max(0, s.beforeGC.heapStatistics.usedHeapSize - previous);
        previous = s.afterGC.heapStatistics.usedHeapSize;
      }
      allocated += Math.max(0, end.used_heap_size - previous);
      long.sort((a, b) => b.ms - a.ms);
      return { kinds, long, allocatedBytes: allocated, externalBytes: end.external_memory };
    },
  };
}

/** "Scavenge 41 (total 52 ms, longest 8.1 ms), MarkSweepCompact 1 (…)"; "none" when nothing ran. */
export function describeGcKinds(s: GcSummary): string {
  const parts = Object.entries(s.kinds)
    .sort((a, b) => b[1].totalMs - a[1].totalMs)
    .map(([kind, k]) => `${kind} ${k.count} (total ${k.totalMs.toFixed(0)} ms, longest ${k.maxMs.toFixed(1)} ms)`);
  return parts.length ? parts.join(", ") : "none";
}
