// `omniloop keys --out PATH`: a CURVE key pair for the policy link (serve-policy --key PATH_secret on
// the server; --server-key PATH on the robot). CZMQ's certificate format, so other ZeroMQ tools read it.
import type { Command } from "commander";
import { CliError } from "../errors.ts";

export function register(program: Command): void {
  program
    .command("keys")
    .description("make a CURVE key pair: PATH (public, give it to peers) and PATH_secret (keep it here)")
    .requiredOption("--out <path>", "where to write, e.g. keys/server.key (writes keys/server.key and keys/server.key_secret)")
    .option("--force", "replace existing key files")
    .action(async (opts: { out: string; force?: boolean }) => {
      const { makeKeyPair, writeCertificates } = await import("../../policy/remote/keys.ts");
      const { RemotePolicyConfigError } = await import("../../policy/remote/errors.ts");
      const pair = makeKeyPair();
      try {
        const files = writeCertificates(opts.out, pair, { force: Boolean(opts.force) });
        process.stdout.write(`public key ${pair.publicKey}\n  public:  ${files.publicFile}\n  secret:  ${files.secretFile} (mode 0600: never copy it off this machine)\n`);
      } catch (err) {
        if (err instanceof RemotePolicyConfigError) throw new CliError(`keys: ${err.message}`);
        throw err;
      }
    });
}
