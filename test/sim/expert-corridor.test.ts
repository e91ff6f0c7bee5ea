// The push expert's corridor: a low tip behind the named block but off the push line slides along
// the table to its stand-off point (it does not rise), while a low tip beside the block rises
// straight up before it travels. These are the states a cloned policy stalls in
// (models/reference/EVAL.md, session 6): the label there must be one motion, not a detour.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ScriptedExpert, Z_PUSH } from "../../sim/expert.ts";
import { forwardKinematics, inverseKinematics } from "../../sim/kinematics.ts";
import { Sim, type Truth } from "../../sim/lockstep.ts";

/** The episode's true state with the arm moved so its tip is at (along, across) in the push line's
 * frame (origin the named block's centre, `along` towards the zone), at height z. */
function tipAt(t0: Truth, sim: Sim, along: number, across: number, z: number): Truth {
  const blk = t0.blocks[t0.spec.targetBlock]!.position;
  const zone = t0.spec.zones[t0.spec.targetZone!]!;
  const len = Math.hypot(zone.x - blk.x, zone.y - blk.y);
  const ux = (zone.x - blk.x) / len;
  const uy = (zone.y - blk.y) / len;
  const x = blk.x + ux * along - uy * across;
  const y = blk.y + uy * along + ux * across;
  const limits = sim.arm.joints;
  const q = inverseKinematics(sim.arm.geometry, { x, y, z }).find((s) => s.every((v, i) => v >= limits[i]!.lower && v <= limits[i]!.upper));
  assert.ok(q, `no IK solution within limits for (${x.toFixed(3)}, ${y.toFixed(3)}, ${z})`);
  const tip = forwardKinematics(sim.arm.geometry, q);
  return { ...t0, joints: q, targets: q, velocities: new Float64Array(q.length), tip: { x: tip.x, y: tip.y, z: tip.z } };
}

test("push expert: low behind the block and off the line it slides to the stand-off point; low beside the block it rises", async () => {
  const sim = await Sim.create({ camera: { enabled: false }, detector: { enabled: false } });
  let checked = 0;
  for (let seed = 0; seed < 12; seed++) {
    sim.reset(seed, "push");
    const t0 = sim.truth();
    const lift = (s: Truth, a: Float64Array) => a[2]! - s.joints[2]!;
    const planar = (s: Truth, a: Float64Array) => Math.abs(a[0]! - s.joints[0]!) + Math.abs(a[1]! - s.joints[1]!);
    let behind: Truth;
    let beside: Truth;
    try {
      behind = tipAt(t0, sim, -0.065, 0.03, Z_PUSH); // 3 cm off the line, stand-off distance behind
      beside = tipAt(t0, sim, 0, 0.06, Z_PUSH); // level with the block's centre, 6 cm to its side
    } catch {
      continue; // this episode's block sits where one of the two poses is out of the arm's reach
    }
    const slide = new ScriptedExpert(sim.arm);
    const a = slide.act(behind);
    assert.equal(slide.phase, "approach", `seed ${seed}`);
    assert.ok(Math.abs(lift(behind, a)) < 1e-3, `seed ${seed}: behind the block the lift moved ${lift(behind, a)} m`);
    assert.ok(planar(behind, a) > 1e-3, `seed ${seed}: behind the block the arm did not slide`);
    const e = new ScriptedExpert(sim.arm);
    const b = e.act(beside);
    assert.equal(e.phase, "lift", `seed ${seed}`);
    assert.ok(lift(beside, b) > 0.01, `seed ${seed}: beside the block the lift moved ${lift(beside, b)} m`);
    assert.ok(planar(beside, b) < 1e-9, `seed ${seed}: beside the block the arm moved sideways while low`);
    checked++;
  }
  assert.ok(checked >= 6, `only ${checked} of 12 episodes had both poses in reach`);
  sim.close();
});
