// The `omniloop` command. Each subcommand lives in its own file under ./commands and exports
// `register(program)`; they are discovered at start-up so a new subcommand is one new file.
import { Command } from "commander";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CliError } from "./errors.ts";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = JSON.parse(readFileSync(join(here, "../../package.json"), "utf8")) as { version: string };

export interface CommandModule {
  register(program: Command): void;
}

async function main(argv: string[]): Promise<void> {
  const program = new Command("omniloop")
    .description("A runtime for embodied agents: omnitokens through an ONNX transformer in a closed loop over ROS 2.")
    .version(pkg.version)
    .showHelpAfterError()
    .configureOutput({ outputError: (s, write) => write(s) });
  const dir = join(here, "commands");
  const files = readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")).sort();
  for (const file of files) {
    const mod = (await import(join(dir, file))) as Partial<CommandModule>;
    if (typeof mod.register !== "function") throw new Error(`src/cli/commands/${file}: exports no register(program)`);
    mod.register(program);
  }
  await program.parseAsync(argv);
}

main(process.argv).catch((err: unknown) => {
  if (err instanceof CliError) {
    process.stderr.write(`omniloop: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  process.stderr.write(`omniloop: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
