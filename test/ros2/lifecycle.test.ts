// The managed-node state machine and its bridge to rclnodejs's synchronous transition callbacks.
import assert from "node:assert/strict";
import { test } from "node:test";
import { LifecycleError } from "../../src/bus/ros2/errors.ts";
import { Lifecycle, type LifecycleHooks } from "../../src/bus/ros2/lifecycle.ts";
import { bridgeDecision, mirrorPath } from "../../src/bus/ros2/lifecycle-bridge.ts";

function recording(fail: Partial<Record<keyof LifecycleHooks, string>> = {}) {
  const calls: string[] = [];
  const hook = (name: keyof LifecycleHooks) => async (arg?: unknown) => {
    calls.push(arg === undefined || name === "error" ? name : `${name}(${String(arg)})`);
    await new Promise((r) => setTimeout(r, 1)); // async work, as loading a model is
    if (fail[name]) throw new Error(fail[name]);
  };
  const hooks: LifecycleHooks = {
    configure: hook("configure"),
    activate: hook("activate"),
    deactivate: hook("deactivate"),
    cleanup: hook("cleanup"),
    shutdown: hook("shutdown"),
    error: hook("error"),
  };
  return { calls, lifecycle: new Lifecycle(hooks) };
}

test("configure → activate → deactivate → cleanup, each running its work once, in order", async () => {
  const { calls, lifecycle } = recording();
  const events: string[] = [];
  lifecycle.onEvent((e) => events.push(e.kind === "transition" ? `${e.from}→${e.to}` : "error"));
  assert.equal(lifecycle.state, "unconfigured");
  // queued back to back: the second waits for the first's async work
  const configured = lifecycle.trigger("configure");
  const activated = lifecycle.trigger("activate");
  assert.equal(lifecycle.target, "active");
  assert.equal(await configured, "inactive");
  assert.equal(await activated, "active");
  assert.equal(await lifecycle.trigger("deactivate"), "inactive");
  assert.equal(await lifecycle.trigger("cleanup"), "unconfigured");
  assert.deepEqual(calls, ["configure", "activate", "deactivate", "cleanup"]);
  assert.deepEqual(events, ["unconfigured→inactive", "inactive→active", "active→inactive", "inactive→unconfigured"]);
});

test("a transition not available from the state is refused at once, naming what is available", async () => {
  const { calls, lifecycle } = recording();
  await assert.rejects(lifecycle.trigger("activate"), (err: unknown) => {
    assert.ok(err instanceof LifecycleError);
    assert.equal(err.message, "lifecycle: cannot activate from unconfigured; available: configure, shutdown");
    return true;
  });
  assert.deepEqual(calls, []);
});

test("configure that fails runs the error hook and lands in unconfigured, keeping the error; a queued activate fails too", async () => {
  const { calls, lifecycle } = recording({ configure: "model.onnx: no such file" });
  const configured = lifecycle.trigger("configure");
  const activated = lifecycle.trigger("activate");
  await assert.rejects(configured, { name: "LifecycleError", message: "lifecycle: configure failed (unconfigured → unconfigured): model.onnx: no such file" });
  await assert.rejects(activated, /cannot activate from unconfigured \(an earlier transition failed: configure failed: model.onnx: no such file\)/);
  assert.equal(lifecycle.state, "unconfigured");
  assert.equal(lifecycle.target, "unconfigured");
  assert.equal(lifecycle.lastError, "configure failed: model.onnx: no such file");
  assert.deepEqual(calls, ["configure", "error"]);
  // and it can be configured again once the cause is fixed
  assert.ok(lifecycle.canTrigger("configure"));
});

test("shutdown from active gets the state it leaves, and ends finalized with nothing available", async () => {
  const { calls, lifecycle } = recording();
  await lifecycle.trigger("configure");
  await lifecycle.trigger("activate");
  assert.equal(await lifecycle.trigger("shutdown"), "finalized");
  assert.deepEqual(calls, ["configure", "activate", "shutdown(active)"]);
  await assert.rejects(lifecycle.trigger("configure"), /cannot configure from finalized; available: none \(finalized\)/);
});

const AVAILABLE: Record<string, string[]> = { unconfigured: ["configure", "shutdown"], inactive: ["activate", "cleanup", "shutdown"], active: ["deactivate", "shutdown"], finalized: [] };

test("bridge: ROS in step with the node queues the work; ROS behind a node that fell back only mirrors; the rest is refused", () => {
  const at = (target: "unconfigured" | "inactive" | "active" | "finalized") => ({
    target,
    canTrigger: (t: string) => (AVAILABLE[target] ?? []).includes(t),
  });
  assert.equal(bridgeDecision(at("unconfigured"), "unconfigured", "configure"), "queue");
  assert.equal(bridgeDecision(at("inactive"), "inactive", "activate"), "queue"); // configure still loading: activate waits behind it
  // the node's configure failed after ROS already went active: deactivate then cleanup only catch up
  assert.equal(bridgeDecision(at("unconfigured"), "active", "deactivate"), "mirror");
  assert.equal(bridgeDecision(at("unconfigured"), "inactive", "cleanup"), "mirror");
  assert.equal(bridgeDecision(at("unconfigured"), "inactive", "activate"), "refuse");
  assert.equal(bridgeDecision(at("inactive"), "unconfigured", "activate"), "refuse"); // rcl would refuse too
});

test("mirror paths walk the ROS state to the node's", () => {
  assert.deepEqual(mirrorPath("active", "unconfigured"), ["deactivate", "cleanup"]);
  assert.deepEqual(mirrorPath("inactive", "unconfigured"), ["cleanup"]);
  assert.deepEqual(mirrorPath("unconfigured", "active"), ["configure", "activate"]);
  assert.deepEqual(mirrorPath("active", "finalized"), ["shutdown"]);
  assert.deepEqual(mirrorPath("inactive", "inactive"), []);
});
