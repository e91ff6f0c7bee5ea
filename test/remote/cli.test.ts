// The commands as a user runs them: `omniloop keys` writes a pair; `serve-policy` refuses a
// non-loopback bind without a key, before loading anything.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { readKeyPair } from "../../src/policy/remote/keys.ts";

const run = async (args: string[]) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8" });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

test("omniloop keys writes a certificate pair and prints the public key; serve-policy refuses 0.0.0.0 without --key", async () => {
  const dir = mkdtempSync(join(tmpdir(), "omniloop-cli-keys-"));
  const base = join(dir, "keys", "server.key");
  const [keys, serve] = await Promise.all([
    run(["keys", "--out", base]),
    run(["serve-policy", "--model", "test/fixtures/models/micro", "--bind", "zmq://0.0.0.0:5999"]),
  ]);
  assert.equal(keys.code, 0, keys.stderr);
  const pair = readKeyPair(`${base}_secret`);
  assert.equal(keys.stdout.split("\n")[0], `public key ${pair.publicKey}`);
  assert.ok(readFileSync(base, "utf8").includes(pair.publicKey));
  assert.equal(serve.code, 2);
  assert.equal(
    serve.stderr.trim().split("\n").at(-1),
    "omniloop: serve-policy: zmq://0.0.0.0:5999: refusing to bind a non-loopback address without CURVE keys (observations and actions would cross the network unencrypted); pass --key SERVER.key_secret (make one with `omniloop keys`), or use 127.0.0.1",
  );
  const overwrite = await run(["keys", "--out", base]);
  assert.equal(overwrite.code, 2);
  assert.match(overwrite.stderr, /refusing to overwrite a key \(pass --force to replace it/);
});
