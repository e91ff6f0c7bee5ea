// The remote policy's errors. Each names the endpoint, what was expected, what was found, and the fix.

/** The policy gave no prediction this tick: the server is unreachable, too slow for the per-step
 * deadline, or re-prefilling a session. The loop holds the robot (reason `policy_unavailable`) and
 * tries again next tick; nothing about the request was wrong. */
export class PolicyUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PolicyUnavailableError";
  }
}

/** An endpoint, key or option that cannot work (bad URL, non-loopback without CURVE keys, a key
 * file that is not one). Fix the configuration; retrying will not help. */
export class RemotePolicyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RemotePolicyConfigError";
  }
}

/** The server turned this client away: CURVE handshake refused (wrong server key, or a client key
 * the server does not authorise), protocol version mismatch, or too many sessions. */
export class RemotePolicyRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RemotePolicyRefusedError";
  }
}

/** A frame that is not a request or reply of this protocol; counted and dropped by whoever got it. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}
