import assert from "node:assert/strict";
import { test } from "node:test";
import { BusUrlError } from "../../src/bus/errors.ts";
import { hubEndpoints, parseBusUrl } from "../../src/bus/url.ts";

test("bus URLs parse to their transport", () => {
  assert.deepEqual(parseBusUrl("memory"), { scheme: "memory" });
  assert.deepEqual(parseBusUrl("memory://"), { scheme: "memory" });
  assert.deepEqual(parseBusUrl("ros2"), { scheme: "ros2" });
  assert.deepEqual(parseBusUrl("ros2://domain/7"), { scheme: "ros2" });
  assert.deepEqual(parseBusUrl("zmq://127.0.0.1:7600"), { scheme: "zmq", host: "127.0.0.1", port: 7600, ipv6: false, loopback: true });
  assert.deepEqual(parseBusUrl("zmq://[::1]:7600/"), { scheme: "zmq", host: "::1", port: 7600, ipv6: true, loopback: true });
  assert.deepEqual(parseBusUrl("ZMQ://Robot.lan:9000"), { scheme: "zmq", host: "robot.lan", port: 9000, ipv6: false, loopback: false });
});

test("hub endpoints: publishers on PORT, subscribers on PORT + 1; localhost spelled as an address", () => {
  const url = parseBusUrl("zmq://localhost:7600");
  assert.equal(url.scheme, "zmq");
  if (url.scheme !== "zmq") return;
  assert.deepEqual(hubEndpoints(url), { publish: "tcp://127.0.0.1:7600", subscribe: "tcp://127.0.0.1:7601" });
  const v6 = parseBusUrl("zmq://[::1]:8000");
  if (v6.scheme === "zmq") assert.deepEqual(hubEndpoints(v6), { publish: "tcp://[::1]:8000", subscribe: "tcp://[::1]:8001" });
});

test("bad bus URLs name what was expected", () => {
  const cases: [string, RegExp][] = [
    ["http://x:1", /bus URL "http:\/\/x:1": unknown scheme "http:\/\/"; known: memory:\/\/, zmq:\/\/HOST:PORT, ros2:\/\//],
    ["127.0.0.1:7600", /bus URL "127.0.0.1:7600": expected one of memory:\/\/, zmq:\/\/HOST:PORT, ros2:\/\//],
    ["zmq://127.0.0.1", /expected zmq:\/\/HOST:PORT \(e\.g\. zmq:\/\/127\.0\.0\.1:7600\), found "zmq:\/\/127\.0\.0\.1"/],
    ["zmq://127.0.0.1:7600/topic", /found "zmq:\/\/127\.0\.0\.1:7600\/topic"/],
    ["zmq://127.0.0.1:65535", /port must be 1\.\.65534 \(the hub also uses port \+ 1\), found 65535/],
    ["zmq://127.0.0.1:0", /port must be 1\.\.65534/],
  ];
  for (const [url, message] of cases) assert.throws(() => parseBusUrl(url), (err: Error) => err instanceof BusUrlError && message.test(err.message), url);
});
