// `omniloop bus --bind zmq://127.0.0.1:7600`: a standalone ZeroMQ hub, for when no process of the
// system should own it. Runs until SIGINT/SIGTERM; prints one line on stdout once it is bound.
import type { Command } from "commander";
import { BusError } from "../../bus/errors.ts";
import { ZmqHub } from "../../bus/zmq-hub.ts";
import { CliError } from "../errors.ts";

export function register(program: Command): void {
  program
    .command("bus")
    .description("run a ZeroMQ bus hub: publishers connect to PORT, subscribers to PORT+1")
    .option("--bind <url>", "the bus URL to serve", "zmq://127.0.0.1:7600")
    .option("--allow-remote", "bind a non-loopback address (bus traffic is unencrypted)")
    .option("--hwm <n>", "high-water mark of each hub socket, in messages", "1000")
    .action(async (opts: { bind: string; allowRemote?: boolean; hwm: string }) => {
      const hwm = Number(opts.hwm);
      if (!/^\d+$/.test(opts.hwm) || hwm < 1) throw new CliError(`--hwm: expected a positive integer (messages), found "${opts.hwm}"`);
      let hub: ZmqHub;
      try {
        hub = await ZmqHub.start(opts.bind, { allowRemote: Boolean(opts.allowRemote), hwm });
      } catch (err) {
        if (err instanceof BusError) throw new CliError(err.message);
        throw err;
      }
      process.stdout.write(`hub ${opts.bind}: publishers ${hub.endpoints.publish}, subscribers ${hub.endpoints.subscribe}\n`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await hub.close();
    });
}
