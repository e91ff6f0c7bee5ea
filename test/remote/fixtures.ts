// Shared by the remote-policy tests: the micro test model (random weights), a local policy on it,
// a server serving it, deterministic observations, and a free port.
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { loadCard } from "../../src/omnitoken/card.ts";
import type { ModelCard } from "../../src/omnitoken/card-types.ts";
import { ByteTokenizer } from "../../src/omnitoken/tokenizer.ts";
import { absentToken, textToken } from "../../src/omnitoken/token.ts";
import type { Omnitoken } from "../../src/omnitoken/types.ts";
import { OnnxPolicy } from "../../src/policy/onnx-policy.ts";
import { PolicyServer, type PolicyServerOptions } from "../../src/policy/remote/server.ts";

export const MICRO = "test/fixtures/models/micro";
export const CARD_PATH = join(MICRO, "card.json");
export const card: ModelCard = loadCard(CARD_PATH);
const stamp = { sec: 0, nanosec: 0 };

/** warmup 0: the tests time steps themselves, and loading stays fast. */
export const localPolicy = () => OnnxPolicy.load({ card: CARD_PATH, provider: "cpu", warmup: 0 });

export function startServer(bind = "zmq://127.0.0.1:0", extra: Partial<PolicyServerOptions> = {}): Promise<PolicyServer> {
  return PolicyServer.start({ bind, card, provider: "cpu", createPolicy: localPolicy, ...extra });
}

export function prefix(text = "touch the red block"): Omnitoken[] {
  return new ByteTokenizer(card.tokenizer).command(text).map((id, i) => textToken(card, id, i, stamp));
}

/** A tick token with deterministic, distinct content per step. */
export function tick(step: number): Omnitoken {
  const t = absentToken(card, step, { sec: step, nanosec: 0 });
  for (const [name, cell] of Object.entries(t.columns)) {
    if (name === "text") continue;
    cell.origin = "observed";
    cell.data.forEach((_, i) => ((cell.data as Float32Array)[i] = ((step * 31 + i * 7) % 17) / 17));
  }
  return t;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
