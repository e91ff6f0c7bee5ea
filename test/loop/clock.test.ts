import { test } from "node:test";
import assert from "node:assert/strict";
import { FixedRateClock } from "../../src/loop/clock.ts";
import { VirtualTime, monotonicTime } from "../../src/loop/time-source.ts";

const MS = 1_000_000n;

test("ticks on absolute deadlines: slow-but-in-budget ticks do not drift", async () => {
  const time = new VirtualTime(5n * MS);
  const clock = new FixedRateClock({ rateHz: 50, time }); // 20 ms
  const deadlines: bigint[] = [];
  for (let i = 0; i < 100; i++) {
    const t = await clock.next();
    deadlines.push(t.deadlineNs);
    time.advance(13n * MS + BigInt(i % 5) * MS); // work of 13..17 ms: always inside the period
  }
  deadlines.forEach((d, i) => assert.equal(d, 5n * MS + BigInt(i) * 20n * MS));
  assert.deepEqual(clock.stats(), { ticks: 100, missed: 0 });
});

test("an overrun skips the missed deadlines, counts them, and keeps the phase", async () => {
  const time = new VirtualTime(0n);
  const clock = new FixedRateClock({ rateHz: 100, time }); // 10 ms
  const a = await clock.next(); // t=0
  assert.equal(a.index, 0);
  time.advance(35n * MS); // overran: deadlines at 10, 20, 30 passed
  const b = await clock.next();
  // 10 and 20 are skipped; 30 has passed too but is the latest deadline, so it runs at once.
  assert.equal(b.skipped, 2);
  assert.equal(b.index, 3);
  assert.equal(b.deadlineNs, 30n * MS);
  const c = await clock.next(); // back on the grid
  assert.equal(c.deadlineNs, 40n * MS);
  assert.equal(c.startNs, 40n * MS);
  assert.deepEqual(clock.stats(), { ticks: 3, missed: 2 });
});

test("rejects a non-positive or non-finite rate with the value", () => {
  assert.throws(() => new FixedRateClock({ rateHz: 0, time: new VirtualTime() }), /got 0/);
  assert.throws(() => new FixedRateClock({ rateHz: Number.NaN, time: new VirtualTime() }), /got NaN/);
});

test("the monotonic time source wakes up at the deadline, not before", async () => {
  const clock = new FixedRateClock({ rateHz: 200, time: monotonicTime });
  for (let i = 0; i < 10; i++) {
    const t = await clock.next();
    assert.ok(t.startNs >= t.deadlineNs, `tick ${i} started ${t.deadlineNs - t.startNs} ns early`);
  }
});
