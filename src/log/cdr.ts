// CDR (de)serialisation of ROS 2 messages from ros2msg schema text, via
// @foxglove/rosmsg2-serialization. The library's decoded typed arrays (Image.data, JointState
// positions, …) are views into the bytes it was given, so `decode` must get bytes the message may
// keep: the log readers hand each message its own copy, never a view into a shared chunk buffer.
import { CdrWriter } from "@foxglove/cdr";
import { parse } from "@foxglove/rosmsg";
import { MessageReader, MessageWriter } from "@foxglove/rosmsg2-serialization";
import { fullDefinition } from "../messages/definitions.ts";
import { LogError } from "./errors.ts";

export interface CdrCodec<T = unknown> {
  readonly type: string;
  encode(message: T): Uint8Array;
  /** The message; its typed arrays may be views into `bytes`, which the caller must not reuse. */
  decode(bytes: Uint8Array): T;
}

/** A message that does not fit its schema, or a schema text that does not parse. */
export class CdrError extends LogError {}

const cache = new Map<string, CdrCodec>();

/** @foxglove/cdr 3.5's CdrWriter.string sizes a string by its UTF-16 length, so any non-ASCII
 * string is written truncated ("grïpper" → "grïppe"), and rosmsg2-serialization inherits that. We
 * replace that one method with a byte-length one, only while the library still gets it wrong
 * (probed, so an upstream fix retires this). The writer grows its buffer on demand, so the
 * library's too-small size estimate only costs a reallocation. */
function fixCdrStrings(): void {
  const probe = new CdrWriter();
  probe.string("ï");
  if (probe.size === 4 + 4 + 3) return; // header, length, 2 UTF-8 bytes + NUL: already right
  const utf8 = new TextEncoder();
  interface Internals {
    offset: number;
    array: Uint8Array;
    resizeIfNeeded(n: number): void;
    uint32(v: number): unknown;
  }
  CdrWriter.prototype.string = function (this: CdrWriter, value: string, writeLength = true): CdrWriter {
    const w = this as unknown as Internals;
    const bytes = utf8.encode(value);
    if (writeLength) w.uint32(bytes.length + 1);
    w.resizeIfNeeded(bytes.length + 1);
    w.array.set(bytes, w.offset);
    w.array[w.offset + bytes.length] = 0;
    w.offset += bytes.length + 1;
    return this;
  };
}
fixCdrStrings();

/** A codec for `type` from its ros2msg `schemaText` (rosbag2's concatenated format). */
export function cdrCodec<T = unknown>(type: string, schemaText: string): CdrCodec<T> {
  const key = `${type}\n${schemaText}`;
  const hit = cache.get(key);
  if (hit) return hit as CdrCodec<T>;
  let reader: MessageReader;
  let writer: MessageWriter;
  try {
    const definitions = parse(schemaText, { ros2: true });
    reader = new MessageReader(definitions);
    writer = new MessageWriter(definitions);
  } catch (err) {
    throw new CdrError(`schema of ${type} does not parse as ros2msg: ${(err as Error).message}`);
  }
  const codec: CdrCodec<T> = {
    type,
    encode(message: T): Uint8Array {
      try {
        return writer.writeMessage(message);
      } catch (err) {
        throw new CdrError(`cannot encode a ${type} as CDR: ${(err as Error).message}`);
      }
    },
    decode(bytes: Uint8Array): T {
      if (bytes.byteLength < 4) throw new CdrError(`${type}: ${bytes.byteLength} bytes is shorter than a CDR header (4)`);
      try {
        return reader.readMessage<T>(bytes);
      } catch (err) {
        throw new CdrError(`${type}: ${bytes.byteLength} bytes do not decode as CDR: ${(err as Error).message}`);
      }
    },
  };
  cache.set(key, codec as CdrCodec);
  return codec;
}

/** A codec for one of omniloop's own message types, from `src/messages/definitions.ts`. */
export function cdrCodecFor<T = unknown>(type: string): CdrCodec<T> {
  return cdrCodec<T>(type, fullDefinition(type));
}
