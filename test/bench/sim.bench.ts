// Simulator figures (issue "The built-in simulator"): the lockstep real-time factor at a 10 Hz
// control rate with the 128×96 camera on (target ≥ 20×) and off, and the scripted expert's
// success rate per task over 200 seeds (target ≥ 98%).
import { atLeast, info, type Bench, type BenchResult } from "../../src/cli/bench-types.ts";
import { median, timeCalls } from "../../src/cli/stats.ts";
import { runExpertEpisode, taskOf } from "../../sim/episodes.ts";
import { Sim } from "../../sim/lockstep.ts";

/** Runs expert episodes (reach and push alternating) and returns each episode's real-time factor
 * and the wall time per control tick: everything lockstep does, resets and the expert included. */
async function lockstepRtf(camera: boolean, episodes: number): Promise<{ rtf: number[]; tickMs: number[]; simS: number; wallS: number }> {
  const sim = await Sim.create({ camera: { enabled: camera } });
  for (const s of [997, 998, 999]) runExpertEpisode(sim, s, taskOf("all", s)); // warm-up: JIT and WASM
  const rtf: number[] = [];
  const tickMs: number[] = [];
  let simS = 0;
  let wallS = 0;
  for (let i = 0; i < episodes; i++) {
    const t0 = performance.now();
    let last = t0;
    const r = runExpertEpisode(sim, 5000 + i, taskOf("all", i), {
      onTick: () => {
        const now = performance.now();
        tickMs.push(now - last);
        last = now;
      },
    });
    const wall = (performance.now() - t0) / 1000;
    rtf.push(r.duration_s / wall);
    simS += r.duration_s;
    wallS += wall;
  }
  sim.close();
  return { rtf, tickMs, simS, wallS };
}

export const benches: Bench[] = [
  {
    name: "sim",
    description: "lockstep simulator speed at a 10 Hz control rate, expert driving, camera 128×96 on and off",
    async run({ quick, log }) {
      const episodes = quick ? 6 : 40;
      const rows: BenchResult[] = [];
      for (const camera of [true, false]) {
        const label = camera ? "camera" : "nocamera";
        log(`sim: ${episodes} expert episodes, camera ${camera ? "on" : "off"}`);
        const { rtf, tickMs, simS, wallS } = await lockstepRtf(camera, episodes);
        const note = `median of ${episodes} episodes (${simS.toFixed(0)} sim-s in ${wallS.toFixed(1)} s overall: ${(simS / wallS).toFixed(1)}×); 240 Hz physics, joints 50 Hz, detector 10 Hz`;
        rows.push(
          camera
            ? atLeast("sim.rtf.camera", median(rtf), "x realtime", 20, note)
            : info("sim.rtf.nocamera", median(rtf), "x realtime", note),
          info(`sim.tick.${label}.median`, median(tickMs), "ms", "one 10 Hz control tick: 24 physics steps and the sensors that fall due"),
        );
      }
      const sim = await Sim.create();
      sim.reset(1, "push");
      const render = timeCalls(() => sim.renderCamera(), quick ? 50 : 500);
      rows.push(info("sim.render.median", median(render), "us", "one 128×96 camera frame, software rasterizer"));
      sim.close();
      return rows;
    },
  },
  {
    name: "expert",
    description: "scripted expert success rate per task over 200 seeds (lockstep)",
    async run({ quick, log }) {
      const seeds = quick ? 20 : 200;
      // The camera does not touch the physics: off, it only saves time.
      const sim = await Sim.create({ camera: { enabled: false }, detector: { enabled: false } });
      const rows: BenchResult[] = [];
      for (const task of ["reach", "push"] as const) {
        log(`expert: ${seeds} ${task} episodes`);
        const results = Array.from({ length: seeds }, (_, i) => runExpertEpisode(sim, i, task));
        const ok = results.filter((r) => r.outcome === "success");
        const failed = results.filter((r) => r.outcome !== "success").map((r) => `seed ${r.seed} ${r.outcome}`);
        rows.push(
          atLeast(`expert.${task}.success`, (100 * ok.length) / seeds, "%", 98, `seeds 0–${seeds - 1}${failed.length ? `; failed: ${failed.join(", ")}` : ""}`),
          info(`expert.${task}.episode_s.median`, median(results.map((r) => r.duration_s)), "s", "sim time per episode"),
        );
      }
      sim.close();
      return rows;
    },
  },
];
