// rosbag2 recordings made by another code path open directly: inspect and replay work on a
// `ros2 bag record -s mcap`-style file and on a Humble .db3 bag folder; import turns either into an
// omniloop log with observation omnitokens; undecodable messages are counted per topic.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryBus } from "../../src/bus/memory.ts";
import { openLog, type LogReader } from "../../src/log/reader.ts";
import { replay } from "../../src/log/replay.ts";
import { importLog } from "../../src/log/import.ts";
import { decoderFor } from "../../src/log/decode.ts";
import { loadTopicMap } from "../../src/log/topic-map.ts";
import type { Omnitoken } from "../../src/omnitoken/types.ts";
import { CARD } from "./fixtures.ts";
import { T0, teleopSession, writeRosbag2Db3, writeRosbag2Mcap } from "./rosbag2-fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "omniloop-bag-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const session = teleopSession();
const count = (topic: string) => session.filter((m) => m.topic === topic).length;
const mcapPath = join(dir, "teleop_0.mcap");
const bagDir = join(dir, "teleop_db3");
const ready = Promise.all([writeRosbag2Mcap(mcapPath, session), writeRosbag2Db3(bagDir, session)]);

const MAP = `# which bag topics feed which card columns
columns:
  pixels: /camera/color/image_raw
  action: /joint_states
commands: [/arm_controller/joint_trajectory]
command_text: pick up the cube
stale_s: 0.2
`;

for (const kind of ["mcap", "db3"] as const) {
  const open = async (): Promise<LogReader> => {
    await ready;
    return openLog(kind === "mcap" ? mcapPath : bagDir);
  };

  test(`inspect summarises a rosbag2 ${kind} recording`, async () => {
    const s = await (await open()).summary();
    assert.equal(s.format, kind === "mcap" ? "mcap" : "rosbag2-db3");
    assert.equal(s.closedCleanly, true);
    assert.equal(s.messageCount, session.length);
    assert.equal(s.start, T0);
    const byTopic = Object.fromEntries(s.topics.map((t) => [t.topic, t]));
    assert.equal(byTopic["/joint_states"]!.count, count("/joint_states"));
    assert.equal(byTopic["/camera/color/image_raw"]!.type, "sensor_msgs/msg/Image");
    assert.equal(byTopic["/tf"]!.count, count("/tf"));
    if (kind === "mcap") assert.equal(s.profile, "ros2");
  });

  test(`replay publishes a rosbag2 ${kind} recording unchanged, and says what it could not`, async () => {
    const bus = new MemoryBus();
    const stamps: number[] = [];
    bus.subscribe({ name: "/joint_states", type: "sensor_msgs/msg/JointState" }).subscribe((m) => stamps.push(m.header.stamp.nanosec));
    const r = await replay(await open(), bus, { max: true });
    assert.equal(r.byTopic["/joint_states"], count("/joint_states"));
    assert.equal(r.byTopic["/camera/color/image_raw"], count("/camera/color/image_raw"));
    assert.equal(r.byTopic["/arm_controller/joint_trajectory"], count("/arm_controller/joint_trajectory"));
    assert.deepEqual(stamps.slice(0, 3), [0, 20_000_000, 40_000_000], "in recorded order");
    const skipped = Object.fromEntries(r.skipped.map((s) => [s.topic, s]));
    assert.equal(skipped["/tf"]!.count, count("/tf"));
    assert.match(skipped["/tf"]!.reason, /tf2_msgs\/msg\/TFMessage is not one the bus carries/);
    assert.equal(skipped["/joint_states_broken"]!.count, 3);
    assert.match(skipped["/joint_states_broken"]!.reason, /sensor_msgs\/msg\/JointState: 8 bytes do not decode as CDR/);
  });

  test(`import turns a rosbag2 ${kind} recording into an omniloop log with observations`, async () => {
    const mapPath = join(dir, `map-${kind}.yaml`);
    writeFileSync(mapPath, MAP);
    const out = join(dir, `imported-${kind}.mcap`);
    const r = await importLog(await open(), "bag", { out, card: CARD, map: loadTopicMap(mapPath, CARD) });
    assert.equal(r.messages, session.length, "every message copied");
    assert.equal(r.episodes, 1);
    // 2 s at the card's 10 Hz from the first message: ticks at 0.0 … 1.9 s (the last message is at 1.998 s).
    assert.equal(r.observations, 20);
    const undecodable = Object.fromEntries(r.undecodable.map((u) => [u.topic, u]));
    assert.equal(undecodable["/joint_states_broken"]!.count, 3);
    if (kind === "db3") {
      // A .db3 carries no schemas and omniloop has no definition of tf2_msgs/TFMessage.
      assert.equal(undecodable["/tf"]!.count, count("/tf"));
      assert.match(undecodable["/tf"]!.reason, /no definition of tf2_msgs\/msg\/TFMessage/);
    } else assert.equal(undecodable["/tf"], undefined, "the MCAP carries /tf's schema");

    const log = await openLog(out);
    const s = await log.summary();
    assert.equal(s.closedCleanly, true);
    assert.ok(s.metadata["omniloop.topic_map"], "the map is stored for a later dataset export");
    const sourceBytes = new Map(session.map((m) => [`${m.topic}@${m.time}`, m.data]));
    const tokens: Omnitoken[] = [];
    for await (const m of log.messages()) {
      if (m.channel.topic === "/omniloop/observation") {
        const d = decoderFor(m.channel);
        assert.ok(d.ok);
        tokens.push(d.decode(m.data) as Omnitoken);
      } else {
        assert.deepEqual(m.data, sourceBytes.get(`${m.channel.topic}@${m.logTime}`), "copied byte for byte");
        if (kind === "db3" && m.channel.topic === "/joint_states") assert.equal(m.channel.schemaEncoding, "ros2msg", "a definition was added");
      }
    }
    assert.equal(tokens.length, 20);
    const t5 = tokens[5]!;
    assert.equal(t5.columns.pixels!.origin, "observed");
    assert.equal(t5.columns.objects!.origin, "absent", "no topic feeds objects");
    assert.equal(t5.columns.action!.origin, "observed");
    // bgr8 [40, 80, b] → rgb: red channel is the last byte (b = ms / 8 at the latest frame).
    assert.ok(Math.abs(t5.columns.pixels!.data[1]! - 80 / 255) < 1e-6, "green");
    assert.ok(Math.abs(t5.columns.pixels!.data[2]! - 40 / 255) < 1e-6, "blue channel from the first bgr byte");
    // Joint values at tick 5 (0.5 s): shoulder sin(0.5) in [-2, 2], elbow 0.5 + 0.25cos(0.5) in [-1, 3].
    const shoulder = Math.sin(0.5);
    const elbow = 0.5 + 0.25 * Math.cos(0.5);
    assert.ok(Math.abs(t5.columns.action!.data[0]! - shoulder / 2) < 1e-6);
    assert.ok(Math.abs(t5.columns.action!.data[1]! - ((elbow + 1) / 2 - 1)) < 1e-6);
    assert.equal(t5.columns.text!.data[0], 256, "PAD: nothing to say");
  });
}

test("an MCAP without chunks (messages at the top level) reads the same", async () => {
  const path = join(dir, "unchunked.mcap");
  await writeRosbag2Mcap(path, session, { chunked: false });
  const log = await openLog(path);
  let n = 0;
  for await (const m of log.messages()) {
    assert.deepEqual(m.data, session[n]!.data);
    n++;
  }
  assert.equal(n, session.length);
  assert.equal((await log.summary()).messageCount, session.length);
});

test("a bag folder whose metadata.yaml names a missing file, or another storage, is a clear error", async () => {
  await ready;
  const bad = join(dir, "bad_bag");
  await writeRosbag2Db3(bad, session.slice(0, 5));
  writeFileSync(join(bad, "metadata.yaml"), "rosbag2_bagfile_information:\n  storage_identifier: sqlite3\n  relative_file_paths: [missing_0.db3]\n");
  await assert.rejects(openLog(bad), /metadata\.yaml: lists missing_0\.db3, which is not in/);
  writeFileSync(join(bad, "metadata.yaml"), "rosbag2_bagfile_information:\n  storage_identifier: mcap\n  relative_file_paths: [bag_0.mcap]\n");
  await assert.rejects(openLog(bad), /storage_identifier is "mcap"; this reader takes "sqlite3"/);
  const notDb = join(dir, "not.db3");
  writeFileSync(notDb, "SQLite? no.");
  await assert.rejects(async () => (await openLog(notDb)).summary(), /not\.db3: not a rosbag2 SQLite bag/);
});
