// `omniloop bus --bind URL`: the standalone hub, through the real CLI.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { firstValueFrom } from "rxjs";
import { topic } from "../../src/bus/types.ts";
import { ZmqBus } from "../../src/bus/zmq.ts";
import { freePortPair } from "./fixtures/ports.ts";

const bin = join(dirname(fileURLToPath(import.meta.url)), "../../bin/omniloop.js");

test("a standalone hub carries messages between two buses and stops on SIGINT", async () => {
  const url = `zmq://127.0.0.1:${await freePortPair()}`;
  const hub = spawn(process.execPath, [bin, "bus", "--bind", url, "--hwm", "500"], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const [line] = (await once(createInterface({ input: hub.stdout }), "line")) as [string];
    const port = Number(url.split(":")[2]);
    assert.equal(line, `hub ${url}: publishers tcp://127.0.0.1:${port}, subscribers tcp://127.0.0.1:${port + 1}`);
    const [a, b] = await Promise.all([ZmqBus.open(url), ZmqBus.open(url)]);
    const t = topic("/omniloop/said", "std_msgs/msg/String");
    const said = firstValueFrom(b.subscribe(t));
    await Promise.all([a.ready(), b.ready(t)]);
    a.publish(t, { data: "done" });
    assert.deepEqual(await said, { data: "done" });
    await Promise.all([a.close(), b.close()]);
  } finally {
    hub.kill("SIGINT");
  }
  const [code] = (await once(hub, "exit")) as [number];
  assert.equal(code, 0);
});

test("the CLI refuses a non-loopback bind without --allow-remote, exit code 2", async () => {
  const child = spawn(process.execPath, [bin, "bus", "--bind", "zmq://0.0.0.0:7600"], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, "exit")) as [number];
  assert.equal(code, 2);
  assert.equal(stderr, "omniloop: zmq://0.0.0.0:7600: refusing to bind a non-loopback address (bus traffic is unencrypted); pass allowRemote: true (--allow-remote) to accept that, or use 127.0.0.1\n");
});
