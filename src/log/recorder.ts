// The recorder: bus messages into MCAP logs. ROS 2 messages as CDR with ros2msg schemas, omnitokens
// as msgpack with the model card as schema, metadata records (version, configuration, card).
// Chunked and compressed; a chunk is closed when full or when its oldest message has waited
// `flushIntervalMs`, so a recorder killed at any moment loses at most that long, plus the few
// milliseconds a full chunk spends on a worker thread being compressed and written (`write()`
// does not wait for that unless several chunks are already outstanding; see mcap-writer.ts).
// Rotation by size or duration starts a new, complete file (`STEM_0.mcap`, `STEM_1.mcap`, …).
import { dirname, basename, extname, join } from "node:path";
import { parse as parseMsgDefinition } from "@foxglove/rosmsg";
import { MessageWriter } from "@foxglove/rosmsg2-serialization";
import type { Topic, BusTypeName, BusMessageTypes } from "../bus/types.ts";
import type { ModelCard } from "../omnitoken/card-types.ts";
import type { Omnitoken } from "../omnitoken/types.ts";
import { encodeOmnitoken } from "../omnitoken/codec.ts";
import { fullDefinition } from "../messages/definitions.ts";
import { cdrCodecFor } from "./cdr.ts";
import { chunkCompressor, chunkOffload, loadCodecs, type Compression } from "./compression.ts";
import { ChunkedMcapWriter, fileSink } from "./mcap-writer.ts";
import {
  CARD_SCHEMA_ENCODING, CDR, LIBRARY, META_CARD, META_OMNILOOP, MSGPACK, OMNITOKEN_TYPE, PROFILE, ROS2MSG,
  SOFTWARE_VERSION, secondsToNs, stampToNs,
} from "./layout.ts";

export interface RecorderOptions {
  /** FILE.mcap; with rotation, files are named FILE_0.mcap, FILE_1.mcap, … beside it. */
  out: string;
  /** Chunk compression (default "auto": zstd, rosbag2's default, for every chunk except those a
   * zstd sample shows to be entropy-bound — camera frames with sensor noise — which are lz4: on
   * such frames lz4 decompresses ~3× as fast and compresses about as fast, for chunks ~1.3× as
   * large; see compression.ts). "zstd" or "lz4" use one codec for every chunk; lz4 logs replay fastest.
   * "none" records fastest and takes the most disk. Every choice is readable by any MCAP reader. */
  compression?: Compression;
  /** zstd level (default 1). Negative levels compress faster and worse: on camera noise -3
   * compresses 1.3–1.9× faster for files 1.5× as large, and writing the larger files gives most
   * of that back (recording measured ~7% faster per CPU second). */
  zstdLevel?: number;
  /** Store a chunk uncompressed when compressing it would save less than a tenth (default true):
   * incompressible data (already-compressed images, random payloads) then costs neither the
   * compression nor, on every replay, the decompression. Chunks stay readable by any MCAP reader.
   * false compresses every chunk. See compression.ts. */
  adaptiveCompression?: boolean;
  /** Close a chunk past this many uncompressed bytes (default 4 MiB). */
  chunkBytes?: number;
  /** Close a chunk once its oldest message has waited this long (default 500 ms): the most a
   * killed recorder can lose. */
  flushIntervalMs?: number;
  /** Start a new file past this many bytes. */
  rotateBytes?: number;
  /** Start a new file after this many seconds of log time. */
  rotateSeconds?: number;
  /** The model card: schema of the omnitoken channels, and a metadata record. */
  card?: ModelCard;
  /** Free-form configuration stored as JSON in the `omniloop` metadata record. */
  config?: unknown;
  /** Log time of a message written without one, in ns since the epoch (default: the wall clock,
   * kept monotonic). */
  now?: () => bigint;
  /** Run a timer that closes idle chunks (default true; tests that drive `tick()` turn it off). */
  timer?: boolean;
}

/** A channel as an MCAP writer needs it: what to register the first time a topic is written. */
export interface ChannelSpec {
  topic: string;
  schemaName: string;
  schemaEncoding: string;
  schemaData: Uint8Array;
  messageEncoding: string;
  metadata?: Map<string, string>;
}

export interface RecordingResult {
  files: string[];
  messages: number;
  bytes: number;
}

interface OpenChannel {
  id: number;
  sequence: number;
}

/** Wall-clock nanoseconds that never go backwards within this process. */
export function monotonicWallClock(): () => bigint {
  const origin = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
  return () => origin + process.hrtime.bigint();
}

const encoder = new TextEncoder();

export class Recorder {
  readonly #opts: RecorderOptions;
  readonly #now: () => bigint;
  readonly #specs = new Map<string, ChannelSpec>();
  readonly #encoders = new Map<string, (message: unknown) => Uint8Array>();
  readonly #files: string[] = [];
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #extraMetadata = new Map<string, Record<string, string>>();
  #writer!: ChunkedMcapWriter;
  #channels = new Map<string, OpenChannel>();
  #fileStart: bigint | undefined;
  #pendingSince: bigint | undefined; // hrtime of the oldest message in the open chunk
  #messages = 0;
  #bytesClosed = 0;
  #scratch = new ArrayBuffer(4096);
  #closed = false;

  private constructor(opts: RecorderOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? monotonicWallClock();
    this.#openFile();
    if (opts.timer !== false) {
      const every = Math.max(10, (opts.flushIntervalMs ?? 500) / 4);
      this.#timer = setInterval(() => this.tick(), every);
      this.#timer.unref();
    }
  }

  static async open(opts: RecorderOptions): Promise<Recorder> {
    await loadCodecs();
    return new Recorder(opts);
  }

  get files(): readonly string[] {
    return this.#files;
  }

  get messageCount(): number {
    return this.#messages;
  }

  /** Records a bus message. `logTime` defaults to now; publish time is the header stamp (or the
   * omnitoken's stamp) when the message has one. */
  write<K extends BusTypeName>(topic: Topic<K>, message: BusMessageTypes[K], logTime?: bigint): void {
    const spec = this.#specs.get(topic.name) ?? this.#register(topic);
    const encode = this.#encoders.get(topic.name)!;
    const t = logTime ?? this.#now();
    this.writeEncoded(spec, encode(message), t, publishTimeOf(message) ?? t);
  }

  /** Records an already-encoded message (an import copying CDR bytes as they are). */
  writeEncoded(spec: ChannelSpec, data: Uint8Array, logTime: bigint, publishTime: bigint): void {
    if (this.#closed) throw new Error(`recorder: write on "${spec.topic}" after close`);
    this.#specs.set(spec.topic, spec);
    this.#maybeRotate(logTime);
    let ch = this.#channels.get(spec.topic);
    if (!ch) {
      const schemaId = this.#writer.addSchema(spec.schemaName, spec.schemaEncoding, spec.schemaData);
      ch = { id: this.#writer.addChannel(spec.topic, schemaId, spec.messageEncoding, spec.metadata), sequence: 0 };
      this.#channels.set(spec.topic, ch);
    }
    this.#fileStart ??= logTime;
    this.#pendingSince ??= process.hrtime.bigint();
    this.#writer.addMessage(ch.id, ch.sequence++, logTime, publishTime, data);
    this.#messages++;
    if (this.#writer.pendingMessages === 0) this.#pendingSince = undefined; // it filled and flushed
    else this.tick();
  }

  /** A metadata record in the current file (and every file rotation starts after this). */
  metadata(name: string, entries: Record<string, string>): void {
    this.#extraMetadata.set(name, entries);
    this.#writer.addMetadata(name, new Map(Object.entries(entries)));
  }

  /** Closes the open chunk if its oldest message has waited the flush interval; writes the chunks
   * that compression workers have finished (and waits for any that took past the interval). */
  tick(): void {
    if (this.#closed) return;
    const interval = this.#opts.flushIntervalMs ?? 500;
    if (this.#writer.chunksInFlight > 0) {
      if (this.#writer.oldestInFlightMs >= interval) this.#writer.flushClosed();
      else this.#writer.poll();
    }
    if (this.#pendingSince === undefined) return;
    const waitedMs = Number(process.hrtime.bigint() - this.#pendingSince) / 1e6;
    if (waitedMs >= interval) this.flush();
  }

  /** Closes the open chunk now. */
  flush(): void {
    this.#writer.flush();
    this.#pendingSince = undefined;
  }

  /** Finishes the current file (summary, footer) and stops the timer. */
  close(): RecordingResult {
    if (!this.#closed) {
      this.#closed = true;
      if (this.#timer) clearInterval(this.#timer);
      this.#writer.end();
      this.#bytesClosed += this.#writer.bytesWritten;
    }
    return { files: [...this.#files], messages: this.#messages, bytes: this.#bytesClosed };
  }

  #register(topic: Topic): ChannelSpec {
    let spec: ChannelSpec;
    if (topic.type === OMNITOKEN_TYPE) {
      const card = this.#opts.card;
      spec = {
        topic: topic.name,
        schemaName: OMNITOKEN_TYPE,
        schemaEncoding: CARD_SCHEMA_ENCODING,
        schemaData: encoder.encode(card ? JSON.stringify(card) : ""),
        messageEncoding: MSGPACK,
      };
      this.#encoders.set(topic.name, (m) => encodeOmnitoken(m as Omnitoken));
    } else {
      spec = {
        topic: topic.name,
        schemaName: topic.type,
        schemaEncoding: ROS2MSG,
        schemaData: encoder.encode(fullDefinition(topic.type)),
        messageEncoding: CDR,
      };
      this.#encoders.set(topic.name, this.#cdrEncoder(topic.type));
    }
    this.#specs.set(topic.name, spec);
    return spec;
  }

  /** CDR into a scratch buffer this recorder reuses (the chunk copies the bytes at once): a camera
   * frame costs one copy and no allocation. Anything the fast path cannot take goes through the
   * codec, which also words the errors. */
  #cdrEncoder(type: string): (message: unknown) => Uint8Array {
    const codec = cdrCodecFor(type);
    let writer: MessageWriter;
    try {
      writer = new MessageWriter(parseMsgDefinition(fullDefinition(type), { ros2: true }));
    } catch {
      return (m) => codec.encode(m);
    }
    return (m) => {
      let size: number;
      try {
        size = writer.calculateByteSize(m);
        if (size > this.#scratch.byteLength) this.#scratch = new ArrayBuffer(Math.max(size, 2 * this.#scratch.byteLength));
        // The library types `output` as a Uint8Array but hands it to CdrWriter, which takes an
        // ArrayBuffer. If a string's UTF-8 outgrows its size estimate, the writer moves to a buffer
        // of its own, and that is what it returns: still right.
        return writer.writeMessage(m, this.#scratch as unknown as Uint8Array);
      } catch {
        return codec.encode(m);
      }
    };
  }

  #maybeRotate(logTime: bigint): void {
    const { rotateBytes, rotateSeconds } = this.#opts;
    const bySize = rotateBytes !== undefined && this.#writer.bytesWritten >= rotateBytes;
    const byTime =
      rotateSeconds !== undefined && this.#fileStart !== undefined && logTime - this.#fileStart >= secondsToNs(rotateSeconds);
    if (!bySize && !byTime) return;
    this.#writer.end();
    this.#bytesClosed += this.#writer.bytesWritten;
    this.#openFile();
    for (const [name, entries] of this.#extraMetadata) this.#writer.addMetadata(name, new Map(Object.entries(entries)));
  }

  #openFile(): void {
    const o = this.#opts;
    const rotating = o.rotateBytes !== undefined || o.rotateSeconds !== undefined;
    const path = rotating ? rotatedName(o.out, this.#files.length) : o.out;
    this.#writer = new ChunkedMcapWriter({
      sink: fileSink(path),
      profile: PROFILE,
      library: LIBRARY,
      chunkSize: o.chunkBytes ?? 4 * 1024 * 1024,
      compressChunk: chunkCompressor(o.compression ?? "auto", o.zstdLevel ?? 1, o.adaptiveCompression ?? true),
      offload: chunkOffload(o.compression ?? "auto", o.zstdLevel ?? 1, o.adaptiveCompression ?? true),
    });
    this.#files.push(path);
    this.#channels = new Map();
    this.#fileStart = undefined;
    this.#pendingSince = undefined;
    this.#writer.addMetadata(
      META_OMNILOOP,
      new Map([
        ["version", SOFTWARE_VERSION],
        ["created", new Date().toISOString()],
        ["file_index", String(this.#files.length - 1)],
        ["config", JSON.stringify(o.config ?? {})],
      ]),
    );
    if (o.card) this.#writer.addMetadata(META_CARD, new Map([["json", JSON.stringify(o.card)]]));
  }
}

/** FILE.mcap → FILE_3.mcap */
export function rotatedName(out: string, index: number): string {
  const ext = extname(out) || ".mcap";
  return join(dirname(out), `${basename(out, extname(out))}_${index}${ext}`);
}

function publishTimeOf(message: unknown): bigint | undefined {
  const m = message as { header?: { stamp?: { sec: number; nanosec: number } }; stamp?: { sec: number; nanosec: number } };
  const stamp = m.header?.stamp ?? m.stamp;
  if (stamp && typeof stamp.sec === "number" && typeof stamp.nanosec === "number") return stampToNs(stamp);
  return undefined;
}
