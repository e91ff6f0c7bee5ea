// `omniloop train --data DIR --out DIR [models/train.py options]`: runs the PyTorch training script
// (models/train.py) with the Python that has torch. The runtime never imports Python; this only
// spares the user the interpreter's path. Every option not listed here is passed through as is.
import type { Command } from "commander";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CliError } from "../errors.ts";

const here = dirname(fileURLToPath(import.meta.url));
const SCRIPT = join(here, "../../../models/train.py");

interface TrainOptions {
  data: string;
  out: string;
  python: string;
  nproc: string;
}

/** The argv that runs the script: plain, or under torchrun with `nproc` processes (DDP). */
export function trainArgv(opts: TrainOptions, rest: string[]): string[] {
  const n = Number(opts.nproc);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`train: --nproc: expected a positive integer, got ${opts.nproc}`);
  const script = [SCRIPT, "--data", opts.data, "--out", opts.out, ...rest];
  if (n === 1) return script;
  // --redirects/--tee 2: Debian's torch 1.13 torchrun fails on Python 3.11 at its default
  // `--redirects 0`; 2 (stderr to a log file, teed to the terminal) works on 1.13 and 2.x alike.
  const logs = join(opts.out, "torchrun-logs");
  return ["-m", "torch.distributed.run", "--nproc_per_node", String(n), "--redirects", "2", "--tee", "2", "--log_dir", logs, ...script];
}

function checkTorch(python: string): void {
  const probe = spawnSync(python, ["-c", "import torch, onnx, numpy"], { encoding: "utf8" });
  if (probe.error) throw new CliError(`train: cannot run ${python} (${probe.error.message}); pass --python PATH`);
  if (probe.status !== 0) {
    throw new CliError(
      `train: ${python} cannot import torch/onnx/numpy; on Debian: apt-get install python3-torch python3-onnx python3-numpy libopenblas0-pthread python3-matplotlib`,
    );
  }
}

export function register(program: Command): void {
  program
    .command("train")
    .description("train the reference model on a dataset export (PyTorch, models/train.py; see models/README.md)")
    .requiredOption("--data <dir>", "dataset folder (index.json + shard-*/), from `omniloop dataset`")
    .requiredOption("--out <dir>", "run folder: checkpoint, metrics, loss.png, REPORT.md, model.onnx, card.json")
    .option("--python <path>", "the Python that has torch", "/usr/bin/python3")
    .option("--nproc <n>", "processes on this machine (torchrun + DistributedDataParallel)", "1")
    .argument("[options...]", "further models/train.py options, e.g. --steps 4000 --layers 4 (python3 models/train.py --help)")
    .allowUnknownOption()
    .action(async (rest: string[], opts: TrainOptions) => {
      if (!existsSync(SCRIPT)) throw new CliError(`train: ${SCRIPT} not found (run from an omniloop checkout)`);
      checkTorch(opts.python);
      const argv = trainArgv(opts, rest);
      const code = await new Promise<number>((resolve, reject) => {
        const child = spawn(opts.python, argv, { stdio: "inherit" });
        child.on("error", reject);
        child.on("exit", (status, signal) => resolve(status ?? (signal ? 128 : 1)));
      });
      if (code !== 0) throw new CliError(`train: models/train.py exited with code ${code}`, code);
    });
}
