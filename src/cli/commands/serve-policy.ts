// `omniloop serve-policy --model M --bind ENDPOINT`: serve a model over ZeroMQ to robots too weak to
// run it (their loop uses `--policy zmq://HOST:PORT`). One KV-cache session per client. Loopback by
// default; any other address needs `--key` (a CURVE pair from `omniloop keys`).
import type { Command } from "commander";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { CliError } from "../errors.ts";

interface ServeOptions {
  model: string;
  bind: string;
  provider: string;
  key?: string;
  authorized?: string;
  sessionTimeout: string;
  maxSessions: string;
  quiet?: boolean;
}

/** --model takes a card (.json), a directory holding card.json, or an .onnx with card.json beside it. */
export function modelPaths(model: string): { card: string; model?: string } {
  if (existsSync(model) && statSync(model).isDirectory()) return { card: join(model, "card.json") };
  if (model.endsWith(".onnx")) return { card: join(dirname(model), "card.json"), model };
  return { card: model };
}

function positive(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`serve-policy: ${name} expects a positive number, found "${value}"`);
  return n;
}

/** Public keys of admitted clients: one certificate file, or every file in a directory. */
async function authorizedKeys(path: string): Promise<string[]> {
  const { readPublicKey } = await import("../../policy/remote/keys.ts");
  const files = statSync(path).isDirectory() ? readdirSync(path).filter((f) => !f.endsWith("_secret")).map((f) => join(path, f)) : [path];
  if (files.length === 0) throw new CliError(`serve-policy: --authorized ${path}: no public key files in it`);
  return files.map((f) => readPublicKey(f));
}

export function register(program: Command): void {
  program
    .command("serve-policy")
    .description("serve a model over ZeroMQ: robots use it with --policy zmq://HOST:PORT")
    .requiredOption("--model <path>", "model card (.json), a directory with card.json, or an .onnx with card.json beside it")
    .option("--bind <endpoint>", "where to listen (non-loopback needs --key)", "zmq://127.0.0.1:5560")
    .option("--provider <name>", "execution provider: auto, cpu, webgpu, cuda, tensorrt", "auto")
    .option("--key <file>", "this server's secret certificate (PATH_secret from `omniloop keys`): CURVE encryption")
    .option("--authorized <path>", "admit only these client public keys (a certificate file or a directory of them)")
    .option("--session-timeout <s>", "close a client's session after this long without a request", "60")
    .option("--max-sessions <n>", "refuse clients beyond this many sessions", "16")
    .option("--quiet", "no log lines")
    .action(async (opts: ServeOptions) => serve(opts));
}

async function serve(opts: ServeOptions): Promise<void> {
  const { OnnxPolicy } = await import("../../policy/onnx-policy.ts");
  const { parseProvider } = await import("../../policy/providers.ts");
  const { PolicyServer } = await import("../../policy/remote/server.ts");
  const { readKeyPair } = await import("../../policy/remote/keys.ts");
  const { RemotePolicyConfigError } = await import("../../policy/remote/errors.ts");
  const { parsePolicyEndpoint, requireCurveOffLoopback } = await import("../../policy/remote/endpoint.ts");
  const log = (line: string) => {
    if (!opts.quiet) process.stderr.write(`serve-policy: ${line}\n`);
  };
  const paths = modelPaths(opts.model);
  let provider;
  try {
    provider = parseProvider(opts.provider);
  } catch (err) {
    throw new CliError(`serve-policy: --provider: ${(err as Error).message}`);
  }
  const sessionTimeoutMs = positive(opts.sessionTimeout, "--session-timeout") * 1000;
  const maxSessions = positive(opts.maxSessions, "--max-sessions");
  let server;
  try {
    const curve = opts.key ? readKeyPair(opts.key) : undefined;
    const authorized = opts.authorized ? await authorizedKeys(opts.authorized) : undefined;
    if (authorized && !curve) throw new CliError("serve-policy: --authorized needs --key (client keys are checked in the CURVE handshake)");
    // Before loading anything: a bind that will be refused should not wait for a model first.
    requireCurveOffLoopback(parsePolicyEndpoint(opts.bind), Boolean(curve), "bind", "pass --key SERVER.key_secret (make one with `omniloop keys`)");
    // `auto` is resolved once, by the first load; later sessions open on the provider it chose.
    let chosen = provider;
    const first = await OnnxPolicy.load({ ...paths, provider: chosen, log });
    chosen = first.provider;
    let spareFirst: typeof first | undefined = first;
    const createPolicy = async () => {
      const p = spareFirst ?? (await OnnxPolicy.load({ ...paths, provider: chosen, log }));
      spareFirst = undefined;
      return p;
    };
    server = await PolicyServer.start({
      bind: opts.bind,
      card: first.card,
      provider: first.provider,
      createPolicy,
      sessionTimeoutMs,
      maxSessions,
      log,
      ...(curve ? { curve } : {}),
      ...(authorized ? { authorizedKeys: authorized } : {}),
    });
    log(
      `serving ${first.card.name} (${first.modelPath}, ${first.provider}) on ${server.endpoint}` +
        `${curve ? `, CURVE public key ${curve.publicKey}` : ", unencrypted (loopback)"}${authorized ? `, ${authorized.length} authorised client keys` : ""}; Ctrl-C to stop`,
    );
  } catch (err) {
    if (err instanceof RemotePolicyConfigError) throw new CliError(`serve-policy: ${err.message}`);
    throw err;
  }
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  const s = server.stats();
  await server.close();
  log(`stopped: ${s.opened} sessions served, ${s.requests} requests, ${s.malformed} malformed frames dropped, ${s.refused} clients refused`);
}
