// Execution providers (DESIGN §1: "ONNX Runtime: cuda/webgpu/cpu"). onnxruntime-node 1.30 on
// Linux x64 bundles cpu and webgpu; cuda and tensorrt load only where their libraries are installed
// (a robot's image). Choosing one never crashes the loop: a provider that fails to start falls back
// to the next, with a log line saying what failed.
import ort from "onnxruntime-node";

// onnxruntime's own logger would print each failed provider probe as a screen of red text; our log
// lines say the same in one line, and errors while running are thrown as exceptions anyway.
ort.env.logLevel = "fatal";

export type ProviderName = "cpu" | "webgpu" | "cuda" | "tensorrt";
export type ProviderChoice = ProviderName | "auto";

export const PROVIDER_CHOICES: readonly ProviderChoice[] = ["auto", "cpu", "webgpu", "cuda", "tensorrt"];

export function parseProvider(value: string): ProviderChoice {
  if ((PROVIDER_CHOICES as readonly string[]).includes(value)) return value as ProviderChoice;
  throw new RangeError(`execution provider "${value}": expected one of ${PROVIDER_CHOICES.join(", ")}`);
}

/** Providers this onnxruntime-node build knows, with whether their libraries ship in the package. */
export function knownProviders(): { name: ProviderName; bundled: boolean }[] {
  return ort
    .listSupportedBackends()
    .filter((b): b is { name: ProviderName; bundled: boolean } => ["cpu", "webgpu", "cuda", "tensorrt"].includes(b.name));
}

/** The order `auto` tries: fastest first where present, cpu always last so something runs. */
export function autoCandidates(): ProviderName[] {
  const names = knownProviders().map((b) => b.name);
  const order: ProviderName[] = ["tensorrt", "cuda", "webgpu"];
  return [...order.filter((n) => names.includes(n)), "cpu"];
}

export interface OpenedSession {
  session: ort.InferenceSession;
  provider: ProviderName;
}

export type Log = (line: string) => void;

/** Session options per provider. Graph optimisation on; nodes a GPU provider cannot run are placed
 * on the CPU by onnxruntime itself. */
function sessionOptions(
  provider: ProviderName,
  gpuOutputs: readonly string[],
  more: ort.InferenceSession.SessionOptions = {},
): ort.InferenceSession.SessionOptions {
  // onnxruntime-node binds device outputs as WebGPU buffers only; CUDA/TensorRT outputs come to the host.
  const onGpu = provider === "webgpu" ? "gpu-buffer" : undefined;
  return {
    executionProviders: [provider],
    graphOptimizationLevel: "all",
    // A provider that fails is reported by our own log line (and errors while running are thrown);
    // onnxruntime's own console spew for the same failure would only bury it.
    logSeverityLevel: 4,
    // Outputs fed straight back (the KV cache) stay on the device between steps.
    ...(onGpu && gpuOutputs.length
      ? { preferredOutputLocation: Object.fromEntries(gpuOutputs.map((n) => [n, onGpu] as const)) }
      : {}),
    ...more,
  };
}

/** Open `modelPath` on `provider`; on failure try `fallbacks` in order, logging each failure. */
export async function openSession(
  modelPath: string,
  provider: ProviderName,
  options: {
    fallbacks?: ProviderName[];
    log?: Log;
    gpuOutputs?: readonly string[];
    /** More session options (e.g. profiling, or provider settings as config entries in their
     * `extra`, for a benchmark); they override ours. */
    sessionOptions?: ort.InferenceSession.SessionOptions;
  } = {},
): Promise<OpenedSession> {
  const log = options.log ?? (() => {});
  const chain = [provider, ...(options.fallbacks ?? (provider === "cpu" ? [] : ["cpu" as const]))];
  const failures: string[] = [];
  for (const p of chain) {
    try {
      const session = await ort.InferenceSession.create(modelPath, sessionOptions(p, options.gpuOutputs ?? [], options.sessionOptions));
      if (failures.length) log(`execution provider: using ${p} after ${failures.join("; ")}`);
      return { session, provider: p };
    } catch (err) {
      const why = err instanceof Error ? err.message.split("\n")[0]! : String(err);
      failures.push(`${p} failed to start (${why})`);
      log(`execution provider ${p} failed to start: ${why}`);
    }
  }
  throw new Error(`${modelPath}: no execution provider could start: ${failures.join("; ")}`);
}
