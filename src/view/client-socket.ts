// One viewer's connection as @foxglove/ws-protocol's server sees it, with a bound: once the bytes
// waiting in the socket for this client pass `limitBytes`, its message frames are dropped and
// counted (per channel) instead of queued, so a stalled viewer costs memory up to the bound and
// never back-pressures the loop. Control messages (advertise, status) always go through: they are
// small and a client that misses one would misread everything after it.
import type { IWebSocket } from "@foxglove/ws-protocol";
import WebSocket from "ws";

export interface ClientStats {
  name: string;
  /** Message frames handed to the socket. */
  sent: number;
  /** Message frames dropped because the client was too far behind. */
  dropped: number;
  droppedByChannel: Record<number, number>;
  /** Bytes waiting in the socket now, and the most seen. */
  bufferedBytes: number;
  maxBufferedBytes: number;
}

const MESSAGE_DATA = 1; // the protocol's binary opcode for a message frame

export class ClientSocket implements IWebSocket {
  readonly stats: ClientStats;
  private readonly ws: WebSocket;
  private readonly limitBytes: number;
  /** subscription id → channel id, read from the client's own subscribe requests. */
  private readonly channelOf = new Map<number, number>();

  constructor(ws: WebSocket, name: string, limitBytes: number) {
    this.ws = ws;
    this.limitBytes = limitBytes;
    this.stats = { name, sent: 0, dropped: 0, droppedByChannel: {}, bufferedBytes: 0, maxBufferedBytes: 0 };
  }

  get binaryType(): string {
    return this.ws.binaryType;
  }
  set binaryType(v: string) {
    this.ws.binaryType = v as WebSocket["binaryType"];
  }
  get protocol(): string {
    return this.ws.protocol;
  }
  set onerror(fn: ((event: unknown) => void) | null | undefined) {
    this.ws.onerror = fn ?? null;
  }
  set onopen(fn: ((event: unknown) => void) | null | undefined) {
    this.ws.onopen = fn ?? null;
  }
  set onclose(fn: ((event: unknown) => void) | null | undefined) {
    this.ws.onclose = fn ?? null;
  }
  set onmessage(fn: ((event: { data: unknown }) => void) | null | undefined) {
    this.ws.onmessage = fn
      ? (event) => {
          if (typeof event.data === "string") this.noteSubscriptions(event.data);
          fn(event);
        }
      : null;
  }

  close(): void {
    this.ws.close();
  }

  /** One argument on purpose: the server then sends header and payload as one frame, so a drop
   * never splits a message. */
  send(data: string | ArrayBuffer | ArrayBufferView): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (typeof data !== "string") {
      const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
      const buffered = this.ws.bufferedAmount;
      this.stats.bufferedBytes = buffered;
      if (buffered > this.stats.maxBufferedBytes) this.stats.maxBufferedBytes = buffered;
      if (bytes[0] === MESSAGE_DATA && buffered > this.limitBytes) {
        this.stats.dropped += 1;
        const sub = bytes.byteLength >= 5 ? new DataView(bytes.buffer, bytes.byteOffset, 5).getUint32(1, true) : -1;
        const ch = this.channelOf.get(sub) ?? -1;
        this.stats.droppedByChannel[ch] = (this.stats.droppedByChannel[ch] ?? 0) + 1;
        return;
      }
      if (bytes[0] === MESSAGE_DATA) this.stats.sent += 1;
    }
    this.ws.send(data);
  }

  private noteSubscriptions(text: string): void {
    if (!text.includes('"subscribe"')) return;
    try {
      const op = JSON.parse(text) as { op?: string; subscriptions?: { id: number; channelId: number }[] };
      if (op.op === "subscribe") for (const s of op.subscriptions ?? []) this.channelOf.set(s.id, s.channelId);
    } catch {
      // Not ours to judge: the protocol server parses it too and reports what it cannot read.
      return;
    }
  }
}
