// `omniloop run --config launch/omniloop.yaml --bus ros2|zmq`: the closed loop as a robot's node.
// On ROS 2 it is a managed (lifecycle) node with its services; on ZeroMQ the same lifecycle runs
// in-process. Either way it goes to active at once unless --no-autostart (then, on ROS 2, a
// lifecycle manager or `ros2 lifecycle set` drives it). Ctrl-C shuts it down.
import type { Command } from "commander";
import { CliError } from "../errors.ts";

interface RunOptions {
  config: string;
  bus: string;
  foxglove?: string | true;
  node: string;
  model?: string;
  provider?: string;
  policy?: string;
  serverKey?: string;
  clientKey?: string;
  hub?: boolean;
  autostart: boolean;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command("run")
    .description("run the closed loop as a robot's node (ROS 2 lifecycle node, or on a ZeroMQ bus)")
    .requiredOption("--config <file>", "the node's ROS 2 parameter file (see launch/omniloop.yaml)")
    .option("--bus <bus>", "ros2, or zmq[://HOST:PORT] (default port 7600)", "ros2")
    .option("--node <name>", "node name (and the parameter file's entry)", "omniloop")
    .option("--model <card>", "override model.card")
    .option("--provider <name>", "override model.provider: auto, cpu, webgpu, cuda, tensorrt")
    .option("--policy <url>", "override policy.url: a policy server, zmq://HOST:PORT")
    .option("--server-key <file>", "override policy.server_key: the policy server's public key")
    .option("--client-key <file>", "override policy.client_key: this robot's secret certificate")
    .option("--hub", "with --bus zmq: host the bus hub in this process")
    .option("--no-autostart", "stay unconfigured until a lifecycle manager (ROS 2) drives the node")
    .option("--foxglove [addr]", "serve the live view to Foxglove/Lichtblick at [HOST:]PORT (default 127.0.0.1:8765)")
    .option("--quiet", "no log lines")
    // A launch system may append ROS arguments (--ros-args …); rclnodejs reads them from argv.
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (opts: RunOptions) => run(opts));
}

async function run(opts: RunOptions): Promise<void> {
  const { loadRunConfig } = await import("../../bus/ros2/config.ts");
  const { Ros2ConfigError, Ros2UnavailableError, LifecycleError } = await import("../../bus/ros2/errors.ts");
  const { RemotePolicyConfigError, RemotePolicyRefusedError } = await import("../../policy/remote/errors.ts");
  const { PROVIDER_CHOICES } = await import("../../policy/providers.ts");
  const log = (line: string) => {
    if (!opts.quiet) process.stderr.write(`omniloop run: ${line}\n`);
  };
  let config;
  try {
    config = loadRunConfig(opts.config, opts.node);
  } catch (err) {
    if (err instanceof Ros2ConfigError) throw new CliError(`run: ${err.message}`);
    throw err;
  }
  if (opts.model) config.model = { card: opts.model, provider: config.model.provider };
  if (opts.provider) {
    if (!(PROVIDER_CHOICES as readonly string[]).includes(opts.provider)) throw new CliError(`run: --provider expects one of ${PROVIDER_CHOICES.join(", ")}, found "${opts.provider}"`);
    config.model.provider = opts.provider as (typeof PROVIDER_CHOICES)[number];
  }
  if (opts.policy) config.policy = { ...config.policy, url: opts.policy };
  if (config.policy && opts.serverKey) config.policy.serverKey = opts.serverKey;
  if (config.policy && opts.clientKey) config.policy.clientKey = opts.clientKey;
  const { makePolicy } = await import("../../bus/ros2/policy-factory.ts");
  const { startRecording } = await import("../../bus/ros2/recording.ts");
  let stop: () => Promise<void>;
  let node;
  let nodeBus: import("../../bus/types.ts").Bus | undefined;
  try {
    if (opts.bus === "ros2" || opts.bus === "ros2://") {
      const { startRos2Node } = await import("../../bus/ros2/ros2-node.ts");
      const ros = await startRos2Node({ config, makePolicy, startRecording, log });
      node = ros.node;
      nodeBus = ros.bus;
      if (opts.autostart) await ros.autostart();
      stop = () => ros.close();
    } else if (opts.bus === "zmq" || opts.bus.startsWith("zmq://")) {
      const { createBus } = await import("../../bus/create.ts");
      const { OmniloopNode } = await import("../../bus/ros2/node.ts");
      const url = opts.bus === "zmq" ? "zmq://127.0.0.1:7600" : opts.bus;
      const bus = await createBus(url, { hub: Boolean(opts.hub) });
      await bus.ready();
      node = new OmniloopNode({ config, bus, makePolicy, startRecording, log });
      nodeBus = bus;
      // No lifecycle services off ROS 2: the node walks its own lifecycle.
      await node.lifecycle.trigger("configure");
      await node.lifecycle.trigger("activate");
      stop = async () => {
        await node!.close();
        await bus.close();
      };
      log(`on ${url}${opts.hub ? " (hosting the hub)" : ""}`);
    } else {
      throw new CliError(`run: --bus expects ros2, zmq or zmq://HOST:PORT, found "${opts.bus}"`);
    }
  } catch (err) {
    const known = [Ros2ConfigError, Ros2UnavailableError, LifecycleError, RemotePolicyConfigError, RemotePolicyRefusedError];
    if (known.some((k) => err instanceof k)) throw new CliError(`run: ${(err as Error).message}`);
    throw err;
  }
  const view = opts.foxglove === undefined || !nodeBus ? null : await startView(opts.foxglove, nodeBus, config.model.card, log);
  log(`node ${config.node} up (${node.state}); tasks on ${config.topics.task}, health on ${config.topics.diagnostics}; Ctrl-C to stop`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await view?.close();
  await stop();
  const ended = node.episodes.map((e) => `"${e.command}": ${e.end} after ${e.ticks} ticks`);
  log(`stopped; ${node.episodes.length} episodes${ended.length ? `: ${ended.join("; ")}` : ""}`);
}

/** The live view on the node's bus (the loop publishes its tokens there when the configuration
 * says `publish_tokens`, which the derived prediction channels need). */
async function startView(flag: string | true, bus: import("../../bus/types.ts").Bus, cardPath: string, log: (l: string) => void) {
  const { startFoxgloveServer } = await import("../../view/foxglove-server.ts");
  const { loadCard } = await import("../../omnitoken/card.ts");
  const { viewAddressFlag } = await import("../view-flag.ts");
  const addr = viewAddressFlag(flag, "run");
  const server = await startFoxgloveServer(bus, { ...addr, card: loadCard(cardPath) });
  log(`Foxglove live view on ${server.url}`);
  return server;
}
