// `omniloop train`: the argv it hands to Python (plain, or under torchrun for --nproc > 1).
import { test } from "node:test";
import assert from "node:assert/strict";
import { trainArgv } from "../../src/cli/commands/train.ts";
import { CliError } from "../../src/cli/errors.ts";

const opts = { data: "data/sim", out: "runs/r", python: "/usr/bin/python3", nproc: "1" };

test("one process runs models/train.py with the options passed through", () => {
  const argv = trainArgv(opts, ["--steps", "10", "--layers", "2"]);
  assert.match(argv[0]!, /models\/train\.py$/);
  assert.deepEqual(argv.slice(1), ["--data", "data/sim", "--out", "runs/r", "--steps", "10", "--layers", "2"]);
});

test("--nproc N runs the same script under torchrun (DDP)", () => {
  const argv = trainArgv({ ...opts, nproc: "4" }, ["--steps", "10"]);
  assert.deepEqual(argv.slice(0, 10), ["-m", "torch.distributed.run", "--nproc_per_node", "4", "--redirects", "2", "--tee", "2", "--log_dir", "runs/r/torchrun-logs"]);
  assert.match(argv[10]!, /models\/train\.py$/);
  assert.deepEqual(argv.slice(11), ["--data", "data/sim", "--out", "runs/r", "--steps", "10"]);
});

test("a bad --nproc is refused, naming the value", () => {
  assert.throws(() => trainArgv({ ...opts, nproc: "two" }, []), (e: unknown) => e instanceof CliError && e.message === "train: --nproc: expected a positive integer, got two");
});
