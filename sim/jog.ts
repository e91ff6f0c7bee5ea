// Teleop's brain, free of any terminal: keys move a tip target in the table frame (x right, y
// away from the camera, z up), and each tick the arm is commanded toward that target through
// inverse kinematics, one servo-sized step at a time.
import { chooseIk, forwardKinematics, type ScaraGeometry } from "./kinematics.ts";
import type { Vec3 } from "./math3.ts";
import { stepToward } from "./motion.ts";
import type { ArmJoint } from "./robot.ts";

export type TeleopKey = "x+" | "x-" | "y+" | "y-" | "z+" | "z-" | "finer" | "coarser" | "hold" | "next" | "quit";

/** Raw terminal input → key. Arrow keys arrive as escape sequences (normal or application mode). */
export function keyOf(data: string): TeleopKey | null {
  switch (data) {
    case "\x1b[C": case "\x1bOC": case "d": case "D": return "x+";
    case "\x1b[D": case "\x1bOD": case "a": case "A": return "x-";
    case "\x1b[A": case "\x1bOA": case "w": case "W": return "y+";
    case "\x1b[B": case "\x1bOB": case "s": case "S": return "y-";
    case "r": case "R": case "\x1b[5~": return "z+";
    case "f": case "F": case "\x1b[6~": return "z-";
    case "+": case "=": return "coarser";
    case "-": case "_": return "finer";
    case " ": return "hold";
    case "n": case "N": return "next";
    case "q": case "Q": case "\x03": case "\x1b": return "quit";
    default: return null;
  }
}

/** Splits one chunk of terminal input (keys typed quickly arrive together) into keys. */
export function keysOf(data: string): TeleopKey[] {
  const out: TeleopKey[] = [];
  // An escape sequence (CSI "ESC [" … final letter or "~", or SS3 "ESC O" letter), a lone ESC, or one character.
  for (const m of data.matchAll(/\x1b\[[0-9;]*[A-Za-z~]|\x1bO[A-Za-z]|[\s\S]/g)) {
    const key = keyOf(m[0]);
    if (key) out.push(key);
  }
  return out;
}

export const KEY_HELP = "←/→ a/d: x   ↑/↓ w/s: y   r/f: up/down   +/-: step   space: hold   n: next episode   q: quit";

const STEPS = [0.002, 0.005, 0.01, 0.02];

export class Jogger {
  /** Where the tip should go (null: hold where it is). */
  target: Vec3 | null = null;
  private stepIndex = 2;
  /** Why the last key did nothing, for the screen. */
  note = "";

  constructor(private readonly g: ScaraGeometry, private readonly joints: readonly ArmJoint[]) {}

  get step(): number {
    return STEPS[this.stepIndex]!;
  }

  /** Applies a movement key; `q` is the arm's measured joint vector. */
  press(key: TeleopKey, q: ArrayLike<number>): void {
    this.note = "";
    const tip = this.target ?? forwardKinematics(this.g, q);
    const d = this.step;
    const next = { ...tip };
    switch (key) {
      case "x+": next.x += d; break;
      case "x-": next.x -= d; break;
      case "y+": next.y += d; break;
      case "y-": next.y -= d; break;
      case "z+": next.z += d; break;
      case "z-": next.z -= d; break;
      case "coarser": this.stepIndex = Math.min(STEPS.length - 1, this.stepIndex + 1); return;
      case "finer": this.stepIndex = Math.max(0, this.stepIndex - 1); return;
      case "hold": this.target = null; return;
      default: return;
    }
    const lift = this.joints[2]!;
    next.z = Math.min(this.g.zOffset + lift.upper, Math.max(this.g.zOffset + lift.lower, next.z));
    if (!chooseIk(this.g, next, this.joints, q)) {
      this.note = "out of reach";
      return;
    }
    this.target = next;
  }

  /** This tick's joint command: a step toward the target, or hold at `q`. */
  command(q: ArrayLike<number>): Float64Array {
    if (!this.target) return Float64Array.from(q);
    const goal = chooseIk(this.g, this.target, this.joints, q);
    return goal ? stepToward(q, goal) : Float64Array.from(q);
  }
}
