// The robot description: sim/robot/scara.urdf parses into the arm the simulator builds, and a
// broken URDF is refused with a message naming the file, the element and what was expected.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_URDF, loadArm } from "../../sim/robot.ts";
import { loadUrdf, parseUrdf } from "../../sim/urdf.ts";
import { parseXml } from "../../sim/xml.ts";

test("scara.urdf: three limited joints with realistic limits, a pusher with a collision shape", () => {
  const robot = loadUrdf(DEFAULT_URDF);
  assert.equal(robot.name, "omniloop_scara");
  const byName = Object.fromEntries(robot.joints.map((j) => [j.name, j]));
  assert.deepEqual(Object.keys(byName), ["base_joint", "shoulder_joint", "elbow_joint", "lift_joint", "tip_joint"]);
  assert.deepEqual(byName.shoulder_joint!.limit, { lower: -2.4, upper: 2.4, effort: 15, velocity: 3.5 });
  assert.deepEqual(byName.elbow_joint!.limit, { lower: -2.6, upper: 2.6, effort: 6, velocity: 4 });
  assert.deepEqual(byName.lift_joint!.limit, { lower: 0.005, upper: 0.12, effort: 30, velocity: 0.5 });
  assert.equal(byName.lift_joint!.type, "prismatic");
  assert.equal(robot.links.quill!.collisions[0]!.geometry.type, "cylinder");
  assert.deepEqual(robot.links.upper_arm!.visuals[0]!.rgba, [0.86, 0.86, 0.88, 1]); // named material resolved
  const arm = loadArm();
  assert.deepEqual(arm.joints.map((j) => j.name), ["shoulder_joint", "elbow_joint", "lift_joint"]);
  assert.equal(arm.geometry.l1, 0.22);
  assert.equal(arm.geometry.l2, 0.18);
  assert.ok(Math.abs(arm.geometry.zOffset) < 1e-12, "lift = tip height above the table");
  assert.deepEqual([arm.geometry.baseX, arm.geometry.baseY], [0, 0.22]);
});

const wrap = (body: string) => `<?xml version="1.0"?>\n<robot name="r">\n<link name="a"/><link name="b"/>\n${body}\n</robot>`;

test("bad URDF input names the file, the element and the expectation", () => {
  assert.throws(() => parseUrdf("<robt/>", "x.urdf"), /x.urdf: root element is <robt>, expected <robot>/);
  assert.throws(
    () => parseUrdf(wrap(`<joint name="j" type="revolute"><parent link="a"/><child link="b"/></joint>`), "x.urdf"),
    /x.urdf: joint j: a revolute joint needs <limit>/,
  );
  assert.throws(
    () => parseUrdf(wrap(`<joint name="j" type="floating"><parent link="a"/><child link="b"/></joint>`), "x.urdf"),
    /joint j: type "floating" is not supported \(fixed, revolute, continuous, prismatic\)/,
  );
  assert.throws(
    () => parseUrdf(wrap(`<joint name="j" type="fixed"><parent link="a"/><child link="c"/></joint>`), "x.urdf"),
    /joint j: link "c" is not defined/,
  );
  assert.throws(
    () => parseUrdf(`<robot><link name="a"><visual><geometry><mesh filename="m.stl"/></geometry></visual></link></robot>`, "x.urdf"),
    /link a: geometry <mesh> is not supported \(box, cylinder, sphere\)/,
  );
  assert.throws(
    () => parseUrdf(`<robot><link name="a"><visual><origin xyz="1 2"/><geometry><sphere radius="1"/></geometry></visual></link></robot>`, "x.urdf"),
    /<origin> xyz="1 2": expected 3 finite number\(s\)/,
  );
});

test("the XML reader keeps attributes and nesting, skips comments, and rejects broken nesting", () => {
  const el = parseXml(`<?xml version="1.0"?><!-- c --><a x="1" y='two &amp; three'><b/><c><d z="&lt;"/></c></a>`);
  assert.deepEqual(el.attrs, { x: "1", y: "two & three" });
  assert.deepEqual(el.children.map((c) => c.name), ["b", "c"]);
  assert.equal(el.children[1]!.children[0]!.attrs.z, "<");
  assert.throws(() => parseXml("<a><b></a>", "f.xml"), /f.xml: line 1: <\/a> closes <b>/);
  assert.throws(() => parseXml("<a>", "f.xml"), /f.xml: <a> is never closed/);
  assert.throws(() => parseXml("<a/><b/>", "f.xml"), /expected one root element, found 2/);
});
