// Dataset export: logs → the docs/CONVENTIONS.md layout, read back in Python with numpy alone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Recorder } from "../../src/log/recorder.ts";
import { exportDataset, splitOf, type DatasetIndex } from "../../src/log/dataset.ts";
import { CARD } from "./fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "omniloop-ds-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const S = 1_000_000_000n;
const EPISODE = { name: "/omniloop/episode", type: "std_msgs/msg/String" } as const;
const JOINTS = { name: "/joint_states", type: "sensor_msgs/msg/JointState" } as const;
const CMD = { name: "/forward_position_controller/commands", type: "std_msgs/msg/Float64MultiArray" } as const;
const CAMERA = { name: "/camera/image_raw", type: "sensor_msgs/msg/Image" } as const;

/** A log of `n` episodes, each 1 s: joints at 20 Hz (shoulder = episode/10 + t), a 4×4 camera at 5 Hz,
 * commands [shoulder 1, elbow -1] at 10 Hz from 0.3 s, outcome success for even episodes. */
async function makeLog(path: string, n: number): Promise<void> {
  const rec = await Recorder.open({ out: path, timer: false });
  for (let e = 0; e < n; e++) {
    const t0 = BigInt(e) * 2n * S;
    rec.write(EPISODE, { data: JSON.stringify({ event: "start", seed: e, task: "reach", command: `reach ${e}` }) }, t0);
    for (let ms = 0; ms <= 1000; ms += 50) {
      const t = t0 + BigInt(ms) * 1_000_000n;
      const stamp = { sec: Number(t / S), nanosec: Number(t % S) };
      rec.write(JOINTS, { header: { stamp, frame_id: "" }, name: ["elbow", "shoulder"], position: Float64Array.of(1, e * 0.1 + ms / 1000), velocity: new Float64Array(0), effort: new Float64Array(0) }, t);
      if (ms % 200 === 0) rec.write(CAMERA, { header: { stamp, frame_id: "camera" }, height: 4, width: 4, encoding: "rgb8", is_bigendian: 0, step: 12, data: new Uint8Array(48).fill(51 * (e % 5)) }, t);
      if (ms >= 250 && ms % 100 === 0) rec.write(CMD, { layout: { dim: [], data_offset: 0 }, data: Float64Array.of(1, -1) }, t);
    }
    rec.write(EPISODE, { data: JSON.stringify({ event: "end", outcome: e % 2 === 0 ? "success" : "timeout" }) }, t0 + S);
  }
  rec.close();
}

function python(): string | undefined {
  for (const exe of ["python3", "/usr/bin/python3"]) {
    if (spawnSync(exe, ["-c", "import numpy"], { encoding: "utf8" }).status === 0) return exe;
  }
  return undefined;
}

test("episodes become prefix + ticks + done suffix, in shards numpy reads", async (t) => {
  const log = join(dir, "episodes.mcap");
  await makeLog(log, 3);
  const out = join(dir, "ds");
  const result = await exportDataset([log], { card: CARD, out, valFraction: 0.5 });
  const index = JSON.parse(readFileSync(join(out, "index.json"), "utf8")) as DatasetIndex;
  assert.equal(index.format, "omniloop-dataset");
  assert.deepEqual(index.columns, ["text", "pixels", "objects", "action"]);
  assert.equal(index.episodes.length, 3);
  const e0 = index.episodes[0]!;
  // "reach 0" → BOS + 7 bytes + SEP; 11 ticks (0.0 … 1.0 s at 10 Hz); success → "done" + EOS.
  assert.deepEqual([e0.command, e0.ticks, e0.length, e0.outcome], ["reach 0", 11, 9 + 11 + 5, "success"]);
  assert.equal(index.episodes[1]!.length, 9 + 11, "no done suffix after a timeout");
  for (const e of index.episodes) assert.equal(e.split, splitOf("episodes.mcap", e.id, 0.5));
  assert.equal(result.tokens, index.episodes.reduce((a, e) => a + e.length, 0));

  const py = python();
  if (!py) return t.skip("no python3 with numpy on this machine");
  const script = `
import json, sys, numpy as np
root = sys.argv[1]
ix = json.load(open(root + "/index.json"))
sh = root + "/" + ix["shards"][0]["dir"] + "/"
a = {n: np.load(sh + n + ".npy") for n in ["text_ids", "pixels", "objects", "action", "command", "present", "episode", "step"]}
N = ix["shards"][0]["tokens"]
assert a["text_ids"].dtype == np.int64 and a["text_ids"].shape == (N,)
assert a["pixels"].dtype == np.float32 and a["pixels"].shape == (N, 48)
assert a["objects"].shape == (N, 14) and a["action"].shape == (N, 2) and a["command"].shape == (N, 2)
assert a["present"].shape == (N, 4) and a["episode"].dtype == np.int32 and a["step"].dtype == np.int32
e0 = ix["episodes"][0]
ids = a["text_ids"][:e0["length"]]
assert ids[0] == 257 and bytes(ids[1:8].astype(np.uint8)).decode() == "reach 0" and ids[8] == 259, ids[:9]
assert (ids[9:20] == 256).all(), "PAD on every tick"
assert list(ids[20:]) == [100, 111, 110, 101, 258], "done EOS"
assert (a["present"][:9] == [1, 0, 0, 0]).all(), "prefix: text only"
assert (a["present"][9:20, [0, 1, 3]] == 1).all() and (a["present"][9:20, 2] == 0).all(), "ticks: no detections topic"
# action = [shoulder, elbow] normalised: shoulder (t) in [-2, 2] → t / 2; elbow 1 in [-1, 3] → 0.
assert np.allclose(a["action"][9:20, 0], np.arange(11) / 10 / 2, atol=1e-6), a["action"][9:20, 0]
assert np.allclose(a["action"][9:20, 1], 0)
assert np.isnan(a["command"][9:12]).all() and np.allclose(a["command"][12:20], [[0.5, -1.0]]), a["command"][9:20]
assert np.isnan(a["command"][:9]).all()
assert (a["episode"] == np.repeat(np.arange(3), [e["length"] for e in ix["episodes"]])).all()
assert (a["step"][:e0["length"]] == np.arange(e0["length"])).all()
e2 = ix["episodes"][2]
assert np.allclose(a["pixels"][e2["start"] + 9], 102 / 255), "episode 2's camera"
print("ok", N)
`;
  const r = spawnSync(py, ["-c", script, out], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /^ok \d+/);
});

test("shards hold whole episodes; the split is the same every run", async () => {
  const log = join(dir, "many.mcap");
  await makeLog(log, 6);
  const a = await exportDataset([log], { card: CARD, out: join(dir, "dsa"), shardTokens: 50 });
  const b = await exportDataset([log], { card: CARD, out: join(dir, "dsb"), shardTokens: 50 });
  assert.ok(a.index.shards.length >= 3);
  for (const s of a.index.shards) assert.ok(s.tokens <= 50 || s.episodes[0] === s.episodes[1], "over the limit only for one long episode");
  for (const e of a.index.episodes) {
    const s = a.index.shards[e.shard]!;
    assert.ok(e.start + e.length <= s.tokens && e.id >= s.episodes[0] && e.id <= s.episodes[1], `episode ${e.id} inside shard ${e.shard}`);
  }
  assert.deepEqual(a.index.episodes.map((e) => e.split), b.index.episodes.map((e) => e.split));
  for (const f of ["text_ids", "pixels", "present"]) {
    assert.deepEqual(readFileSync(join(dir, "dsa/shard-00001", `${f}.npy`)), readFileSync(join(dir, "dsb/shard-00001", `${f}.npy`)));
  }
});

test("a message that does not fit the card leaves its column absent and is reported, not fatal", async () => {
  const log = join(dir, "misfit.mcap");
  const rec = await Recorder.open({ out: log, timer: false });
  for (let ms = 0; ms <= 500; ms += 100) {
    const t = BigInt(ms) * 1_000_000n;
    // No "elbow": the card's action column cannot be filled from this joint state.
    rec.write(JOINTS, { header: { stamp: { sec: 0, nanosec: 0 }, frame_id: "" }, name: ["shoulder"], position: Float64Array.of(0.5), velocity: new Float64Array(0), effort: new Float64Array(0) }, t);
    rec.write(CAMERA, { header: { stamp: { sec: 0, nanosec: 0 }, frame_id: "camera" }, height: 4, width: 4, encoding: "rgb8", is_bigendian: 0, step: 12, data: new Uint8Array(48) }, t);
  }
  rec.close();
  const r = await exportDataset([log], { card: CARD, out: join(dir, "ds-misfit") });
  assert.equal(r.index.episodes.length, 1);
  assert.equal(r.index.episodes[0]!.ticks, 6);
  const problem = r.problems[0]!.undecodable.find((u) => u.topic === "/joint_states")!;
  assert.equal(problem.count, 6, "each joint state counted once");
  assert.match(problem.reason, /joint "elbow" of the card is missing/);
  const present = readFileSync(join(dir, "ds-misfit/shard-00000/present.npy")).subarray(128);
  const rows = new Float32Array(present.buffer, present.byteOffset, present.byteLength / 4);
  assert.deepEqual(Array.from(rows.subarray(2 * 4, 3 * 4)), [1, 1, 0, 0], "third token (first tick): text and pixels, no action");
});
