import assert from "node:assert/strict";
import { test } from "node:test";
import { createBus } from "../../src/bus/create.ts";
import { MemoryBus } from "../../src/bus/memory.ts";
import { ZmqBus } from "../../src/bus/zmq.ts";
import { freePortPair } from "./fixtures/ports.ts";

test("createBus picks the transport from the URL", async () => {
  for (const url of ["memory", "memory://"]) {
    const bus = await createBus(url);
    assert.ok(bus instanceof MemoryBus);
    assert.equal(bus.transport, "memory");
    await bus.close();
  }
  const zmq = await createBus(`zmq://127.0.0.1:${await freePortPair()}`, { hub: true });
  assert.ok(zmq instanceof ZmqBus);
  assert.equal(zmq.transport, "zmq");
  await zmq.ready();
  await zmq.close();
});

test("ros2 without a sourced ROS 2 environment fails at once, saying what to source", async (t) => {
  if (process.env.ROS_DISTRO) return t.skip("a ROS 2 environment is sourced here");
  for (const url of ["ros2", "ros2://"]) {
    await assert.rejects(createBus(url), /needs a sourced ROS 2 environment \(ROS_DISTRO and AMENT_PREFIX_PATH are not set\): source your ROS 2 installation first/);
  }
});

test("an unknown scheme lists the known ones", async () => {
  await assert.rejects(createBus("udp://127.0.0.1:9"), /unknown scheme "udp:\/\/"; known: memory:\/\/, zmq:\/\/HOST:PORT, ros2:\/\//);
});
