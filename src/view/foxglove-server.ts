// The live view: a Foxglove WebSocket protocol server (@foxglove/ws-protocol over `ws`) fed by a
// bus, so Foxglove or Lichtblick connect to ws://HOST:PORT and see the loop with its schemas.
// A slow viewer never slows the loop: the bus callback only queues the message (bounded per topic,
// oldest dropped), encoding happens later on the event loop (between ticks on a robot), and each
// client's socket is bounded in bytes (frames past it dropped and counted; see ClientSocket).
import wsProtocol from "@foxglove/ws-protocol";
import type { Subscription } from "rxjs";
import { WebSocketServer } from "ws";
import type { Bus } from "../bus/types.ts";
import { cdrCodecFor } from "../log/cdr.ts";
import { monotonicWallClock } from "../log/recorder.ts";
import { fullDefinition } from "../messages/definitions.ts";
import type { DiagnosticStatus } from "../messages/types.ts";
import { ClientSocket, type ClientStats } from "./client-socket.ts";
import { ViewEncoder, type ViewChannel, type ViewEncoderOptions } from "./view-encoder.ts";
import { VIEW } from "./view-topics.ts";

const { FoxgloveServer } = wsProtocol;

export interface FoxgloveServerOptions extends ViewEncoderOptions {
  /** Interface to listen on (default 127.0.0.1: loopback only). */
  host?: string;
  /** TCP port (default 8765, Foxglove's; 0 picks a free one). */
  port?: number;
  /** Bytes a client may have waiting in its socket before its frames are dropped (default 4 MiB). */
  clientBufferBytes?: number;
  /** Bus messages waiting to be encoded, per topic, before the oldest is dropped (default 8). */
  pendingPerTopic?: number;
  /** Diagnostics published per second (default 1; 0 turns them off). */
  diagnosticsHz?: number;
  /** Server name shown by the viewer. */
  name?: string;
}

export interface ChannelCounters {
  /** Frames handed to the protocol server (before per-client bounds). */
  frames: number;
  /** Frames dropped for slow clients, over all clients. */
  dropped: number;
}

export interface FoxgloveServerStats {
  clients: ClientStats[];
  /** Bus messages taken while at least one client was connected. */
  received: number;
  /** Bus messages dropped before encoding because the viewer fell behind the bus. */
  pendingDropped: number;
  /** Frames sent and dropped, by channel topic. */
  channels: Record<string, ChannelCounters>;
  encodeErrors: number;
  lastEncodeError: string | null;
}

export interface FoxgloveServerHandle {
  /** ws://HOST:PORT, as a viewer opens it. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The channels advertised (topic, encoding, schema name). */
  readonly channels: readonly ViewChannel[];
  stats(): FoxgloveServerStats;
  close(): Promise<void>;
}

export class FoxgloveServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FoxgloveServerError";
  }
}

interface Pending {
  topic: string;
  message: unknown;
  at: bigint;
}

/** Serves `bus` to Foxglove viewers until `close()`. */
export async function startFoxgloveServer(bus: Bus, o: FoxgloveServerOptions = {}): Promise<FoxgloveServerHandle> {
  const host = o.host ?? "127.0.0.1";
  const limit = o.clientBufferBytes ?? 4 * 1024 * 1024;
  const perTopic = o.pendingPerTopic ?? 8;
  const encoder = new ViewEncoder(o);
  const server = new FoxgloveServer({ name: o.name ?? "omniloop" });
  const wss = new WebSocketServer({ host, port: o.port ?? 8765, handleProtocols: (protocols) => server.handleProtocols(protocols) });
  await new Promise<void>((resolve, reject) => {
    wss.once("listening", resolve);
    wss.once("error", (err: NodeJS.ErrnoException) =>
      reject(new FoxgloveServerError(`Foxglove view: cannot listen on ${host}:${o.port ?? 8765}: ${err.code ?? err.message} (another program holds the port? pick another with --foxglove [HOST:]PORT)`)),
    );
  });
  const address = wss.address();
  const port = typeof address === "object" && address ? address.port : (o.port ?? 8765);

  const stats: FoxgloveServerStats = { clients: [], received: 0, pendingDropped: 0, channels: {}, encodeErrors: 0, lastEncodeError: null };
  const ids = new Map<ViewChannel, number>();
  const topicOfId = new Map<number, string>();
  for (const ch of encoder.channels) {
    const id = server.addChannel({ topic: ch.topic, encoding: ch.encoding, schemaName: ch.schemaName, schema: ch.schema, schemaEncoding: ch.schemaEncoding });
    ids.set(ch, id);
    topicOfId.set(id, ch.topic);
  }
  const diagnostics: ViewChannel | undefined = o.diagnosticsHz === 0 ? undefined : rosDiagnostics();
  if (diagnostics) {
    const id = server.addChannel({ topic: diagnostics.topic, encoding: "cdr", schemaName: diagnostics.schemaName, schema: diagnostics.schema, schemaEncoding: "ros2msg" });
    ids.set(diagnostics, id);
    topicOfId.set(id, diagnostics.topic);
  }
  const subscribed = new Set<number>();
  server.on("subscribe", (id) => subscribed.add(id));
  server.on("unsubscribe", (id) => subscribed.delete(id));
  server.on("error", (err) => {
    stats.encodeErrors += 1;
    stats.lastEncodeError = `client message: ${err.message}`;
  });

  const clients = new Set<ClientSocket>();
  const closedClients: ClientStats[] = [];
  wss.on("connection", (ws, req) => {
    const name = `${req.socket.remoteAddress ?? "?"}:${req.socket.remotePort ?? "?"}`;
    const client = new ClientSocket(ws, name, limit);
    clients.add(client);
    ws.on("close", () => {
      clients.delete(client);
      closedClients.push(client.stats);
      if (closedClients.length > 32) closedClients.shift();
    });
    server.handleConnection(client, name);
  });

  const now = monotonicWallClock();
  const wanted = (ch: ViewChannel) => {
    const id = ids.get(ch);
    return id !== undefined && subscribed.has(id);
  };
  const send = (ch: ViewChannel, at: bigint, data: Uint8Array) => {
    const counters = (stats.channels[ch.topic] ??= { frames: 0, dropped: 0 });
    counters.frames += 1;
    server.sendMessage(ids.get(ch)!, at, data);
  };

  // The bus side: queue only. `queue` keeps arrival order; `counts` bounds each topic's share.
  let queue: Pending[] = [];
  const counts = new Map<string, number>();
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const batch = queue;
    queue = [];
    counts.clear();
    for (const p of batch) {
      try {
        for (const f of encoder.encode(p.topic, p.message, p.at, wanted)) send(f.channel, p.at, f.data);
      } catch (err) {
        stats.encodeErrors += 1;
        stats.lastEncodeError = `${p.topic}: ${(err as Error).message}`;
      }
    }
  };
  const subs: Subscription[] = encoder.sources.map((t) =>
    bus.subscribe(t).subscribe((message) => {
      if (clients.size === 0) return;
      stats.received += 1;
      const n = counts.get(t.name) ?? 0;
      if (n >= perTopic) {
        const oldest = queue.findIndex((p) => p.topic === t.name);
        queue.splice(oldest, 1);
        stats.pendingDropped += 1;
      } else counts.set(t.name, n + 1);
      queue.push({ topic: t.name, message, at: now() });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    }),
  );

  const snapshot = (): FoxgloveServerStats => {
    const all = [...closedClients, ...[...clients].map((c) => c.stats)];
    const channels: Record<string, ChannelCounters> = {};
    for (const [topic, c] of Object.entries(stats.channels)) channels[topic] = { ...c, dropped: 0 };
    for (const c of all) {
      for (const [id, n] of Object.entries(c.droppedByChannel)) {
        const topic = topicOfId.get(Number(id)) ?? "?";
        (channels[topic] ??= { frames: 0, dropped: 0 }).dropped += n;
      }
    }
    return { ...stats, clients: [...clients].map((c) => ({ ...c.stats, droppedByChannel: { ...c.stats.droppedByChannel } })), channels };
  };

  const timer = diagnostics && setInterval(() => {
    if (!wanted(diagnostics)) return;
    const at = now();
    const message = { header: { stamp: { sec: Number(at / 1_000_000_000n), nanosec: Number(at % 1_000_000_000n) }, frame_id: "" }, status: diagnosticStatus(bus, snapshot(), encoder.tickRate()) };
    send(diagnostics, at, cdrCodecFor("diagnostic_msgs/msg/DiagnosticArray").encode(message));
  }, 1000 / (o.diagnosticsHz ?? 1));
  timer?.unref();

  return {
    url: `ws://${host.includes(":") ? `[${host}]` : host}:${port}`,
    host,
    port,
    channels: diagnostics ? [...encoder.channels, diagnostics] : encoder.channels,
    stats: snapshot,
    async close() {
      if (timer) clearInterval(timer);
      for (const s of subs) s.unsubscribe();
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

function rosDiagnostics(): ViewChannel {
  return {
    topic: VIEW.diagnostics,
    encoding: "cdr",
    schemaName: "diagnostic_msgs/msg/DiagnosticArray",
    schemaEncoding: "ros2msg",
    schema: fullDefinition("diagnostic_msgs/msg/DiagnosticArray"),
    source: "*",
  };
}

const OK = 0;
const WARN = 1;

/** Three statuses: the viewer (clients, drops), the bus (per-topic counters), the loop (tick rate). */
function diagnosticStatus(bus: Bus, s: FoxgloveServerStats, tickHz: number): DiagnosticStatus[] {
  const kv = (key: string, value: string | number) => ({ key, value: String(value) });
  const dropped = s.clients.reduce((a, c) => a + c.dropped, 0);
  const view: DiagnosticStatus = {
    level: dropped > 0 || s.pendingDropped > 0 ? WARN : OK,
    name: "omniloop: viewer",
    message: dropped > 0 ? `${dropped} frames dropped for slow viewers` : "keeping up",
    hardware_id: "",
    values: [
      kv("clients", s.clients.length),
      kv("bus_messages", s.received),
      kv("dropped_before_encoding", s.pendingDropped),
      ...s.clients.flatMap((c) => [kv(`${c.name}.sent`, c.sent), kv(`${c.name}.dropped`, c.dropped), kv(`${c.name}.buffered_bytes`, c.bufferedBytes)]),
    ],
  };
  const busStats = bus.stats();
  const lost = Object.values(busStats).reduce((a, t) => a + t.dropped + t.malformed, 0);
  const busStatus: DiagnosticStatus = {
    level: lost > 0 ? WARN : OK,
    name: `omniloop: bus (${bus.transport})`,
    message: lost > 0 ? `${lost} messages dropped or malformed` : "no loss",
    hardware_id: "",
    values: Object.entries(busStats).flatMap(([topic, t]) => [kv(`${topic}.published`, t.published), kv(`${topic}.dropped`, t.dropped), kv(`${topic}.malformed`, t.malformed)]),
  };
  const loop: DiagnosticStatus = { level: OK, name: "omniloop: loop", message: `${tickHz} ticks in the last second`, hardware_id: "", values: [kv("tick_hz", tickHz)] };
  return [view, busStatus, loop];
}
