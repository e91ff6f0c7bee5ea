// The loop's priority request: it raises the nice value when allowed, never lowers the priority,
// says what happened, and refuses nonsense.
import assert from "node:assert/strict";
import { getPriority } from "node:os";
import { test } from "node:test";
import { raiseLoopPriority } from "../../src/loop/priority.ts";

test("asking for a priority the process already has changes nothing", () => {
  const now = getPriority();
  const r = raiseLoopPriority(Math.min(19, now + 1));
  assert.equal(r.raised, false);
  assert.equal(getPriority(), now);
  assert.match(r.message, /already/);
});

test("raising works with privilege, and is reported without it", () => {
  const before = getPriority();
  const r = raiseLoopPriority(before - 1);
  if (r.raised) {
    assert.equal(getPriority(), before - 1);
    assert.match(r.message, new RegExp(`nice ${before} → ${before - 1}`));
  } else {
    assert.equal(getPriority(), before);
    assert.match(r.message, /needs root or CAP_SYS_NICE/);
  }
});

test("a nice value outside -20..19 is refused", () => {
  assert.throws(() => raiseLoopPriority(-21), RangeError);
  assert.throws(() => raiseLoopPriority(0.5), RangeError);
});
