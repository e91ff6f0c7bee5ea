// One entry point from a `--policy` value to a policy: zmq://HOST:PORT is a policy server (remote),
// anything else a model card (or a directory holding card.json) run locally — so every command that
// takes a model takes a server the same way.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { OnnxPolicy } from "../onnx-policy.ts";
import type { ProviderChoice } from "../providers.ts";
import type { Policy } from "../types.ts";
import { RemotePolicy } from "./client.ts";
import { isRemotePolicyUrl } from "./endpoint.ts";
import { readKeyPair, readPublicKey } from "./keys.ts";

export interface OpenPolicyOptions {
  /** zmq://HOST:PORT, a card .json, or a directory with card.json. */
  policy: string;
  provider?: ProviderChoice;
  /** Remote: the server's public key (certificate file or Z85 key). */
  serverKey?: string;
  /** Remote: this client's secret certificate. */
  clientKey?: string;
  deadlineMs?: number;
  log?: (line: string) => void;
}

export async function openPolicy(o: OpenPolicyOptions): Promise<Policy> {
  if (isRemotePolicyUrl(o.policy)) {
    return RemotePolicy.connect({
      url: o.policy,
      ...(o.serverKey ? { serverKey: readPublicKey(o.serverKey) } : {}),
      ...(o.clientKey ? { clientKeys: readKeyPair(o.clientKey) } : {}),
      ...(o.deadlineMs ? { deadlineMs: o.deadlineMs } : {}),
      ...(o.log ? { log: o.log } : {}),
    });
  }
  const card = existsSync(o.policy) && statSync(o.policy).isDirectory() ? join(o.policy, "card.json") : o.policy;
  return OnnxPolicy.load({ card, provider: o.provider ?? "auto", ...(o.log ? { log: o.log } : {}) });
}
