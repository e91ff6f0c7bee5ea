import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compareTime, durationFromSeconds, nowTime, timeFromNs, timeFromSeconds, timeToNs, timeToSeconds } from "../../src/messages/time.ts";

describe("time", () => {
  it("converts nanoseconds exactly, negative times with a positive nanosec", () => {
    assert.deepEqual(timeFromNs(1_700_000_000_123_456_789n), { sec: 1_700_000_000, nanosec: 123_456_789 });
    assert.deepEqual(timeFromNs(-250_000_000n), { sec: -1, nanosec: 750_000_000 });
    assert.deepEqual(timeFromNs(0n), { sec: 0, nanosec: 0 });
    for (const ns of [1_700_000_000_123_456_789n, -250_000_000n, -1n, 999_999_999n, 2_147_483_647_999_999_999n]) {
      assert.equal(timeToNs(timeFromNs(ns)), ns);
    }
  });

  it("refuses seconds outside int32", () => {
    assert.throws(() => timeFromNs(2_147_483_648n * 1_000_000_000n), /outside the int32 range/);
    assert.throws(() => timeFromSeconds(NaN), /timeFromSeconds\(NaN\): expected a finite number of seconds/);
  });

  it("converts seconds, rounding to the nearest ns and carrying a whole second", () => {
    assert.deepEqual(timeFromSeconds(1.5), { sec: 1, nanosec: 500_000_000 });
    assert.deepEqual(timeFromSeconds(-0.25), { sec: -1, nanosec: 750_000_000 });
    assert.deepEqual(timeFromSeconds(2.9999999999), { sec: 3, nanosec: 0 });
    assert.equal(timeToSeconds({ sec: 3, nanosec: 250_000_000 }), 3.25);
    assert.deepEqual(durationFromSeconds(0.1), { sec: 0, nanosec: 100_000_000 });
  });

  it("nowTime is epoch-based and does not go backwards", () => {
    const a = nowTime();
    const b = nowTime();
    assert.ok(Math.abs(timeToSeconds(a) - Date.now() / 1000) < 1);
    assert.ok(compareTime(b, a) >= 0);
    assert.ok(a.nanosec >= 0 && a.nanosec < 1e9);
  });

  it("compares", () => {
    assert.ok(compareTime({ sec: 1, nanosec: 5 }, { sec: 1, nanosec: 6 }) < 0);
    assert.ok(compareTime({ sec: 2, nanosec: 0 }, { sec: 1, nanosec: 999_999_999 }) > 0);
    assert.equal(compareTime({ sec: 2, nanosec: 3 }, { sec: 2, nanosec: 3 }), 0);
  });
});
