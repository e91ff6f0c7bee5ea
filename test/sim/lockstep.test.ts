// The lockstep API: reset gives tick 0 (start event, command, first samples); step advances one
// control tick; the episode's end is announced once on /omniloop/episode and the status latches;
// publishing onto a bus works like any robot's messages.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryBus } from "../../src/bus/memory.ts";
import type { StringMsg } from "../../src/messages/types.ts";
import { Sim, SimStateError, positionCommand } from "../../sim/lockstep.ts";
import { ScriptedExpert } from "../../sim/expert.ts";
import type { Topic } from "../../src/bus/types.ts";

test("reset → tick 0; idle steps time out at the limit; the end event is published once", async () => {
  const sim = await Sim.create({ camera: { enabled: false }, timeoutS: { reach: 1 } });
  assert.throws(() => sim.step(), (e: unknown) => e instanceof SimStateError && /no episode: call reset\(seed, task\) first/.test(e.message));
  const t0 = sim.reset(9, "reach");
  assert.equal(t0.tick, 0);
  assert.deepEqual(t0.messages.slice(0, 2).map((m) => m.topic.name), ["/omniloop/episode", "/omniloop/task"]);
  const start = JSON.parse((t0.messages[0]!.message as StringMsg).data) as Record<string, unknown>;
  assert.deepEqual(start, { event: "start", seed: 9, task: "reach", command: sim.episode.command });
  assert.equal((t0.messages[1]!.message as StringMsg).data, sim.episode.command);
  const events: string[] = [];
  let endedAt = -1;
  for (let i = 1; i <= 15; i++) {
    const t = sim.step();
    assert.equal(t.tick, i);
    assert.ok(Math.abs(t.time - i / 10) < 1e-12);
    for (const m of t.messages) if (m.topic.name === "/omniloop/episode") events.push((m.message as StringMsg).data);
    if (t.ended) endedAt = i;
  }
  assert.equal(endedAt, 10);
  assert.equal(events.length, 1);
  const end = JSON.parse(events[0]!) as Record<string, unknown>;
  assert.deepEqual(end, { event: "end", seed: 9, task: "reach", command: sim.episode.command, outcome: "timeout", reason: "not solved within 1 s", duration_s: 1 });
  assert.equal(sim.status().outcome, "timeout");
  sim.close();
});

test("the expert's episode ends in success at the tick the task is solved; messages go onto a bus", async () => {
  const sim = await Sim.create();
  const bus = new MemoryBus();
  const seen: Record<string, number> = {};
  for (const t of [sim.config.topics.jointStates, sim.config.topics.image, sim.config.topics.detections, sim.config.topics.episode]) {
    bus.subscribe(t as Topic).subscribe(() => (seen[t.name] = (seen[t.name] ?? 0) + 1));
  }
  const publish = (ms: ReturnType<Sim["step"]>["messages"]) => {
    for (const m of ms) (bus.publish as (t: Topic, msg: unknown) => void)(m.topic, m.message);
  };
  const expert = new ScriptedExpert(sim.arm);
  publish(sim.reset(2, "push").messages);
  let t = sim.step([positionCommand(expert.act(sim.truth()))]);
  publish(t.messages);
  while (!t.ended && t.tick < 300) {
    t = sim.step([positionCommand(expert.act(sim.truth()))]);
    publish(t.messages);
  }
  assert.equal(t.status.outcome, "success");
  assert.match(t.status.reason!, /the \w+ block is inside the \w+ zone/);
  assert.equal(seen["/omniloop/episode"], 2);
  assert.equal(seen["/camera/image_raw"], t.tick + 1); // tick 0, then one per 10 Hz tick
  assert.equal(seen["/detections"], t.tick + 1);
  assert.equal(seen["/joint_states"], 5 * t.tick + 1); // 50 Hz
  await bus.close();
  sim.close();
});
