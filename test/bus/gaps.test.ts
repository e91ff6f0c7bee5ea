import assert from "node:assert/strict";
import { test } from "node:test";
import { GapCounter } from "../../src/bus/gaps.ts";

test("gaps in a publisher's sequence are counted; the first message counts nothing", () => {
  const gaps = new GapCounter();
  assert.equal(gaps.observe("p", 41), 0); // joined mid-stream: 0..40 were never ours
  assert.equal(gaps.observe("p", 42), 0);
  assert.equal(gaps.observe("p", 46), 3); // 43, 44, 45 lost
  assert.equal(gaps.observe("q", 0), 0); // publishers are counted apart
  assert.equal(gaps.observe("q", 2), 1);
  assert.equal(gaps.observe("p", 47), 0);
});

test("a sequence that goes back (a restarted publisher reusing its id) starts over, counting nothing", () => {
  const gaps = new GapCounter();
  gaps.observe("p", 10);
  assert.equal(gaps.observe("p", 0), 0);
  assert.equal(gaps.observe("p", 2), 1);
});

test("memory is bounded: the publisher heard from least recently is forgotten first", () => {
  const gaps = new GapCounter(2);
  gaps.observe("a", 0);
  gaps.observe("b", 0);
  gaps.observe("a", 1); // a is now the most recent
  gaps.observe("c", 0); // forgets b
  assert.equal(gaps.observe("a", 3), 1); // a remembered
  assert.equal(gaps.observe("b", 5), 0); // b forgotten: first message again
});
