// ZAP (ZeroMQ RFC 27): the server's list of admitted client keys. libzmq asks the handler bound at
// inproc://zeromq.zap.01 in the socket's context about every CURVE handshake; we answer 200 for a
// listed key and 400 otherwise, so a client with the server's key but not an admitted key of its
// own is refused at the handshake, before any request.
import { Reply, type Context } from "zeromq";

const ZAP_ENDPOINT = "inproc://zeromq.zap.01";
const Z85_CHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/** Z85 (ZeroMQ RFC 32) of bytes whose length is a multiple of 4: how CURVE keys are written. */
export function z85Encode(bytes: Uint8Array): string {
  if (bytes.length % 4 !== 0) throw new RangeError(`z85: ${bytes.length} bytes is not a multiple of 4`);
  let out = "";
  for (let i = 0; i < bytes.length; i += 4) {
    let value = ((bytes[i]! << 24) >>> 0) + (bytes[i + 1]! << 16) + (bytes[i + 2]! << 8) + bytes[i + 3]!;
    const chunk: string[] = [];
    for (let k = 0; k < 5; k++) {
      chunk.unshift(Z85_CHARS[value % 85]!);
      value = Math.floor(value / 85);
    }
    out += chunk.join("");
  }
  return out;
}

export class ZapHandler {
  refused = 0;
  admitted = 0;
  private closed = false;
  private readonly loop: Promise<void>;

  private constructor(private readonly socket: Reply, private readonly keys: ReadonlySet<string>) {
    this.loop = this.serve();
  }

  static async start(context: Context, keys: readonly string[]): Promise<ZapHandler> {
    const socket = new Reply({ context, linger: 0 });
    await socket.bind(ZAP_ENDPOINT);
    return new ZapHandler(socket, new Set(keys));
  }

  close(): void {
    this.closed = true;
    this.socket.close();
    void this.loop;
  }

  private async serve(): Promise<void> {
    while (!this.closed) {
      let frames: Buffer[];
      try {
        frames = await this.socket.receive();
      } catch {
        return; // closed
      }
      // [version, request id, domain, address, identity, mechanism, credentials…]
      const [version, requestId, , , , mechanism, key] = frames;
      const ok = version?.toString() === "1.0" && mechanism?.toString() === "CURVE" && key?.length === 32 && this.keys.has(z85Encode(key));
      if (ok) this.admitted += 1;
      else this.refused += 1;
      try {
        await this.socket.send(["1.0", requestId ?? "", ok ? "200" : "400", ok ? "OK" : "client key not authorised", "", ""]);
      } catch {
        return; // closed while answering
      }
    }
  }
}
