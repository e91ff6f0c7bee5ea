// V8's young generation for processes that run the real-time loop. Measured in the realtime bench
// (docs/PERFORMANCE.md): a model step hands back its KV cache as new ArrayBuffers (~0.4 MB a tick,
// onnxruntime-node copies every output), and only a collection frees them. A scavenge frees them
// cheaply, but V8 grows the young generation to 16 MB semi-spaces during start-up, so with the
// loop's small JS allocation scavenges became rare, the buffers piled up as external memory and
// V8 ran full mark-compacts instead: ~130 a minute, pauses up to 60–135 ms. Kept at its start-up
// size (a few MB), the young generation fills every ~20 ticks and each scavenge frees the buffers
// with it: no mark-compact in a 60 s run, pauses of about a millisecond.
import v8 from "node:v8";

/** The subcommands that run the loop against a wall clock (bench: its realtime and soak runs). */
const REALTIME_COMMANDS: ReadonlySet<string> = new Set(["run", "bench"]);

/** Stops the young generation from growing past its start-up size. Must run before the process
 * loads much: the growth it prevents happens while modules load. */
export function keepYoungGenerationSmall(): void {
  // The flag is read at each growth decision, so setting it at run time takes effect (unlike
  // --max-semi-space-size, which V8 reads once, when the heap is created).
  v8.setFlagsFromString("--semi-space-growth-factor=1");
}

/** Whether `argv` (process.argv) runs a subcommand that gets the small young generation. */
export function runsRealtime(argv: readonly string[]): boolean {
  const sub = argv.slice(2).find((a) => !a.startsWith("-"));
  return sub !== undefined && REALTIME_COMMANDS.has(sub);
}
