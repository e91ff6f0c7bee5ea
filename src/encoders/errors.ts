// The error every encoder throws: a message that cannot become the card's column (or an action
// that cannot become a command), naming the input, what the card expects and what was found.

export class EncodeError extends Error {
  /** What was being encoded: "image", "detections", "joint_state", "action", "compressed image"… */
  readonly input: string;
  constructor(input: string, reason: string) {
    super(`cannot encode ${input}: ${reason}`);
    this.name = "EncodeError";
    this.input = input;
  }
}

/** `out`, checked to have `width` entries, or a new array of that width. */
export function outputArray(input: string, width: number, out: Float32Array | undefined): Float32Array {
  if (out === undefined) return new Float32Array(width);
  if (out.length !== width) throw new EncodeError(input, `the output array has ${out.length} entries, the card's column needs ${width}`);
  return out;
}
