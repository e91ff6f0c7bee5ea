// launch/foxglove-layout.json against what the live view serves: every panel in the tree is
// configured, every topic a panel reads is a channel the server advertises, and every field a
// plot path names is in that channel's schema — so the layout cannot drift from the channels.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { loadCard } from "../../src/omnitoken/card.ts";
import { ViewEncoder } from "../../src/view/view-encoder.ts";
import { VIEW } from "../../src/view/view-topics.ts";
import { pinholeCamera, DEFAULT_VIEW } from "../../sim/camera.ts";

interface Split {
  first: Split | string;
  second: Split | string;
  direction: "row" | "column";
  splitPercentage: number;
}
interface Layout {
  configById: Record<string, Record<string, unknown>>;
  layout: Split | string;
}

const layout = JSON.parse(readFileSync("launch/foxglove-layout.json", "utf8")) as Layout;
const card = loadCard("test/fixtures/models/tiny/card.json");
const camera = pinholeCamera({ width: 128, height: 96, fovY: 47, eye: DEFAULT_VIEW.eye, target: DEFAULT_VIEW.target });
const channels = new ViewEncoder({ card, camera }).channels;
const served = new Map(channels.map((c) => [c.topic, c]));
served.set(VIEW.diagnostics, { topic: VIEW.diagnostics, encoding: "cdr", schemaName: "diagnostic_msgs/msg/DiagnosticArray", schemaEncoding: "ros2msg", schema: "", source: "*" });

function panels(node: Split | string): string[] {
  return typeof node === "string" ? [node] : [...panels(node.first), ...panels(node.second)];
}

/** "/a/b.c[0]" → the served topic it starts with, and the first field after it. */
function split(path: string): { topic: string; field: string } {
  const topic = [...served.keys()].filter((t) => path === t || path.startsWith(`${t}.`)).sort((a, b) => b.length - a.length)[0];
  assert.ok(topic, `path ${path} reads no topic the live view serves`);
  return { topic, field: path.slice(topic.length + 1).split(/[.[]/)[0] ?? "" };
}

function hasField(topic: string, field: string): boolean {
  const ch = served.get(topic)!;
  if (ch.encoding === "json") return field in ((JSON.parse(ch.schema) as { properties: object }).properties ?? {});
  return new RegExp(`^\\S+ ${field}$`, "m").test(ch.schema.split("\n=")[0]!);
}

test("every panel in the layout tree is configured, and every configured panel is shown", () => {
  const shown = panels(layout.layout);
  assert.deepEqual([...shown].sort(), Object.keys(layout.configById).sort());
  for (const id of shown) assert.match(id, /^(Image|Plot|StateTransitions|Log|DiagnosticSummary|RawMessages)!\w+$/);
});

test("every topic and plot field the layout reads is served by the live view", () => {
  let paths = 0;
  for (const [id, cfg] of Object.entries(layout.configById)) {
    const c = cfg as {
      imageMode?: { imageTopic: string; annotations?: Record<string, unknown> };
      paths?: { value: string; enabled: boolean }[];
      topicToRender?: string;
      topicPath?: string;
    };
    if (c.imageMode) {
      assert.equal(served.get(c.imageMode.imageTopic)?.schemaName, "sensor_msgs/msg/Image", `${id}: ${c.imageMode.imageTopic}`);
      for (const a of Object.keys(c.imageMode.annotations ?? {})) assert.equal(served.get(a)?.schemaName, "foxglove.ImageAnnotations", `${id}: ${a}`);
    }
    for (const p of c.paths ?? []) {
      assert.equal(p.enabled, true, `${id}: ${p.value} is disabled`);
      const { topic, field } = split(p.value);
      assert.ok(hasField(topic, field), `${id}: ${topic} has no field "${field}"`);
      paths++;
    }
    if (c.topicToRender) assert.ok(served.has(c.topicToRender), `${id}: ${c.topicToRender}`);
    if (c.topicPath) split(c.topicPath);
  }
  assert.ok(paths >= 15, `${paths} plot paths`);
  assert.equal(served.get(VIEW.log)?.schemaName, "foxglove.Log", "the Log panel reads a foxglove.Log channel");
});
