// The node's policy at configure: the local model (ONNX Runtime on the configured provider) or, when
// policy.url is set, a policy server over ZeroMQ (with CURVE keys off loopback).
import { OnnxPolicy } from "../../policy/onnx-policy.ts";
import { openPolicy } from "../../policy/remote/open.ts";
import type { PolicyFactory } from "./node.ts";

export const makePolicy: PolicyFactory = async (cfg, log) => {
  const remote = cfg.policy;
  if (remote) {
    const policy = await openPolicy({ policy: remote.url, ...remote, log });
    log(`policy server ${remote.url}: ${policy.card.name} on ${policy.provider}`);
    return policy;
  }
  return OnnxPolicy.load({ card: cfg.model.card, ...(cfg.model.onnx ? { model: cfg.model.onnx } : {}), provider: cfg.model.provider, log });
};
