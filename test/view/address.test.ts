import assert from "node:assert/strict";
import { test } from "node:test";
import { isLoopback, parseViewAddress, ViewAddressError } from "../../src/view/address.ts";

test("--foxglove [HOST:]PORT: loopback unless a host is named", () => {
  assert.deepEqual(parseViewAddress("8765"), { host: "127.0.0.1", port: 8765 });
  assert.deepEqual(parseViewAddress(true), { host: "127.0.0.1", port: 8765 }); // the flag alone
  assert.deepEqual(parseViewAddress("0.0.0.0:9000"), { host: "0.0.0.0", port: 9000 });
  assert.deepEqual(parseViewAddress("localhost:0"), { host: "localhost", port: 0 });
  assert.deepEqual(parseViewAddress("[::1]:8765"), { host: "::1", port: 8765 });
  assert.ok(isLoopback("127.0.0.1") && isLoopback("::1") && isLoopback("localhost"));
  assert.ok(!isLoopback("0.0.0.0") && !isLoopback("192.168.1.2"));
});

test("a bad --foxglove value names what was expected and what was found", () => {
  assert.throws(() => parseViewAddress("host:port"), (e: Error) => e instanceof ViewAddressError && /expects \[HOST:\]PORT .*found "host:port"/.test(e.message));
  assert.throws(() => parseViewAddress("70000"), /port must be 0\.\.65535, found 70000/);
  assert.throws(() => parseViewAddress("::1:8765"), /expects \[HOST:\]PORT/);
});
