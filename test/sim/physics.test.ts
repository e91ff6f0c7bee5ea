// Physics sanity: blocks rest on the table and stay there, a pushed block moves, joint limits and
// velocity limits hold, and the position servos track a command within one control tick.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { chooseIk } from "../../sim/kinematics.ts";
import { positionCommand, Sim } from "../../sim/lockstep.ts";
import { JOINT_STEP } from "../../sim/motion.ts";
import { BLOCK_HALF } from "../../sim/scene.ts";

let sim: Sim;
before(async () => {
  sim = await Sim.create({ camera: { enabled: false }, detector: { enabled: false } });
});

test("blocks rest on the table: after 5 s untouched they have not sunk, slid or tipped", () => {
  for (const seed of [0, 1, 2, 3, 4]) {
    sim.reset(seed, "reach");
    const start = sim.truth().blocks.map((b) => b.position);
    for (let i = 0; i < 50; i++) sim.step();
    for (const [i, b] of sim.truth().blocks.entries()) {
      assert.ok(Math.abs(b.position.z - BLOCK_HALF) < 5e-4, `seed ${seed} block ${i} at z=${b.position.z}`);
      assert.ok(Math.hypot(b.position.x - start[i]!.x, b.position.y - start[i]!.y) < 1e-3, `seed ${seed} block ${i} slid`);
      assert.ok(Math.abs(b.orientation.x) < 1e-3 && Math.abs(b.orientation.y) < 1e-3, "still upright");
    }
  }
});

test("a block pushed by the tip moves along the push and stays on the table", () => {
  sim.reset(5, "push");
  const spec = sim.episode;
  const i = spec.targetBlock;
  const b0 = sim.truth().blocks[i]!.position;
  // Toward the arm's base: a direction the arm can always sweep.
  const ux = 0;
  const uy = 1;
  const via = (d: number, z: number) => ({ x: b0.x + ux * d, y: b0.y + uy * d, z });
  const goTo = (p: { x: number; y: number; z: number }, ticks: number) => {
    for (let k = 0; k < ticks; k++) {
      const q = chooseIk(sim.arm.geometry, p, sim.arm.joints, sim.truth().joints);
      assert.ok(q, `unreachable ${JSON.stringify(p)}`);
      sim.step([positionCommand(q)]);
    }
  };
  goTo(via(-0.07, 0.08), 25); // above, behind the block
  goTo(via(-0.07, 0.012), 15); // down to pushing height
  for (let d = -0.07; d <= 0.03; d += 0.005) goTo(via(d, 0.012), 1); // push 10 cm at 5 cm/s
  goTo(via(0.03, 0.012), 10);
  const b1 = sim.truth().blocks[i]!.position;
  const moved = (b1.x - b0.x) * ux + (b1.y - b0.y) * uy;
  assert.ok(moved > 0.03, `block moved ${moved.toFixed(3)} m along the push`);
  assert.ok(Math.abs(b1.z - BLOCK_HALF) < 2e-3, `block left the table surface: z=${b1.z}`);
});

test("joint limits hold when commanded past them; speeds stay within the URDF velocity limits", () => {
  sim.reset(1, "reach");
  const limits = sim.arm.joints;
  let peak = [0, 0, 0];
  const drive = (q: number[], ticks: number) => {
    for (let k = 0; k < ticks; k++) {
      sim.step([positionCommand(q)]);
      const t = sim.truth();
      t.joints.forEach((v, j) => {
        assert.ok(v >= limits[j]!.lower - 0.01 && v <= limits[j]!.upper + 0.01, `${limits[j]!.name}=${v} beyond its limits`);
      });
      peak = peak.map((p, j) => Math.max(p, Math.abs(t.velocities[j]!)));
    }
  };
  drive([3.5, -3.5, 0.5], 30);
  const t = sim.truth();
  assert.ok(Math.abs(t.joints[0]! - 2.4) < 0.01 && Math.abs(t.joints[1]! + 2.6) < 0.01 && Math.abs(t.joints[2]! - 0.12) < 0.002, `${[...t.joints]}`);
  drive([-3.5, 3.5, -0.3], 30);
  const u = sim.truth();
  assert.ok(Math.abs(u.joints[0]! + 2.4) < 0.01 && Math.abs(u.joints[1]! - 2.6) < 0.01 && Math.abs(u.joints[2]! - 0.005) < 0.002, `${[...u.joints]}`);
  limits.forEach((l, j) => assert.ok(peak[j]! <= l.maxVelocity * 1.15, `${l.name} peaked at ${peak[j]} (limit ${l.maxVelocity})`));
});

test("the servos track expert-sized commands within one 10 Hz tick; the quill holds against gravity", () => {
  sim.reset(2, "reach");
  let worst = [0, 0, 0];
  const q0 = sim.truth().joints;
  let cmd = Float64Array.of(q0[0]!, q0[1]!, 0.08);
  for (let k = 0; k < 10; k++) sim.step([positionCommand(cmd)]);
  for (let k = 0; k < 40; k++) {
    const dir = k % 8 < 4 ? 1 : -1;
    cmd = cmd.map((v, j) => v + dir * JOINT_STEP[j]! * (j === 2 ? 0.5 : 1));
    sim.step([positionCommand(cmd)]);
    const q = sim.truth().joints;
    worst = worst.map((w, j) => Math.max(w, Math.abs(q[j]! - cmd[j]!)));
  }
  assert.ok(worst[0]! < 2e-3 && worst[1]! < 2e-3, `rotary tracking error ${worst[0]}, ${worst[1]} rad`);
  assert.ok(worst[2]! < 5e-4, `lift tracking error ${worst[2]} m`);
  for (let k = 0; k < 20; k++) sim.step([positionCommand(cmd)]);
  assert.ok(Math.abs(sim.truth().joints[2]! - cmd[2]!) < 1e-4, "gravity compensation holds the quill");
});
