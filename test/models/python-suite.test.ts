// Runs the model's Python test suite (models/tests: architecture properties, a short training run
// whose losses fall, export, resume, DDP) so `npm test` covers it. Skipped, with the reason, only
// when /usr/bin/python3 lacks torch/onnx/numpy (`.ci/run` installs them from Debian).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

const PYTHON = "/usr/bin/python3";

function missingDeps(): string | false {
  const probe = spawnSync(PYTHON, ["-c", "import torch, onnx, numpy"], { encoding: "utf8" });
  if (probe.error) return `${PYTHON} cannot run (${probe.error.message})`;
  if (probe.status !== 0) {
    const last = probe.stderr.trim().split("\n").pop() ?? "";
    return `${PYTHON} lacks torch/onnx/numpy (${last}); apt-get install python3-torch python3-onnx python3-numpy libopenblas0-pthread`;
  }
  return false;
}

test("models/tests (Python unittest suite)", { skip: missingDeps(), timeout: 300_000 }, () => {
  const run = spawnSync(PYTHON, ["-m", "unittest", "discover", "-s", "models/tests"], {
    encoding: "utf8",
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    timeout: 290_000,
  });
  const output = `${run.stdout}${run.stderr}`;
  assert.equal(run.status, 0, `python -m unittest discover -s models/tests failed:\n${output}`);
  const ran = /Ran (\d+) tests? in ([\d.]+)s/.exec(output);
  assert.ok(ran && Number(ran[1]) > 0, `the suite ran no test:\n${output}`);
  console.log(`models/tests: ${ran[1]} tests in ${ran[2]} s`);
});
