// The joint setpoint generator: moves a setpoint toward the commanded position as fast as the
// joint's velocity and acceleration limits allow (a time-optimal bang-bang profile, re-planned
// every physics step so a new command mid-motion just bends the profile). The physics motor then
// tracks this setpoint, as a real servo drive tracks its trajectory generator's output.

export interface ProfileState {
  /** Setpoint position and velocity. */
  x: number;
  v: number;
  /** Setpoint acceleration over the last step (feed-forward for the motor). */
  a: number;
}

export interface ProfileLimits {
  vmax: number;
  amax: number;
}

/** Advances `s` by one step `dt` toward `target`, in place. */
export function advanceProfile(s: ProfileState, target: number, lim: ProfileLimits, dt: number): void {
  const e = target - s.x;
  if (e === 0 && s.v === 0) {
    s.a = 0;
    return;
  }
  // Fastest speed from which the joint can still stop at the target, for the discrete update
  // below (x += v·dt, |Δv| ≤ a·dt per step): v²/2a + v·dt/2 ≤ |e|.
  const h = lim.amax * dt;
  const vStop = Math.sqrt((h * h) / 4 + 2 * lim.amax * Math.abs(e)) - h / 2;
  const vDes = Math.sign(e) * Math.min(lim.vmax, vStop);
  const vNew = s.v + Math.min(h, Math.max(-h, vDes - s.v));
  if (Math.abs(e) <= Math.abs(vNew) * dt && vNew * e >= 0 && Math.abs(vNew) <= 2 * h) {
    // Arriving at crawl speed: land exactly, rather than dither around the target.
    s.a = -s.v / dt;
    s.x = target;
    s.v = 0;
    return;
  }
  s.a = (vNew - s.v) / dt;
  s.x += vNew * dt;
  s.v = vNew;
}
