// What the loop needs of a policy: local (ONNX Runtime) or remote (a server over ZeroMQ) alike.
import type { ModelCard } from "../omnitoken/card-types.ts";
import type { Omnitoken } from "../omnitoken/types.ts";

export interface Policy {
  readonly card: ModelCard;
  /** Where it runs, for logs and diagnostics: "cpu", "webgpu", "zmq://…". */
  readonly provider: string;
  /** A new episode: empty the context and feed the command prefix in one run; returns the
   * prediction that follows the last prefix token. */
  start(prefix: readonly Omnitoken[]): Promise<Omnitoken>;
  /** Feed one observation (it stays in the context); returns the predicted next token. */
  step(token: Omnitoken): Promise<Omnitoken>;
  /** Feed `token` (kept in the context), then feed each prediction back to roll out `horizon`
   * tokens; the rolled-out predictions do not stay in the context. */
  rollout(token: Omnitoken, horizon: number): Promise<Omnitoken[]>;
  close(): Promise<void>;
}
