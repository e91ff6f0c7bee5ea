import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { CardError, columnOf, inputName, loadCard, objectLayout, outputName, parseCard, validateCard } from "../../src/omnitoken/card.ts";
import type { ModelCard } from "../../src/omnitoken/card-types.ts";
import { prng } from "./random-tokens.ts";

const dir = new URL("../fixtures/cards/", import.meta.url);
const fixture = (name: string) => `test/fixtures/cards/${name}`;
const raw = (name: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(name, dir), "utf8")) as Record<string, unknown>;

/** Every invalid fixture and the exact problems it must report (order-insensitive). */
const expected: Record<string, string[]> = {
  "invalid-negative-width.json": ["columns[2].width: expected a positive integer, got -3"],
  "invalid-pixels-width.json": ["columns[1].width: expected 3072 (= image height 32 × width 32 × channels 3), got 3000"],
  "invalid-objects-other.json": [
    `columns[2].objects.classes: the last class must be "other" (detections of any unlisted class), got "yellow_zone"`,
    "columns[2].width: expected 104 (= max_objects 8 × (1 present + 8 classes + 3 coords + 1 score)), got 112",
  ],
  "invalid-objects-bounds.json": [
    "columns[2].objects.bounds.min: expected 3 entries (one per coord: x, y, z), got 2",
    "columns[2].objects.bounds.min[1]: expected < max[1] (0.4), got 0.4",
  ],
  "invalid-joints.json": [
    "columns[3].width: expected 5 (= number of joints), got 4",
    `columns[3].action.joints[4].name: duplicate joint name "wrist" (also [3])`,
    "columns[3].action.joints[1].min: expected < max (1), got 2",
  ],
  "invalid-duplicate-kind.json": [`columns[2].kind: a second "pixels" column (the first is columns[1]); contract v1 has one input per kind`],
  "invalid-unknown-kind.json": [`columns[4].kind: expected one of "text", "pixels", "objects", "action" (the column kinds v1 knows), got "audio"`],
  "invalid-tokenizer.json": [
    "tokenizer.special.PAD: expected an id in [256, vocab_size 260) (0..255 are the bytes), got 300",
    "tokenizer.special.SEP: expected an id distinct from the other specials, got 257 (also BOS)",
  ],
  "invalid-missing-fields.json": [
    "kv_cache: missing; expected an object",
    "columns[3].action: missing; expected an object",
    "control_rate_hz: expected a positive number, got 0",
  ],
  "invalid-unknown-field.json": [
    "columns[1].width: missing; expected a positive integer",
    "columns[1].widht: unknown field (known here: name, kind, width, image)",
  ],
  "invalid-schema-version.json": ["schema_version: expected 1, got 2"],
  "invalid-twist-map.json": [
    `columns[3].action.command.twist_map: missing; mode "twist" needs the joint entries of linear.x, linear.y, linear.z, angular.x, angular.y, angular.z (null where unused)`,
  ],
};
// The JSON.parse wording is V8's and changes between Node versions; the position must be there.
const syntaxProblem = /^not valid JSON: .*position 2223.*line 110,? column 25\)$/;

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CardError, `expected a CardError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail("expected the card to be refused");
}

describe("model card fixtures", () => {
  const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();

  it("has an expectation for every invalid fixture", () => {
    assert.deepEqual(files.filter((f) => f.startsWith("invalid-")), [...Object.keys(expected), "invalid-syntax.json"].sort());
  });

  for (const f of files.filter((f) => f.startsWith("valid-"))) {
    it(`accepts ${f}`, () => {
      const card = loadCard(fixture(f));
      assert.equal(card.schema_version, 1);
    });
  }

  it("refuses invalid-syntax.json, naming the line and column", () => {
    const got = problemsOf(() => loadCard(fixture("invalid-syntax.json")));
    assert.equal(got.length, 1);
    assert.match(got[0]!, syntaxProblem);
  });

  for (const [f, problems] of Object.entries(expected)) {
    it(`refuses ${f}, naming the field`, () => {
      const got = problemsOf(() => loadCard(fixture(f)));
      assert.deepEqual([...got].sort(), [...problems].sort());
      try {
        loadCard(fixture(f));
      } catch (err) {
        // The message names the file and lists every problem.
        assert.match((err as Error).message, new RegExp(`^invalid model card ${fixture(f).replace(/[.[\]]/g, "\\$&")} \\(${problems.length} problems?\\):`));
        for (const p of problems) assert.ok((err as Error).message.includes(`  - ${p}`), p);
      }
    });
  }
});

describe("validateCard rules beyond the fixtures", () => {
  const tabletop = () => raw("valid-tabletop.json") as unknown as ModelCard;

  it("refuses a twist_map outside twist mode and unknown twist joints", () => {
    const c = tabletop();
    const action = c.columns[3] as Extract<ModelCard["columns"][number], { kind: "action" }>;
    action.action.command.twist_map = ["shoulder", null, null, null, null, "elbow"];
    assert.deepEqual(problemsOf(() => validateCard(c)), [
      `columns[3].action.command.twist_map: only read for mode "twist" (mode is "float64_multi_array"); remove it`,
    ]);
    action.action.command.mode = "twist";
    action.action.command.twist_map = ["shoulder", null, "knee"];
    assert.deepEqual(problemsOf(() => validateCard(c)).sort(), [
      "columns[3].action.command.twist_map: expected 6 entries (linear.x/y/z, angular.x/y/z), got 3",
      `columns[3].action.command.twist_map[2]: expected a joint name of this column or null, got "knee"`,
    ]);
  });

  it("takes layouts one_per_class and named_first only with one row per class", () => {
    const c = tabletop();
    const objects = c.columns.find((col) => col.kind === "objects") as Extract<ModelCard["columns"][number], { kind: "objects" }>;
    const at = c.columns.indexOf(objects);
    const classes = objects.objects.classes.length;
    objects.objects.layout = "one_per_class";
    if (objects.objects.max_objects === classes) objects.objects.max_objects += 1;
    objects.width = objects.objects.max_objects * (1 + classes + objects.objects.coords.length + 1);
    assert.deepEqual(problemsOf(() => validateCard(c)), [
      `columns[${at}].objects.max_objects: layout "one_per_class" gives each of the ${classes} classes its own row: expected max_objects ${classes}, got ${objects.objects.max_objects}`,
    ]);
    objects.objects.max_objects = classes;
    objects.width = classes * (1 + classes + objects.objects.coords.length + 1);
    assert.doesNotThrow(() => validateCard(c));
    objects.objects.layout = "named_first";
    assert.doesNotThrow(() => validateCard(c));
    objects.objects.max_objects = classes + 1;
    objects.width = objects.objects.max_objects * (1 + classes + objects.objects.coords.length + 1);
    assert.deepEqual(problemsOf(() => validateCard(c)), [
      `columns[${at}].objects.max_objects: layout "named_first" gives each of the ${classes} classes its own row: expected max_objects ${classes}, got ${classes + 1}`,
    ]);
  });

  it("refuses duplicate column names, bad metrics, unknown top-level fields and a non-object", () => {
    const c = tabletop() as unknown as Record<string, unknown> & ModelCard;
    c.columns[3]!.name = "pixels";
    c.metrics = { success: "high" as unknown as number };
    c.colour = "red";
    assert.deepEqual(problemsOf(() => validateCard(c, "x.json")).sort(), [
      "colour: unknown field (known here: schema_version, name, description, onnx, columns, tokenizer, context_length, control_rate_hz, kv_cache, decoding, training, metrics)",
      `columns[3].name: duplicate column name "pixels" (also columns[1])`,
      `metrics.success: expected a number, got "high"`,
    ]);
    assert.deepEqual(problemsOf(() => validateCard([], "y.json")), ["card: expected an object, got an empty list"]);
    assert.deepEqual(problemsOf(() => validateCard({ ...tabletop(), columns: [] })), ["columns: expected a non-empty list, got an empty list"]);
  });

  it("takes decoding.confirm_done_ticks as a positive integer only", () => {
    validateCard({ ...tabletop(), decoding: { confirm_done_ticks: 2 } });
    assert.deepEqual(problemsOf(() => validateCard({ ...tabletop(), decoding: { confirm_done_ticks: 0 } })), [
      "decoding.confirm_done_ticks: expected a positive integer, got 0",
    ]);
    assert.deepEqual(problemsOf(() => validateCard({ ...tabletop(), decoding: { threshold: 0.5 } })), [
      "decoding.threshold: unknown field (known here: confirm_done_ticks)",
    ]);
  });

  it("refuses a column name every JavaScript object already has", () => {
    const c = tabletop();
    c.columns[1]!.name = "constructor";
    assert.deepEqual(problemsOf(() => validateCard(c)), [`columns[1].name: "constructor" is reserved (every JavaScript object has it); choose another name`]);
  });

  it("quotes keys that are not identifiers and names a column name that is not one", () => {
    const c = tabletop();
    c.columns[0]!.name = "2text";
    const problems = problemsOf(() => validateCard({ ...c, metrics: { "success rate": "n/a" } }));
    assert.deepEqual(problems.sort(), [
      `columns[0].name: expected a lowercase name (a-z, 0-9 and _, starting with a letter), got "2text"`,
      `metrics["success rate"]: expected a number, got "n/a"`,
    ]);
  });

  it("names the source in CardError and reports an unreadable file", () => {
    const err = (() => {
      try {
        parseCard("{", "cards/broken.json");
      } catch (e) {
        return e as CardError;
      }
      return undefined;
    })();
    assert.ok(err instanceof CardError);
    assert.equal(err.source, "cards/broken.json");
    assert.match(err.message, /^invalid model card cards\/broken\.json \(1 problem\):\n {2}- not valid JSON: .*\(line 1, column 2\)$/);
    assert.deepEqual(problemsOf(() => loadCard("test/fixtures/cards/no-such-card.json")), ["cannot read the file: no such file"]);
  });
});

describe("validateCard on mutated cards (seeded)", () => {
  const pool: unknown[] = [null, -1, 0, 2.5, 1e9, "", "x", "other", true, [], [1, 2], {}, { a: 1 }];

  /** Every [parent, key] pair in a JSON tree. */
  function slots(node: unknown, out: [Record<string, unknown> | unknown[], string | number][] = []): typeof out {
    if (Array.isArray(node)) {
      node.forEach((v, i) => {
        out.push([node, i]);
        slots(v, out);
      });
    } else if (node && typeof node === "object") {
      for (const [k, v] of Object.entries(node)) {
        out.push([node as Record<string, unknown>, k]);
        slots(v, out);
      }
    }
    return out;
  }

  it("only ever throws CardError, one problem per line, each led by a path", () => {
    const rand = prng(31);
    let refused = 0;
    for (let n = 0; n < 400; n++) {
      const card = raw("valid-tabletop.json");
      for (let m = 0; m < 1 + Math.floor(rand() * 3); m++) {
        const all = slots(card);
        const [parent, key] = all[Math.floor(rand() * all.length)]!;
        const r = rand();
        if (r < 0.2 && !Array.isArray(parent)) delete parent[key as string];
        else if (r < 0.3 && Array.isArray(parent)) parent.push(structuredClone(parent[key as number]));
        else (parent as Record<string | number, unknown>)[key] = structuredClone(pool[Math.floor(rand() * pool.length)]);
      }
      try {
        validateCard(card);
      } catch (err) {
        assert.ok(err instanceof CardError, `mutation ${n}: ${String(err)}`);
        for (const p of err.problems) assert.match(p, /^(card|[A-Za-z_][\w.[\]"]*): \S/, `mutation ${n}: ${p}`);
        assert.equal(new Set(err.problems).size, err.problems.length, `mutation ${n}: repeated problem`);
        refused++;
      }
    }
    assert.ok(refused > 300, `only ${refused} of 400 mutations refused`);
  });
});

describe("card helpers", () => {
  const card = loadCard(fixture("valid-tabletop.json"));

  it("finds columns by kind", () => {
    assert.equal(columnOf(card, "pixels")?.image.height, 32);
    assert.equal(columnOf(card, "action")?.action.joints.length, 4);
    assert.equal(columnOf(loadCard(fixture("valid-text-only.json")), "action"), undefined);
  });

  it("lays out an object row as [present, classes, coords, score]", () => {
    assert.deepEqual(objectLayout(columnOf(card, "objects")!), {
      rowWidth: 14, present: 0, classStart: 1, classCount: 9, coordStart: 10, coordCount: 3, score: 13,
    });
  });

  it("names the contract's tensors", () => {
    assert.deepEqual(card.columns.map(inputName), ["text_ids", "pixels", "objects", "action"]);
    assert.deepEqual(card.columns.map(outputName), ["text_logits", "pixels_out", "objects_out", "action_out"]);
  });
});
