// Joint-space step limiting shared by the scripted expert and teleop: each control tick commands
// at most a step the servos finish within the tick (see profile.ts and the URDF's limits), so the
// measured joint state one tick later equals the command (docs/CONVENTIONS.md).

/** Largest joint step per 10 Hz tick [shoulder rad, elbow rad, lift m]: with the drives' limits
 * (3.5 rad/s & 100 rad/s², 4 rad/s & 120 rad/s², 0.5 m/s & 15 m/s²) each takes ≤ 70 ms. */
export const JOINT_STEP: readonly number[] = [0.1, 0.12, 0.015];

/** Steps from q toward goal, all joints scaled together so none moves more than its cap. */
export function stepToward(q: ArrayLike<number>, goal: ArrayLike<number>, caps: readonly number[] = JOINT_STEP): Float64Array {
  let scale = 1;
  for (let i = 0; i < goal.length; i++) scale = Math.max(scale, Math.abs(goal[i]! - q[i]!) / caps[i]!);
  return Float64Array.from({ length: goal.length }, (_, i) => q[i]! + (goal[i]! - q[i]!) / scale);
}
