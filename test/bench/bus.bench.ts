// Bus figures (issue "Foundation"): the ZeroMQ round trip of one realistic omnitoken (32×32×3
// pixels, 8×15 objects, 4 joints, one text id; ~13 KB framed) between two processes on loopback.
// This process publishes on /bench/ping, a child echoes on /bench/pong; each figure is the time
// from publish() to the pong in the subscriber callback, codec and checks included on both sides.
//   hub    — a standalone hub process (`omniloop bus --bind`), both ends over TCP: 4 TCP hops
//   hosted — this process hosts the hub (the loop's set-up), inproc here, TCP to the child
//   raw    — no hub, no bus: point-to-point sockets carrying the same frames and codec; the floor,
//            so the hub's cost is the difference
//   bare   — a PAIR socket echoing the same number of bytes: no frames, codec or bus; what zeromq.js
//            on this machine allows at all (quoted in the note of a missed target)
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Pair, Subscriber, XPublisher } from "zeromq";
import { checkMessage, decodePayload, encodePayload } from "../../src/bus/payload.ts";
import { ZmqBus } from "../../src/bus/zmq.ts";
import { encodeHeader, parseFrame, topicPart } from "../../src/bus/zmq-frame.ts";
import { atMost, info, type Bench, type BenchResult } from "../../src/cli/bench-types.ts";
import { median, quantile } from "../../src/cli/stats.ts";
import type { Omnitoken } from "../../src/omnitoken/types.ts";
import { freePortPair } from "../bus/fixtures/ports.ts";
import { omnitokenFor, PING, PONG } from "../bus/fixtures/messages.ts";

const here = dirname(fileURLToPath(import.meta.url));
const TARGET_P99_US = 200;

/** One way of sending a ping and hearing its pong. */
interface Link {
  send(token: Omnitoken): void;
  onPong(cb: (token: Omnitoken) => void): void;
  close(): Promise<void>;
}

function spawnLine(args: string[]): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "inherit"] });
  // A bench that dies must not leave a hub behind (echo children exit when their stdin closes).
  const kill = () => child.kill();
  process.once("exit", kill);
  child.once("close", () => process.off("exit", kill));
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited with ${code} before it was ready`)));
    createInterface({ input: child.stdout! }).once("line", (line) => resolve({ child, line }));
  });
}

async function stop(child: ChildProcess, how: "stdin" | "SIGINT"): Promise<void> {
  if (child.exitCode !== null) return;
  child.removeAllListeners("exit"); // spawnLine's "exited before ready" handler
  const exited = once(child, "exit");
  if (how === "stdin") child.stdin!.end();
  else child.kill("SIGINT");
  await exited;
}

const echo = (args: object) => spawnLine(["--import", "tsx", join(here, "../bus/fixtures/echo.ts"), JSON.stringify(args)]);

async function busLink(url: string, hub: boolean): Promise<Link & { children: ChildProcess[] }> {
  const children: ChildProcess[] = [];
  if (!hub) children.push((await spawnLine([join(here, "../../bin/omniloop.js"), "bus", "--bind", url])).child);
  const bus = await ZmqBus.open(url, { hub });
  bus.subscribe(PONG);
  await Promise.all([bus.ready(PONG), bus.ready()]);
  const child = (await echo({ mode: "bus", url })).child;
  return {
    children,
    send: (token) => bus.publish(PING, token),
    onPong: (cb) => bus.subscribe(PONG).subscribe(cb),
    async close() {
      await stop(child, "stdin");
      await bus.close();
      for (const c of children) await stop(c, "SIGINT");
    },
  };
}

async function rawLink(port: number): Promise<Link> {
  const pub = new XPublisher({ linger: 0, sendTimeout: 0 });
  const sub = new Subscriber({ linger: 0 });
  await pub.bind(`tcp://127.0.0.1:${port}`);
  await sub.bind(`tcp://127.0.0.1:${port + 1}`);
  sub.subscribe(topicPart(PONG.name));
  const child = (await echo({ mode: "raw", port })).child;
  await pub.receive(); // the echo's subscription arrived: pings reach it from now on
  const id = Buffer.alloc(8, 1);
  const pingTopic = topicPart(PING.name);
  const pingType = Buffer.from(PING.type);
  let seq = 0;
  let cb: (token: Omnitoken) => void = () => undefined;
  const loop = (async () => {
    for await (const parts of sub) {
      const frame = parseFrame(parts);
      if (frame.kind === "message") cb(decodePayload(PONG.type, frame.payload));
    }
  })();
  return {
    send(token) {
      const checked = checkMessage(PING.type, token, "bench");
      void pub.send([pingTopic, pingType, encodeHeader(id, seq++), encodePayload(PING.type, checked)]);
    },
    onPong: (f) => (cb = f),
    async close() {
      await stop(child, "stdin");
      pub.close();
      sub.close();
      await loop.catch(() => undefined); // the closed socket ends the loop with an error: expected
    },
  };
}

/** The bare floor: `bytes` echoed over a PAIR socket; round-trip times in µs. */
async function bareRoundTrips(port: number, bytes: number, n: number, warmup: number): Promise<Float64Array> {
  const pair = new Pair({ linger: 0 });
  await pair.bind(`tcp://127.0.0.1:${port}`);
  const child = (await echo({ mode: "bare", port })).child;
  try {
    const msg = Buffer.alloc(bytes, 1);
    const out = new Float64Array(n);
    for (let i = 0; i < warmup + n; i++) {
      const t0 = process.hrtime.bigint();
      await pair.send(msg);
      await pair.receive();
      if (i >= warmup) out[i - warmup] = Number(process.hrtime.bigint() - t0) / 1000;
    }
    return out;
  } finally {
    await stop(child, "stdin");
    pair.close();
  }
}

/** Round-trip times in µs, after `warmup` untimed ones. The first pings are resent until a pong
 * comes back, so a connection still settling cannot hang the bench. */
async function roundTrips(link: Link, n: number, warmup: number): Promise<Float64Array> {
  const token = omnitokenFor(1);
  let waiting: { step: number; resolve: () => void } | undefined;
  link.onPong((t) => {
    if (waiting && t.step === waiting.step) waiting.resolve();
  });
  const ping = (step: number) =>
    new Promise<void>((resolve) => {
      waiting = { step, resolve };
      token.step = step;
      link.send(token);
    });
  // Settle: resend ping 0 every 50 ms until its pong comes back.
  const resend = setInterval(() => link.send(token), 50);
  await ping(0);
  clearInterval(resend);
  const out = new Float64Array(n);
  for (let i = 1; i <= warmup + n; i++) {
    const t0 = process.hrtime.bigint();
    await ping(i);
    if (i > warmup) out[i - warmup - 1] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  return out;
}

/** What limits the figure: the bare floor measured alongside, and where the rest goes. */
const limits = (bare: Float64Array) =>
  `bare zeromq.js echo of the same bytes here: p50 ${median(bare).toFixed(0)} / p99 ${quantile(bare, 0.99).toFixed(0)} us ` +
  "(event-loop wake-ups per hop, CPU shared with other work); the bus adds codec + checks on both ends (~30 us) and the hub's hops";

function rows(name: string, us: Float64Array, note: string, target: string | undefined): BenchResult[] {
  const p99 = quantile(us, 0.99);
  return [
    info(`zmq.${name}.p50`, median(us), "us", note),
    target !== undefined ? atMost(`zmq.${name}.p99`, p99, "us", TARGET_P99_US, p99 <= TARGET_P99_US ? note : target) : info(`zmq.${name}.p99`, p99, "us", note),
  ];
}

export const benches: Bench[] = [
  {
    name: "zmq",
    description: "ZeroMQ bus round trip of a 32×32×3 omnitoken between two processes (hub, hosted hub, raw floor)",
    async run({ quick, log }) {
      const n = quick ? 200 : 3000;
      const warmup = quick ? 50 : 300;
      const out: BenchResult[] = [];
      const framed = encodePayload(PING.type, omnitokenFor(1)).length;
      out.push(info("zmq.frame.bytes", framed, "B", "codec frame of the omnitoken (plus ~60 B of bus parts)"));
      log(`bare: ${n} round trips of ${framed} B after ${warmup} warm-up`);
      const bare = await bareRoundTrips(await freePortPair(), framed, n, warmup);
      const paths: [string, () => Promise<Link>, string, boolean][] = [
        ["hub", async () => busLink(`zmq://127.0.0.1:${await freePortPair()}`, false), "standalone hub process; 4 TCP hops", true],
        ["hosted", async () => busLink(`zmq://127.0.0.1:${await freePortPair()}`, true), "hub in this process (inproc), TCP to the child; 2 TCP hops", true],
        ["raw", async () => rawLink(await freePortPair()), "no hub: point-to-point PUB/SUB, same frames and codec; 2 TCP hops", false],
      ];
      for (const [name, open, note, target] of paths) {
        log(`${name}: ${n} round trips after ${warmup} warm-up`);
        const link = await open();
        try {
          out.push(...rows(name, await roundTrips(link, n, warmup), note, target ? `${note}; ${limits(bare)}` : undefined));
        } finally {
          await link.close();
        }
      }
      out.push(...rows("bare", bare, "PAIR echo of the same bytes: no frames, codec or bus; 2 TCP hops", undefined));
      return out;
    },
  },
];
