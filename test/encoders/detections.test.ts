import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeDetections2D, encodeDetections3D, namedClasses } from "../../src/encoders/detections.ts";
import { detection2D, detection2DArray, detection3D, detection3DArray, vector3 } from "../../src/messages/make.ts";
import type { Detection3D } from "../../src/messages/types.ts";
import { objectsSpec, prng } from "./helpers.ts";

// Row layout of objectsSpec: [present, red, green, blue, yellow, other, …coords, score].
const ROW3 = 1 + 5 + 3 + 1;

const det = (class_id: string, x: number, y: number, z: number, score = 0.9): Detection3D =>
  detection3D({ class_id, score, position: vector3(x, y, z), frame_id: "table" });

function rows(data: Float32Array, width: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < data.length; i += width) out.push(Array.from(data.subarray(i, i + width)));
  return out;
}

function shuffled<T>(items: T[], seed: number): T[] {
  const rand = prng(seed);
  const a = items.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

const f = Math.fround;

describe("encodeDetections3D", () => {
  it("writes [present, one-hot class, normalised coords, score] rows and zero rows after", () => {
    const spec = objectsSpec(3);
    const r = encodeDetections3D(detection3DArray([det("blue_block", 0, 0, 0.15, 0.75)], { frame_id: "table" }), spec);
    // x: (0 − −0.5)/1 = 0.5; y: (0 − −0.4)/0.8 = 0.5; z: 0.15/0.3 = 0.5.
    assert.deepEqual(rows(r.data, ROW3), [
      [1, 0, 0, 1, 0, 0, f(0.5), f(0.5), f(0.5), 0.75],
      new Array(ROW3).fill(0),
      new Array(ROW3).fill(0),
    ]);
    assert.deepEqual({ dropped: r.dropped, unknownClasses: r.unknownClasses, outOfBounds: r.outOfBounds }, { dropped: 0, unknownClasses: 0, outOfBounds: 0 });
  });

  it("maps unknown classes (and detections without hypotheses) to other, counting them", () => {
    const spec = objectsSpec(4);
    const empty = det("red_block", 0, 0, 0);
    empty.results = [];
    const r = encodeDetections3D(detection3DArray([det("purple_cup", 0, 0, 0), empty, det("red_block", 0, 0, 0)]), spec);
    const classes = rows(r.data, ROW3).map((row) => row.slice(1, 6));
    assert.deepEqual(classes, [[1, 0, 0, 0, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]]);
    assert.equal(r.unknownClasses, 2);
    // The hypothesis-less one scores 0, so it sorts after the scored "other".
    assert.deepEqual(rows(r.data, ROW3).map((row) => row[ROW3 - 1]), [f(0.9), f(0.9), 0, 0]);
  });

  it("takes the best-scoring hypothesis", () => {
    const d = det("red_block", 0, 0, 0, 0.3);
    d.results.push({ hypothesis: { class_id: "green_block", score: 0.8 }, pose: d.results[0]!.pose });
    const r = encodeDetections3D(detection3DArray([d]), objectsSpec(1));
    assert.deepEqual(rows(r.data, ROW3)[0]!.slice(0, 6), [1, 0, 1, 0, 0, 0]);
    assert.equal(r.data[ROW3 - 1], f(0.8));
  });

  it("clamps coordinates outside the bounds and counts the detections", () => {
    const r = encodeDetections3D(detection3DArray([det("red_block", 2, -1, 0.15), det("red_block", 0.5, 0.4, 0)]), objectsSpec(2));
    assert.deepEqual(rows(r.data, ROW3).map((row) => row.slice(6, 9)), [
      [1, 0, f(0.5)],
      [1, 1, 0],
    ]);
    assert.equal(r.outOfBounds, 1); // the bounds themselves are inside
  });

  it("keeps the K best-scoring, drops and counts the rest", () => {
    const dets = [0.1, 0.9, 0.5, 0.7, 0.3].map((s, i) => det("red_block", i * 0.1, 0, 0, s));
    const r = encodeDetections3D(detection3DArray(dets), objectsSpec(3));
    assert.equal(r.dropped, 2);
    // Kept: 0.9 (x 0.1), 0.5 (x 0.2), 0.7 (x 0.3) — then ordered by x.
    assert.deepEqual(rows(r.data, ROW3).map((row) => row[ROW3 - 1]), [f(0.9), f(0.5), f(0.7)]);
  });

  it("orders rows by class, then coords, then score — whatever the input order", () => {
    const dets = [
      det("yellow_block", 0.1, 0.1, 0.1),
      det("red_block", 0.2, 0, 0),
      det("red_block", 0.1, 0.3, 0),
      det("red_block", 0.1, 0.2, 0, 0.4),
      det("red_block", 0.1, 0.2, 0, 0.6),
      det("other", -0.3, 0, 0),
      det("blue_block", 0, 0, 0),
    ];
    const spec = objectsSpec(8);
    const first = encodeDetections3D(detection3DArray(dets), spec).data;
    const order = rows(first, ROW3).filter((r) => r[0] === 1).map((r) => [r.slice(1, 6).indexOf(1), ...r.slice(6)]);
    assert.deepEqual(order, [
      [0, f(0.6), f(0.75), 0, f(0.6)],
      [0, f(0.6), f(0.75), 0, f(0.4)],
      [0, f(0.6), f(0.875), 0, f(0.9)],
      [0, f(0.7), f(0.5), 0, f(0.9)],
      [2, f(0.5), f(0.5), 0, f(0.9)],
      [3, f(0.6), f(0.625), f(1 / 3), f(0.9)],
      [4, f(0.2), f(0.5), 0, f(0.9)],
    ]);
    for (let seed = 1; seed <= 20; seed++) {
      assert.deepEqual(encodeDetections3D(detection3DArray(shuffled(dets, seed)), spec).data, first);
    }
    // With more than K, which rows survive does not depend on the order either.
    const small = objectsSpec(4);
    const kept = encodeDetections3D(detection3DArray(dets), small).data;
    for (let seed = 1; seed <= 20; seed++) assert.deepEqual(encodeDetections3D(detection3DArray(shuffled(dets, seed)), small).data, kept);
  });

  it("writes into the caller's array, clearing what was there", () => {
    const spec = objectsSpec(2);
    const out = new Float32Array(spec.width).fill(7);
    const r = encodeDetections3D(detection3DArray([]), spec, out);
    assert.equal(r.data, out);
    assert.deepEqual(Array.from(out), new Array(spec.width).fill(0));
  });

  it("rejects another frame, NaN coordinates and 2D coords", () => {
    const spec = objectsSpec(2);
    assert.throws(() => encodeDetections3D(detection3DArray([], { frame_id: "camera" }), spec), {
      name: "EncodeError",
      message: `cannot encode Detection3DArray: header.frame_id is "camera", the card's objects are in "table"; transform the detections first`,
    });
    const inCamera = detection3D({ class_id: "red_block", position: vector3(), frame_id: "camera" });
    assert.throws(() => encodeDetections3D(detection3DArray([inCamera]), spec), { message: /detections\[0\]\.header\.frame_id is "camera"/ });
    assert.throws(() => encodeDetections3D(detection3DArray([det("red_block", NaN, 0, 0)]), spec), { message: "cannot encode Detection3DArray: detections[0] coordinate x is NaN; expected a finite number" });
    assert.throws(() => encodeDetections3D(detection3DArray([]), objectsSpec(2, ["cx", "cy", "w", "h"])), {
      message: `cannot encode Detection3DArray: the card's coordinate "cx" is not in a Detection3DArray; it gives x, y, z`,
    });
  });
});

describe("encodeDetections2D", () => {
  const ROW2 = 1 + 5 + 4 + 1;
  it("normalises box centre and size by the card's image bounds, same ordering rules", () => {
    const spec = objectsSpec(3, ["cx", "cy", "w", "h"]);
    const dets = [
      detection2D({ class_id: "green_block", score: 0.5, cx: 320, cy: 240, w: 64, h: 48 }),
      detection2D({ class_id: "red_block", score: 0.8, cx: 160, cy: 120, w: 700, h: 24 }),
    ];
    const r = encodeDetections2D(detection2DArray(dets), spec);
    assert.deepEqual(rows(r.data, ROW2), [
      [1, 1, 0, 0, 0, 0, 0.25, 0.25, 1, f(0.05), f(0.8)],
      [1, 0, 1, 0, 0, 0, 0.5, 0.5, f(0.1), f(0.1), 0.5],
      new Array(ROW2).fill(0),
    ]);
    assert.equal(r.outOfBounds, 1);
    assert.deepEqual(encodeDetections2D(detection2DArray(dets.slice().reverse()), spec).data, r.data);
    assert.throws(() => encodeDetections2D(detection2DArray([]), objectsSpec(1)), { message: `cannot encode Detection2DArray: the card's coordinate "x" is not in a Detection2DArray; it gives cx, cy, w, h` });
  });
});

describe("encodeDetections3D, layout one_per_class", () => {
  const spec = () => {
    const s = objectsSpec(5); // TABLETOP_CLASSES: red, green, blue, yellow, other
    s.objects.layout = "one_per_class";
    return s;
  };

  it("puts each class in its own row whatever the order and the other classes present", () => {
    const dets = [det("blue_block", 0.1, 0, 0, 0.9), det("red_block", -0.2, 0.1, 0, 0.8)];
    for (let seed = 0; seed < 4; seed++) {
      const r = encodeDetections3D(detection3DArray(shuffled(dets, seed), { frame_id: "table" }), spec());
      const table = rows(r.data, ROW3);
      assert.deepEqual(table.map((row) => row[0]), [1, 0, 1, 0, 0]);
      assert.deepEqual(table[0]!.slice(1, 6), [1, 0, 0, 0, 0]);
      assert.deepEqual(table[2]!.slice(1, 6), [0, 0, 1, 0, 0]);
      assert.equal(table[2]![ROW3 - 1], f(0.9));
      assert.equal(r.dropped, 0);
    }
  });

  it("keeps a class's best-scoring detection, drops and counts the rest (ghosts)", () => {
    const r = encodeDetections3D(detection3DArray([det("red_block", -0.4, 0, 0, 0.4), det("red_block", 0.3, 0.2, 0, 0.95), det("purple_cup", 0, 0, 0, 0.5), det("mug", 0, 0, 0, 0.7)]), spec());
    const table = rows(r.data, ROW3);
    assert.equal(table[0]![ROW3 - 1], f(0.95));
    assert.equal(table[0]![6], f((0.3 + 0.5) / 1)); // x normalised by bounds [-0.5, 0.5]
    assert.equal(table[4]![ROW3 - 1], f(0.7)); // the best unknown → other
    assert.equal(r.dropped, 2);
    assert.equal(r.unknownClasses, 2);
  });
});

describe("encodeDetections3D, layout named_first", () => {
  const spec = () => {
    const s = objectsSpec(5); // TABLETOP_CLASSES: red, green, blue, yellow, other
    s.objects.layout = "named_first";
    return s;
  };
  const dets = [det("blue_block", 0.1, 0, 0, 0.9), det("red_block", -0.2, 0.1, 0, 0.8), det("yellow_block", 0.2, -0.1, 0, 0.7)];
  const classOfRow = (data: Float32Array) => rows(data, ROW3).map((row) => (row[0] ? row.slice(1, 6).indexOf(1) : -1));

  it("puts the classes the command names first, in its order, then the rest in card order", () => {
    const r = encodeDetections3D(detection3DArray(dets, { frame_id: "table" }), spec(), undefined, "Push the YELLOW block, then the red block!");
    // rows: yellow (3), red (0), then green (1, not seen), blue (2), other (4, not seen)
    assert.deepEqual(classOfRow(r.data), [3, 0, -1, 2, -1]);
    assert.equal(rows(r.data, ROW3)[0]![ROW3 - 1], f(0.7));
  });

  it("gives the one_per_class order when the command names nothing, and follows a new command at once", () => {
    const perClass = objectsSpec(5);
    perClass.objects.layout = "one_per_class";
    const s = spec();
    const base = encodeDetections3D(detection3DArray(dets, { frame_id: "table" }), perClass).data;
    assert.deepEqual(encodeDetections3D(detection3DArray(dets, { frame_id: "table" }), s, undefined, "tidy up").data, base);
    assert.deepEqual(classOfRow(encodeDetections3D(detection3DArray(dets, { frame_id: "table" }), s, undefined, "touch the blue block").data), [2, 0, -1, 3, -1]);
    // "blue blocks" is not "blue block": a class is named by its exact words
    assert.deepEqual(encodeDetections3D(detection3DArray(dets, { frame_id: "table" }), s, undefined, "blue blocks").data, base);
  });

  it("namedClasses reads the words the way the training code does", () => {
    assert.deepEqual(namedClasses("push the red block into the blue zone", ["red_block", "blue_block", "blue_zone", "other"]), [0, 2]);
    assert.deepEqual(namedClasses("", ["red_block"]), []);
  });
});
