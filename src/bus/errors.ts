// The bus's errors: each names the input, what was expected and what was found, and the fix.

/** Base class, so a caller can catch "anything the bus refused". */
export class BusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BusError";
  }
}

/** A bus URL that cannot be parsed, names an unknown scheme, or a transport not built yet. */
export class BusUrlError extends BusError {
  constructor(message: string) {
    super(message);
    this.name = "BusUrlError";
  }
}

/** A topic used with a type other than the one fixed by its first use on this bus. */
export class TopicTypeError extends BusError {
  constructor(message: string) {
    super(message);
    this.name = "TopicTypeError";
  }
}

/** A non-loopback address without `allowRemote: true` (traffic is unencrypted until CURVE). */
export class RemoteAddressError extends BusError {
  constructor(message: string) {
    super(message);
    this.name = "RemoteAddressError";
  }
}

/** `ready()` gave up: no hub answered, or the subscription did not become live in time. */
export class BusTimeoutError extends BusError {
  constructor(message: string) {
    super(message);
    this.name = "BusTimeoutError";
  }
}

/** publish/subscribe/ready on a bus that was closed. */
export class BusClosedError extends BusError {
  constructor(message: string) {
    super(message);
    this.name = "BusClosedError";
  }
}
