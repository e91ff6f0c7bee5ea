// Each channel's first and last log time in a cleanly closed MCAP, without reading its messages:
// the chunk index says which chunks hold a channel and where that chunk's message index for it
// lies; the first and the last such index hold the channel's earliest and latest times. Two small
// reads per channel, so `inspect` gives per-topic rates of a 2 GB log instantly.
import type { ChunkIndex } from "@mcap/core";

export type ReadAt = (offset: bigint, length: bigint) => Promise<Uint8Array>;

export interface Span {
  first: bigint;
  last: bigint;
}

/** The log times in one MessageIndex record (opcode, length, channel id, records: [time, offset]…). */
async function indexTimes(read: ReadAt, offset: bigint): Promise<bigint[]> {
  const head = await read(offset, 15n);
  const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const bytes = v.getUint32(11, true);
  const body = await read(offset + 15n, BigInt(bytes));
  const b = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const times: bigint[] = [];
  for (let o = 0; o + 16 <= bytes; o += 16) times.push(b.getBigUint64(o, true));
  return times;
}

export async function topicSpans(read: ReadAt, chunks: readonly ChunkIndex[]): Promise<Map<number, Span>> {
  const byChannel = new Map<number, ChunkIndex[]>();
  for (const c of chunks) {
    for (const id of c.messageIndexOffsets.keys()) {
      const list = byChannel.get(id) ?? [];
      list.push(c);
      byChannel.set(id, list);
    }
  }
  const spans = new Map<number, Span>();
  for (const [id, list] of byChannel) {
    const firstChunk = list.reduce((a, c) => (c.messageStartTime < a.messageStartTime ? c : a));
    const lastChunk = list.reduce((a, c) => (c.messageEndTime > a.messageEndTime ? c : a));
    const early = await indexTimes(read, firstChunk.messageIndexOffsets.get(id)!);
    const late = lastChunk === firstChunk ? early : await indexTimes(read, lastChunk.messageIndexOffsets.get(id)!);
    if (early.length === 0 || late.length === 0) continue;
    spans.set(id, { first: early.reduce((a, t) => (t < a ? t : a)), last: late.reduce((a, t) => (t > a ? t : a)) });
  }
  return spans;
}
