// A viewer for the tests: @foxglove/ws-protocol's own client over `ws`, subscribing to channels
// and decoding every message with the schema the server advertised (ros2msg through the
// rosmsg2-serialization reader Foxglove itself uses; JSON checked against its JSON Schema).
import wsProtocol, { type Channel, type IWebSocket } from "@foxglove/ws-protocol";
import { Ajv, type ValidateFunction } from "ajv";
import WebSocket from "ws";
import { cdrCodec } from "../../src/log/cdr.ts";

const { FoxgloveClient } = wsProtocol;
const ajv = new Ajv({ strict: false, allowUnionTypes: true });

export interface Received {
  channel: Channel;
  decoded: unknown;
  bytes: number;
}

export class Viewer {
  readonly ws: WebSocket;
  readonly client: InstanceType<typeof FoxgloveClient>;
  readonly channels = new Map<string, Channel>();
  readonly received = new Map<string, Received[]>();
  /** Messages that did not decode with their advertised schema. */
  readonly invalid: string[] = [];
  private readonly bySub = new Map<number, Channel>();
  private readonly validators = new Map<number, ValidateFunction>();
  private readonly advertised: Promise<void>;

  constructor(url: string) {
    this.ws = new WebSocket(url, [FoxgloveClient.SUPPORTED_SUBPROTOCOL]);
    // ws's WebSocket is the IWebSocket the client wants; their typings differ only in event types.
    this.client = new FoxgloveClient({ ws: this.ws as unknown as IWebSocket });
    this.advertised = new Promise((resolve) => this.client.on("advertise", (chs) => {
      for (const c of chs) this.channels.set(c.topic, c);
      resolve();
    }));
    this.client.on("message", (m) => {
      const ch = this.bySub.get(m.subscriptionId)!;
      const bytes = new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength);
      let decoded: unknown;
      try {
        if (ch.encoding === "cdr") decoded = cdrCodec(ch.schemaName, ch.schema).decode(bytes);
        else {
          decoded = JSON.parse(new TextDecoder().decode(bytes));
          let validate = this.validators.get(ch.id);
          if (!validate) this.validators.set(ch.id, (validate = ajv.compile(JSON.parse(ch.schema) as object)));
          if (!validate(decoded)) throw new Error(ajv.errorsText(validate.errors));
        }
      } catch (err) {
        this.invalid.push(`${ch.topic}: ${(err as Error).message}`);
        return;
      }
      const list = this.received.get(ch.topic) ?? [];
      list.push({ channel: ch, decoded, bytes: bytes.byteLength });
      this.received.set(ch.topic, list);
    });
  }

  /** Waits for the server's advertisement, then subscribes to `topics` (all when absent). */
  async subscribe(topics?: readonly string[]): Promise<void> {
    await this.advertised;
    for (const c of this.channels.values()) {
      if (!topics || topics.includes(c.topic)) this.bySub.set(this.client.subscribe(c.id), c);
    }
    // Subscriptions are JSON messages: give the server a moment to have read them.
    await new Promise((r) => setTimeout(r, 50));
  }

  count(topic: string): number {
    return this.received.get(topic)?.length ?? 0;
  }

  /** Drops the connection at once (a paused viewer could not complete a closing handshake). */
  close(): void {
    this.ws.terminate();
  }
}
