// The base of every error src/log raises on bad input (a file that is not a log, a malformed map,
// a bad option value): the CLI prints these as plain messages, without a stack.
export class LogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Errors that report bad input from the user (ours, and the card's and bus URL's own kinds),
 * as opposed to bugs: the CLI shows their message alone. */
const INPUT_ERRORS = new Set(["CardError", "BusUrlError", "RemoteAddressError", "FrameError"]);

export function isInputError(err: unknown): err is Error {
  return err instanceof LogError || (err instanceof Error && INPUT_ERRORS.has(err.name));
}
