// rosbag2-style recordings written WITHOUT omniloop's recorder: @mcap/core's own McapWriter with
// @foxglove/rosmsg2-serialization, laid out the way `ros2 bag record -s mcap` lays them out
// (profile ros2, cdr messages, ros2msg schemas as the .msg files read, comments and all, zstd
// chunks, qos metadata), and a Humble SQLite bag (bag_0.db3 + metadata.yaml) built with sql.js.
import { McapWriter } from "@mcap/core";
import { MessageWriter } from "@foxglove/rosmsg2-serialization";
import { parse } from "@foxglove/rosmsg";
import * as zstd from "@foxglove/wasm-zstd";
import initSqlJs from "sql.js";
import { open } from "node:fs/promises";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const SEP = "=".repeat(80);
const TIME = "# This message communicates ROS Time defined here:\n# https://design.ros2.org/articles/clock_and_time.html\n\n# The seconds component, valid over all int32 values.\nint32 sec\n\n# The nanoseconds component, valid in the range [0, 10e9).\nuint32 nanosec\n";
const HEADER = "# Standard metadata for higher-level stamped data types.\n\n# Two-integer timestamp that is expressed as seconds and nanoseconds.\nbuiltin_interfaces/Time stamp\n\n# Transform frame with which this data is associated.\nstring frame_id\n";

/** Schema texts as rosbag2 (Humble) stores them: each .msg file verbatim, comments included. */
export const ROSBAG2_SCHEMAS: Record<string, string> = {
  "sensor_msgs/msg/Image": `# This message contains an uncompressed image\n# (0, 0) is at top-left corner of image\n\nstd_msgs/Header header # Header timestamp should be acquisition time of image\n\nuint32 height                # image height, that is, number of rows\nuint32 width                 # image width, that is, number of columns\n\nstring encoding       # Encoding of pixels -- channel meaning, ordering, size\n\nuint8 is_bigendian    # is this data bigendian?\nuint32 step           # Full row length in bytes\nuint8[] data          # actual matrix data, size is (step * rows)\n\n${SEP}\nMSG: std_msgs/Header\n${HEADER}\n${SEP}\nMSG: builtin_interfaces/Time\n${TIME}`,
  "sensor_msgs/msg/JointState": `# This is a message that holds data to describe the state of a set of torque controlled joints.\n\nstd_msgs/Header header\n\nstring[] name\nfloat64[] position\nfloat64[] velocity\nfloat64[] effort\n\n${SEP}\nMSG: std_msgs/Header\n${HEADER}\n${SEP}\nMSG: builtin_interfaces/Time\n${TIME}`,
  "trajectory_msgs/msg/JointTrajectory": `std_msgs/Header header\n\n# The names of the active joints in each trajectory point.\nstring[] joint_names\n\n# Array of trajectory points.\nJointTrajectoryPoint[] points\n\n${SEP}\nMSG: std_msgs/Header\n${HEADER}\n${SEP}\nMSG: builtin_interfaces/Time\n${TIME}\n${SEP}\nMSG: trajectory_msgs/JointTrajectoryPoint\nfloat64[] positions\nfloat64[] velocities\nfloat64[] accelerations\nfloat64[] effort\nbuiltin_interfaces/Duration time_from_start\n\n${SEP}\nMSG: builtin_interfaces/Duration\nint32 sec\nuint32 nanosec\n`,
  // A type omniloop has no definition of; the file carries its schema, so it still decodes.
  "tf2_msgs/msg/TFMessage": `geometry_msgs/TransformStamped[] transforms\n\n${SEP}\nMSG: geometry_msgs/TransformStamped\nstd_msgs/Header header\nstring child_frame_id\nTransform transform\n\n${SEP}\nMSG: std_msgs/Header\n${HEADER}\n${SEP}\nMSG: builtin_interfaces/Time\n${TIME}\n${SEP}\nMSG: geometry_msgs/Transform\nVector3 translation\nQuaternion rotation\n\n${SEP}\nMSG: geometry_msgs/Vector3\nfloat64 x\nfloat64 y\nfloat64 z\n\n${SEP}\nMSG: geometry_msgs/Quaternion\nfloat64 x 0\nfloat64 y 0\nfloat64 z 0\nfloat64 w 1\n`,
};

const QOS = "- history: 3\n  depth: 0\n  reliability: 1\n  durability: 2\n  deadline:\n    sec: 9223372036\n    nsec: 854775807\n  lifespan:\n    sec: 9223372036\n    nsec: 854775807\n  liveliness: 1\n  liveliness_lease_duration:\n    sec: 9223372036\n    nsec: 854775807\n  avoid_ros_namespace_conventions: false";

export const T0 = 1_712_000_000_000_000_000n; // ns since the epoch
export const JOINTS = ["shoulder", "elbow"];

const header = (t: bigint, frame: string) => ({ stamp: { sec: Number(t / 1_000_000_000n), nanosec: Number(t % 1_000_000_000n) }, frame_id: frame });
const writerFor = (type: string) => new MessageWriter(parse(ROSBAG2_SCHEMAS[type]!, { ros2: true }));

export interface BagMessage {
  topic: string;
  type: string;
  time: bigint;
  data: Uint8Array;
}

/** The teleop session: 2 s of a 64×48 bgr8 camera at 15 Hz, joints at 50 Hz, trajectory commands at
 * 10 Hz, /tf at 10 Hz, and 3 messages on a topic whose bytes are broken (undecodable). */
export function teleopSession(): BagMessage[] {
  const img = writerFor("sensor_msgs/msg/Image");
  const js = writerFor("sensor_msgs/msg/JointState");
  const traj = writerFor("trajectory_msgs/msg/JointTrajectory");
  const tf = writerFor("tf2_msgs/msg/TFMessage");
  const out: BagMessage[] = [];
  for (let ms = 0; ms < 2000; ms += 2) {
    const t = T0 + BigInt(ms) * 1_000_000n;
    if (ms % 20 === 0) {
      const q = [Math.sin(ms / 1000), 0.5 + 0.25 * Math.cos(ms / 1000)];
      out.push({ topic: "/joint_states", type: "sensor_msgs/msg/JointState", time: t, data: js.writeMessage({ header: header(t, ""), name: [...JOINTS, "gripper"], position: Float64Array.of(q[0]!, q[1]!, 0.01), velocity: new Float64Array(0), effort: new Float64Array(0) }) });
    }
    if (ms % 66 === 0) {
      const data = new Uint8Array(64 * 48 * 3);
      for (let i = 0; i < data.length; i += 3) data.set([40, 80, (ms / 8) & 255], i); // bgr8: blue varies with time
      out.push({ topic: "/camera/color/image_raw", type: "sensor_msgs/msg/Image", time: t, data: img.writeMessage({ header: header(t, "camera_color_optical_frame"), height: 48, width: 64, encoding: "bgr8", is_bigendian: 0, step: 192, data }) });
    }
    if (ms % 100 === 0) {
      const point = { positions: Float64Array.of(0.3, 1.2), velocities: new Float64Array(0), accelerations: new Float64Array(0), effort: new Float64Array(0), time_from_start: { sec: 0, nanosec: 100_000_000 } };
      out.push({ topic: "/arm_controller/joint_trajectory", type: "trajectory_msgs/msg/JointTrajectory", time: t, data: traj.writeMessage({ header: header(t, ""), joint_names: JOINTS, points: [point] }) });
      out.push({ topic: "/tf", type: "tf2_msgs/msg/TFMessage", time: t, data: tf.writeMessage({ transforms: [{ header: header(t, "base_link"), child_frame_id: "tool0", transform: { translation: { x: 0.1, y: 0, z: 0.2 }, rotation: { x: 0, y: 0, z: 0, w: 1 } } }] }) });
    }
    if (ms === 500 || ms === 1000 || ms === 1500) {
      // Claims a 1 MB string in 8 bytes: a corrupt message on a known type.
      out.push({ topic: "/joint_states_broken", type: "sensor_msgs/msg/JointState", time: t, data: Uint8Array.of(0, 1, 0, 0, 0, 0, 0x10, 0) });
    }
  }
  return out;
}

/** `ros2 bag record -s mcap`'s layout, written by @mcap/core's McapWriter. */
export async function writeRosbag2Mcap(path: string, messages: BagMessage[], opts: { chunked?: boolean } = {}): Promise<void> {
  await zstd.isLoaded;
  const fh = await open(path, "w");
  let pos = 0n;
  const writer = new McapWriter({
    writable: { position: () => pos, write: async (b: Uint8Array) => { await fh.write(b); pos += BigInt(b.byteLength); } },
    chunkSize: 64 * 1024,
    useChunks: opts.chunked ?? true,
    compressChunk: (data) => ({ compression: "zstd", compressedData: zstd.compress(data, 3) }),
  });
  await writer.start({ profile: "ros2", library: "librosbag2_storage_mcap" });
  const channels = new Map<string, number>();
  for (const m of messages) {
    let id = channels.get(m.topic);
    if (id === undefined) {
      const text = ROSBAG2_SCHEMAS[m.type]!;
      const schemaId = await writer.registerSchema({ name: m.type, encoding: "ros2msg", data: new TextEncoder().encode(text) });
      id = await writer.registerChannel({ topic: m.topic, schemaId, messageEncoding: "cdr", metadata: new Map([["offered_qos_profiles", QOS]]) });
      channels.set(m.topic, id);
    }
    await writer.addMessage({ channelId: id, sequence: 0, logTime: m.time, publishTime: m.time, data: m.data });
  }
  await writer.addMetadata({ name: "rosbag2", metadata: new Map([["serialized_metadata", "rosbag2_bagfile_information:\n  version: 8\n"]]) });
  await writer.end();
  await fh.close();
}

/** A Humble SQLite bag: DIR/bag_0.db3 and DIR/metadata.yaml, as rosbag2_storage_default_plugins
 * writes them. A .db3 holds no schemas: /tf's type (tf2_msgs/TFMessage) is one omniloop has no
 * definition of, so there it is undecodable. */
export async function writeRosbag2Db3(dir: string, messages: BagMessage[]): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  db.run("CREATE TABLE schema(schema_version INTEGER PRIMARY KEY,ros_distro TEXT NOT NULL);");
  db.run("INSERT INTO schema VALUES (3, 'humble');");
  db.run("CREATE TABLE topics(id INTEGER PRIMARY KEY,name TEXT NOT NULL,type TEXT NOT NULL,serialization_format TEXT NOT NULL,offered_qos_profiles TEXT NOT NULL);");
  db.run("CREATE TABLE messages(id INTEGER PRIMARY KEY,topic_id INTEGER NOT NULL,timestamp INTEGER NOT NULL, data BLOB NOT NULL);");
  db.run("CREATE INDEX timestamp_idx ON messages (timestamp ASC);");
  const ids = new Map<string, number>();
  const counts = new Map<string, number>();
  for (const m of messages) {
    let id = ids.get(m.topic);
    if (id === undefined) {
      id = ids.size + 1;
      ids.set(m.topic, id);
      db.run("INSERT INTO topics VALUES (?, ?, ?, 'cdr', ?)", [id, m.topic, m.type, QOS]);
    }
    // Timestamps past 2^53 go in as text, which SQLite stores as the INTEGER column's affinity asks.
    db.run("INSERT INTO messages (topic_id, timestamp, data) VALUES (?, CAST(? AS INTEGER), ?)", [id, m.time.toString(), m.data]);
    counts.set(m.topic, (counts.get(m.topic) ?? 0) + 1);
  }
  writeFileSync(join(dir, "bag_0.db3"), db.export());
  db.close();
  const start = messages[0]!.time;
  const duration = messages.at(-1)!.time - start;
  const topics = [...ids.keys()].map((name) => {
    const type = messages.find((m) => m.topic === name)!.type;
    return `    - topic_metadata:\n        name: ${name}\n        type: ${type}\n        serialization_format: cdr\n        offered_qos_profiles: "${QOS.replace(/\n/g, "\\n")}"\n      message_count: ${counts.get(name)}`;
  });
  writeFileSync(
    join(dir, "metadata.yaml"),
    `rosbag2_bagfile_information:\n  version: 5\n  storage_identifier: sqlite3\n  duration:\n    nanoseconds: ${duration}\n  starting_time:\n    nanoseconds_since_epoch: ${start}\n  message_count: ${messages.length}\n  topics_with_message_count:\n${topics.join("\n")}\n  compression_format: ""\n  compression_mode: ""\n  relative_file_paths:\n    - bag_0.db3\n  files:\n    - path: bag_0.db3\n      starting_time:\n        nanoseconds_since_epoch: ${start}\n      duration:\n        nanoseconds: ${duration}\n      message_count: ${messages.length}\n`,
  );
}
