// The live view against a real loop: model-driven episodes in the simulator (lockstep, tiny test
// model) with the Foxglove server on the episode's tap bus. A viewer speaking the protocol through
// the package's own client receives the camera, joint and surprise channels, every message
// decoding with the schema the server advertised; the loop's pace with two viewers (one stalled)
// stays that of the loop without them; a stalled viewer is bounded and its drops are counted.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { MemoryBus } from "../../src/bus/memory.ts";
import { runSimEpisode } from "../../src/cli/sim-loop.ts";
import { image } from "../../src/messages/make.ts";
import type { Image, JointState } from "../../src/messages/types.ts";
import type { OnnxPolicy } from "../../src/policy/onnx-policy.ts";
import { startFoxgloveServer, FoxgloveServerError } from "../../src/view/foxglove-server.ts";
import { SOURCE_TOPICS, VIEW } from "../../src/view/view-topics.ts";
import type { Sim } from "../../sim/lockstep.ts";
import { loadTiny, shortSim } from "./fixtures.ts";
import { Viewer } from "./viewer-client.ts";

let policy: OnnxPolicy;
let sim: Sim;
before(async () => {
  policy = await loadTiny();
  sim = await shortSim(2); // 21 ticks per episode
  await runSimEpisode(sim, 0, "reach", { policy, tap: new MemoryBus() }); // warm-up: JIT, caches
});
after(() => sim.close());

async function timedEpisode(tap: MemoryBus, seed: number): Promise<{ ms: number; ticks: number }> {
  const t0 = performance.now();
  const r = await runSimEpisode(sim, seed, "reach", { policy, tap });
  return { ms: performance.now() - t0, ticks: r.loop.ticks };
}

test("a viewer receives camera, joints and surprise with valid schemas, while the loop keeps its pace with a stalled viewer attached", async () => {
  const baseline = await timedEpisode(new MemoryBus(), 5);

  const tap = new MemoryBus();
  const server = await startFoxgloveServer(tap, { port: 0, card: policy.card, camera: sim.camera });
  const viewer = new Viewer(server.url);
  const stalled = new Viewer(server.url);
  try {
    await viewer.subscribe();
    await stalled.subscribe();
    stalled.ws.pause(); // stops reading its socket: the server's writes to it back up
    const viewed = await timedEpisode(tap, 5);
    await new Promise((r) => setTimeout(r, 200)); // the last flush, and the socket, drain
    // A second baseline after: the machine's load changes while the suite runs beside us.
    const slower = Math.max(baseline.ms, (await timedEpisode(new MemoryBus(), 5)).ms);

    assert.equal(viewed.ticks, baseline.ticks, "same seed, same episode");

    assert.deepEqual(viewer.invalid, []);
    const camera = viewer.received.get("/camera/image_raw") ?? [];
    assert.equal(camera.length, viewed.ticks, "one camera frame per tick");
    assert.equal(camera[0]!.channel.schemaName, "sensor_msgs/msg/Image");
    assert.equal(camera[0]!.channel.encoding, "cdr");
    const frame = camera[0]!.decoded as Image;
    assert.equal(frame.width, sim.camera.width);
    assert.equal(frame.encoding, "rgb8");
    assert.equal(frame.data.length, frame.step * frame.height);

    const joints = viewer.received.get("/joint_states") ?? [];
    assert.ok(joints.length >= viewed.ticks, `${joints.length} joint states`);
    assert.deepEqual((joints[0]!.decoded as JointState).name, ["shoulder_joint", "elbow_joint", "lift_joint"]);

    const surprise = viewer.received.get(VIEW.surprise) ?? [];
    assert.equal(surprise.length, viewed.ticks, "one surprise per observation");
    assert.equal(surprise[0]!.channel.schemaName, "omniloop.Surprise");
    const later = surprise[5]!.decoded as Record<string, number | null>;
    for (const column of ["pixels", "objects", "action"]) assert.ok(typeof later[column] === "number" && later[column]! >= 0, `surprise.${column} = ${later[column]}`);

    const predicted = viewer.received.get(VIEW.predictedJoints) ?? [];
    assert.equal(predicted.length, viewed.ticks);
    const predictedImage = (viewer.received.get(VIEW.predictedImage) ?? [])[0]?.decoded as Image | undefined;
    assert.equal(predictedImage?.width, 32);
    const annotations = (viewer.received.get(VIEW.annotations) ?? []).at(-1)?.decoded as { points: unknown[]; texts: { text: string }[] };
    assert.ok(annotations.points.length >= 4, "detections drawn as boxes");
    assert.ok(annotations.texts.some((t) => t.text.endsWith("_block")));

    const s = server.stats();
    const mine = s.clients.find((c) => c.dropped === 0 && c.sent > 0);
    assert.ok(mine, `an active viewer got everything: ${JSON.stringify(s.clients)}`);
    assert.equal(s.pendingDropped, 0);

    // Pace, checked last because re-timing sends the viewers more frames: the loop with viewers
    // attached runs as fast as without (generous bound: the viewer's encoding runs on the same
    // thread between ticks). A busy machine only ever adds time (CI failed once at 1636 ms against
    // a 1589 ms bound while the suite ran beside it), so an episode over the bound is timed again,
    // up to twice, and the fastest counts.
    const bound = slower * 1.6 + 400;
    let fastest = viewed.ms;
    for (let retry = 0; retry < 2 && fastest > bound; retry++) fastest = Math.min(fastest, (await timedEpisode(tap, 5)).ms);
    assert.ok(fastest <= bound, `episode took ${fastest.toFixed(0)} ms with viewers (fastest of up to 3) vs ${slower.toFixed(0)} ms without`);
  } finally {
    viewer.close();
    stalled.close();
    await server.close();
  }
});

test("a stalled viewer is bounded: its frames are dropped and counted, the bus never waits, the other viewer gets everything", async () => {
  const bus = new MemoryBus();
  const limit = 8 * 1024 * 1024;
  const server = await startFoxgloveServer(bus, { port: 0, clientBufferBytes: limit, diagnosticsHz: 0 });
  const active = new Viewer(server.url);
  const stalled = new Viewer(server.url);
  try {
    await active.subscribe(["/camera/image_raw"]);
    await stalled.subscribe(["/camera/image_raw"]);
    stalled.ws.pause();
    const big = image({ width: 1024, height: 768, encoding: "rgb8", data: new Uint8Array(1024 * 768 * 3).fill(7) }); // 2.4 MB
    const n = 48; // 113 MB in all: far past the kernel's socket buffers and the bound
    let slowest = 0;
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      bus.publish(SOURCE_TOPICS[0] as typeof SOURCE_TOPICS[0] & { type: "sensor_msgs/msg/Image" }, big);
      slowest = Math.max(slowest, performance.now() - t0);
      await new Promise((r) => setTimeout(r, 10)); // a 100 Hz loop's period: the viewer's work runs here
      // A reading viewer keeps up: on a loaded machine (CI, with other tests beside it) let it
      // catch up before the next frame, so only the stalled one is over its bound. (It once
      // dropped 1 of 48 when the test process itself fell behind reading.)
      for (let w = 0; w < 200 && active.count("/camera/image_raw") < i + 1; w++) await new Promise((r) => setTimeout(r, 10));
    }
    for (let i = 0; i < 100 && active.count("/camera/image_raw") < n; i++) await new Promise((r) => setTimeout(r, 20));
    const s = server.stats();
    const [st, other] = [...s.clients].sort((a, b) => b.dropped - a.dropped);
    assert.ok(st && st.dropped > 0, `the stalled viewer dropped frames: ${JSON.stringify(s.clients)}`);
    assert.ok(st.maxBufferedBytes <= limit + big.data.length + 4096, `buffered ${st.maxBufferedBytes} bytes, bound ${limit}`);
    assert.equal(other?.dropped, 0, `the reading viewer dropped nothing: ${JSON.stringify(s.clients)}`);
    assert.equal(s.channels["/camera/image_raw"]!.dropped, st.dropped, "drops are counted per channel");
    assert.ok(slowest < 20, `publish took up to ${slowest.toFixed(1)} ms: the bus waited on the viewer`);
    assert.equal(active.count("/camera/image_raw"), n, "the viewer that reads gets every frame");
  } finally {
    active.close();
    stalled.close();
    await server.close();
  }
});

test("a port already in use is refused with the address and a fix", async () => {
  const bus = new MemoryBus();
  const first = await startFoxgloveServer(bus, { port: 0, diagnosticsHz: 0 });
  try {
    await assert.rejects(startFoxgloveServer(bus, { port: first.port }), (err: Error) => {
      assert.ok(err instanceof FoxgloveServerError);
      assert.match(err.message, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${first.port}: EADDRINUSE.*--foxglove`));
      return true;
    });
  } finally {
    await first.close();
  }
});
