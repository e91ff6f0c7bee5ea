// `omniloop sim`: the built-in simulator. `--expert` runs the scripted expert in lockstep and
// prints each episode and a summary; `--realtime` serves the sim on a bus as a robot would;
// `--snapshot FILE.png` writes a camera frame beside a top-down view of the (last) episode.
// Without --expert, the shipped model (or --model) drives the arm through the closed loop.
import type { Command } from "commander";
import { CliError } from "../errors.ts";
import { progress } from "../progress.ts";

interface SimOptions {
  expert?: boolean;
  episodes?: string;
  seed: string;
  task: string;
  json?: boolean;
  snapshot?: string;
  trace?: string;
  realtime?: boolean;
  bus: string;
  hub?: boolean;
  camera: string | false;
  quiet?: boolean;
  model: string;
  provider: string;
  dropFrames: string;
  async?: string;
  foxglove?: string | true;
  record?: string;
  ignoreDone?: boolean;
  confirmDone?: string;
  linger?: string;
}

function intOption(value: string, name: string, min: number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new CliError(`sim: ${name} expects an integer ≥ ${min}, found "${value}"`);
  return n;
}

function lingerOption(value: string): number {
  const s = Number(value);
  if (!(s >= 0 && s <= 60)) throw new CliError(`sim: --linger expects seconds in [0, 60], found "${value}"`);
  return s;
}

function cameraOption(value: string | false): { enabled: boolean; width?: number; height?: number } {
  if (value === false) return { enabled: false };
  const m = /^(\d+)x(\d+)$/.exec(value);
  if (!m) throw new CliError(`sim: --camera expects WIDTHxHEIGHT (e.g. 128x96), found "${value}"`);
  return { enabled: true, width: Number(m[1]), height: Number(m[2]) };
}

export function register(program: Command): void {
  program
    .command("sim")
    .description("the closed loop in the built-in simulator (the shipped model drives), or the scripted expert, real time on a bus, snapshots")
    .option("--model <card.json>", "the model that drives (its card; the .onnx beside it)", "models/reference/card.json")
    .option("--provider <name>", "execution provider: auto, cpu, webgpu, cuda, tensorrt", "cpu")
    .option("--drop-frames <fraction>", "drop this fraction of camera frames before the loop sees them", "0")
    .option("--async <horizon>", "asynchronous mode: act from rolled-out chunks of this many steps")
    .option("--foxglove [addr]", "serve the live view to Foxglove/Lichtblick at [HOST:]PORT (default 127.0.0.1:8765); episodes then run at wall-clock pace")
    .option("--record <file.mcap>", "log everything the loop sees and decides (sensors, observations, predictions, commands, holds, surprise) to MCAP")
    .option("--ignore-done", "run each episode to the simulator's verdict or the timeout, whatever the model says (scores the motion alone)")
    .option("--confirm-done <ticks>", "listen to the model's words only once it has started speaking on this many control ticks in a row (default: the card's decoding.confirm_done_ticks, else 1)")
    .option("--linger <seconds>", "after a success, keep the loop running this long to see whether (and how soon) the model says it is done; the verdict stays the world's")
    .option("--expert", "the scripted expert drives instead of a model (lockstep, as fast as the CPU allows)")
    .option("--episodes <n>", "episodes to run (default 1; --realtime: until Ctrl-C)")
    .option("--seed <n>", "seed of the first episode (episode i uses seed + i)", "0")
    .option("--task <task>", "reach, push, or all (alternating, reach first)", "all")
    .option("--json", "print the summary as JSON (episode lines go to stderr)")
    .option("--snapshot <file.png>", "write the camera frame and a top-down view of the last episode")
    .option("--trace <file.jsonl>", "with a model driving: each tick's command beside the scripted expert's for the same state, as JSON lines")
    .option("--realtime", "run in real time on a bus, publishing sensors and taking commands")
    .option("--bus <url>", "with --realtime: the bus", "zmq://127.0.0.1:7600")
    .option("--hub", "with --realtime on ZeroMQ: host the bus hub in this process")
    .option("--camera <WxH>", "camera image size", "128x96")
    .option("--no-camera", "no camera images (faster lockstep)")
    .option("--quiet", "no progress lines")
    .action(async (opts: SimOptions) => {
      const { isTask } = await import("../../../sim/episode.ts");
      if (opts.task !== "all" && !isTask(opts.task)) throw new CliError(`sim: --task expects reach, push or all, found "${opts.task}"`);
      const task = opts.task as "reach" | "push" | "all";
      const seed = intOption(opts.seed, "--seed", 0);
      const camera = cameraOption(opts.camera);
      // The trace compares a model's commands with the expert's: there must be a model driving in lockstep.
      if (opts.trace && (opts.realtime || opts.expert)) throw new CliError(`sim: --trace needs a model driving in lockstep, not --${opts.realtime ? "realtime" : "expert"}`);
      // These act on the loop this command runs: a model driving in lockstep (with --realtime the
      // loop is another process's, which takes its decoding from the card).
      for (const [flag, given] of [["--linger", opts.linger], ["--confirm-done", opts.confirmDone]] as const) {
        if (given !== undefined && (opts.realtime || opts.expert)) throw new CliError(`sim: ${flag} needs a model driving in lockstep, not --${opts.realtime ? "realtime" : "expert"}`);
      }
      if (opts.realtime) return realtime(opts, seed, task, camera);
      if (opts.expert) return expert(opts, seed, task, camera);
      if (opts.snapshot && opts.episodes === undefined) return snapshotOnly(opts.snapshot, seed, task === "all" ? "reach" : task, camera);
      return modelDriven(opts, seed, task, camera);
    });
}

async function expert(opts: SimOptions, seed: number, task: "reach" | "push" | "all", camera: ReturnType<typeof cameraOption>): Promise<void> {
  const { Sim } = await import("../../../sim/lockstep.ts");
  const { runExpertEpisode, summarize, taskOf } = await import("../../../sim/episodes.ts");
  const { traceTick, writeSnapshot } = await import("../../../sim/snapshot.ts");
  const episodes = intOption(opts.episodes ?? "1", "--episodes", 1);
  const sim = await Sim.create({ camera });
  const bar = progress({ label: "sim", total: episodes, unit: "episodes", quiet: Boolean(opts.quiet) || episodes < 5 });
  const out = (line: string) => (opts.json ? process.stderr : process.stdout).write(line + "\n");
  const results = [];
  const t0 = performance.now();
  for (let i = 0; i < episodes; i++) {
    const last = i === episodes - 1 && opts.snapshot;
    const trace = { tip: [], block: [] };
    const r = runExpertEpisode(sim, seed + i, taskOf(task, i), last ? { onTick: () => traceTick(sim, trace) } : {});
    results.push(r);
    if (!opts.quiet) out(`episode ${i + 1}/${episodes}  seed ${r.seed}  ${r.task}  "${r.command}": ${r.outcome} in ${r.duration_s.toFixed(1)} s (${r.reason})`);
    if (last) writeSnapshot(opts.snapshot!, sim, trace);
    bar.tick(1, r.outcome);
  }
  bar.stop();
  const wall = (performance.now() - t0) / 1000;
  const summary = summarize(results);
  sim.close();
  if (opts.json) {
    process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
    return;
  }
  const tasks = Object.entries(summary.by_task).map(([t, s]) => `${t} ${s.successes}/${s.episodes}`);
  // A real-time factor over a handful of episodes would mostly measure start-up.
  const speed = episodes >= 10 ? `; ${((summary.mean_episode_s * summary.episodes) / wall).toFixed(0)}× real time` : "";
  out(
    `${summary.successes}/${summary.episodes} succeeded (${(100 * summary.success_rate).toFixed(1)}%: ${tasks.join(", ")}); ` +
      `mean episode ${summary.mean_episode_s.toFixed(2)} s${speed}`,
  );
  if (opts.snapshot) out(`snapshot: ${opts.snapshot}`);
}

async function modelDriven(opts: SimOptions, seed: number, task: "reach" | "push" | "all", camera: ReturnType<typeof cameraOption>): Promise<void> {
  const { runModelEpisodes, formatSummary } = await import("../sim-model.ts");
  const dropFrames = Number(opts.dropFrames);
  if (!(dropFrames >= 0 && dropFrames < 1)) throw new CliError(`sim: --drop-frames expects a fraction in [0, 1), found "${opts.dropFrames}"`);
  const view = opts.foxglove === undefined ? null : await startView(opts.foxglove, opts.model, camera);
  // One tap bus serves the viewer and the recorder alike.
  const tap = view?.tap ?? (opts.record ? new (await import("../../bus/memory.ts")).MemoryBus() : undefined);
  const recording = opts.record && tap ? await startRecording(opts.record, tap, opts.model, camera) : null;
  try {
    const summary = await runModelEpisodes({
      model: opts.model,
      provider: opts.provider,
      episodes: intOption(opts.episodes ?? "1", "--episodes", 1),
      seed,
      task,
      dropFrames,
      ...(opts.async ? { chunk: intOption(opts.async, "--async", 1) } : {}),
      camera,
      quiet: Boolean(opts.quiet),
      json: Boolean(opts.json),
      ...(tap ? { tap } : {}),
      paceRealtime: Boolean(view),
      ...(opts.ignoreDone ? { listen: false } : {}),
      ...(opts.confirmDone !== undefined ? { confirmDone: intOption(opts.confirmDone, "--confirm-done", 1) } : {}),
      ...(opts.linger !== undefined ? { linger: lingerOption(opts.linger) } : {}),
      ...(opts.snapshot ? { snapshot: opts.snapshot } : {}),
      ...(opts.trace ? { trace: opts.trace } : {}),
    });
    process.stdout.write(opts.json ? JSON.stringify(summary, null, 2) + "\n" : formatSummary(summary) + "\n");
    if (opts.snapshot) process.stderr.write(`snapshot: ${opts.snapshot}\n`);
  } finally {
    if (recording) process.stderr.write(`sim: ${await recording.stop()}\n`);
    await view?.close();
  }
}

/** Record every default topic from the tap, plus the view channels (so the log opens in Foxglove
 * with the same layout) and the camera model. */
async function startRecording(out: string, tap: import("../../bus/types.ts").Bus, model: string, cam: ReturnType<typeof cameraOption>) {
  const { Recorder } = await import("../../log/recorder.ts");
  const { recordBus } = await import("../../log/bus-recorder.ts");
  const { DEFAULT_TOPICS } = await import("../../log/topics.ts");
  const { recordView } = await import("../../view/record-view.ts");
  const { loadCard } = await import("../../omnitoken/card.ts");
  const { pinholeCamera, DEFAULT_VIEW } = await import("../../../sim/camera.ts");
  const { DEFAULT_SIM_CONFIG } = await import("../../../sim/config.ts");
  const card = loadCard(model);
  const recorder = await Recorder.open({ out, card, config: { command: "sim", model } });
  const camera = pinholeCamera({ width: cam.width ?? 128, height: cam.height ?? 96, fovY: DEFAULT_SIM_CONFIG.camera.fovY, eye: DEFAULT_VIEW.eye, target: DEFAULT_VIEW.target });
  const view = recordView(tap, recorder, { card, camera });
  const raw = recordBus(tap, DEFAULT_TOPICS, recorder);
  return {
    async stop(): Promise<string> {
      view.stop();
      const { recording, counts } = await raw.stop();
      const n = Object.values(counts).reduce((a, b) => a + b, 0);
      return `recorded ${n} messages to ${out} (${recording.files.length} file${recording.files.length === 1 ? "" : "s"})`;
    },
  };
}

/** The Foxglove live view on a tap bus the loop copies everything to; started before the model
 * loads so a viewer can connect first. */
async function startView(flag: string | true, model: string, cam: ReturnType<typeof cameraOption>) {
  const { isLoopback } = await import("../../view/address.ts");
  const { startFoxgloveServer } = await import("../../view/foxglove-server.ts");
  const { MemoryBus } = await import("../../bus/memory.ts");
  const { loadCard } = await import("../../omnitoken/card.ts");
  const { pinholeCamera, DEFAULT_VIEW } = await import("../../../sim/camera.ts");
  const { DEFAULT_SIM_CONFIG } = await import("../../../sim/config.ts");
  const { viewAddressFlag } = await import("../view-flag.ts");
  const addr = viewAddressFlag(flag, "sim");
  const tap = new MemoryBus();
  const camera = pinholeCamera({ width: cam.width ?? 128, height: cam.height ?? 96, fovY: DEFAULT_SIM_CONFIG.camera.fovY, eye: DEFAULT_VIEW.eye, target: DEFAULT_VIEW.target });
  const server = await startFoxgloveServer(tap, { ...addr, card: loadCard(model), camera });
  process.stderr.write(`sim: Foxglove live view on ${server.url}${isLoopback(addr.host) ? "" : " (reachable from the network)"}\n`);
  return { tap, close: async () => (await server.close(), await tap.close()) };
}

async function snapshotOnly(file: string, seed: number, task: "reach" | "push", camera: ReturnType<typeof cameraOption>): Promise<void> {
  const { Sim } = await import("../../../sim/lockstep.ts");
  const { writeSnapshot } = await import("../../../sim/snapshot.ts");
  const sim = await Sim.create({ camera: { ...camera, enabled: true } });
  sim.reset(seed, task);
  writeSnapshot(file, sim);
  process.stdout.write(`snapshot: ${file} (seed ${seed}, ${task}: "${sim.episode.command}")\n`);
  sim.close();
}

async function realtime(opts: SimOptions, seed: number, task: "reach" | "push" | "all", camera: ReturnType<typeof cameraOption>): Promise<void> {
  const { createBus } = await import("../../bus/create.ts");
  const { RealtimeSim } = await import("../../../sim/realtime.ts");
  const episodes = opts.episodes === undefined ? undefined : intOption(opts.episodes, "--episodes", 1);
  const bus = await createBus(opts.bus, { hub: Boolean(opts.hub) });
  const log = (line: string) => {
    if (!opts.quiet) process.stderr.write(`sim: ${line}\n`);
  };
  const rt = await RealtimeSim.start({ bus, seed, task, config: { camera }, log, ...(episodes ? { episodes } : {}) });
  log(`real time on ${opts.bus}${opts.hub ? " (hosting the hub)" : ""}; Ctrl-C to stop`);
  const stop = () => void rt.stop();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const results = await rt.finished;
  process.off("SIGINT", stop);
  process.off("SIGTERM", stop);
  await bus.close();
  const ok = results.filter((r) => r.outcome === "success").length;
  const lag = rt.counters.lagging ? `; fell > 0.25 s behind the wall clock ${rt.counters.lagging} times` : "";
  log(`${results.length} episodes ended, ${ok} succeeded; ${rt.counters.commands} commands taken, ${rt.counters.badCommands} malformed${lag}`);
}
