// `omniloop inspect CARD.json`: the model card as a person reads it (or, with --json, the
// validated card). An invalid card lists every problem with its JSON path.
import { statSync } from "node:fs";
import { CardError, inputName, loadCard, objectLayout, outputName } from "../../omnitoken/card.ts";
import type { ColumnSpec, ModelCard } from "../../omnitoken/card-types.ts";
import type { Inspector } from "../commands/inspect.ts";
import { CliError } from "../errors.ts";

export const inspector: Inspector = {
  accepts(path: string): boolean {
    return path.toLowerCase().endsWith(".json") && statSync(path, { throwIfNoEntry: false })?.isFile() === true;
  },
  async run(path: string, opts: { json: boolean }): Promise<void> {
    let card: ModelCard;
    try {
      card = loadCard(path);
    } catch (err) {
      if (err instanceof CardError) throw new CliError(`inspect: ${err.message}`);
      throw err;
    }
    process.stdout.write(opts.json ? JSON.stringify(card, null, 2) + "\n" : formatCard(card, path) + "\n");
  },
};

/** Left-aligned columns, numbers right-aligned; `rows[0]` is the header. */
export function table(rows: string[][], indent = "  "): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const numeric = rows[0]!.map((_, i) => rows.slice(1).every((r) => /^-?[\d.]+$/.test(r[i] ?? "")));
  return rows
    .map((r) => indent + r.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd())
    .join("\n");
}

const BYTES = { float32: 4, float16: 2 } as const;

function bytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(n % (1 << 20) ? 1 : 0)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(n % (1 << 10) ? 1 : 0)} KiB`;
  return `${n} B`;
}

function encoding(spec: ColumnSpec, card: ModelCard): string {
  switch (spec.kind) {
    case "text":
      return `one ${card.tokenizer.kind} token id (vocab ${card.tokenizer.vocab_size})`;
    case "pixels": {
      const { height, width, channels } = spec.image;
      return `${height}×${width}×${channels} image (${channels === 3 ? "rgb" : "mono"}), values in [0, 1]`;
    }
    case "objects": {
      const l = objectLayout(spec);
      return `${spec.objects.max_objects} rows × ${l.rowWidth} [present, ${l.classCount} classes, ${spec.objects.coords.join(" ")}, score], frame ${spec.objects.frame_id}`;
    }
    case "action":
      return `${spec.action.joints.length} joints in [-1, 1] by limits, command ${spec.action.command.mode}`;
  }
}

export function formatCard(card: ModelCard, path: string): string {
  const kv = card.kv_cache;
  const perToken = 2 * kv.layers * kv.heads * kv.head_dim * BYTES[kv.dtype];
  const sp = card.tokenizer.special;
  const head: string[][] = [
    ["card", path],
    ["name", card.name],
    ...(card.description ? [["description", card.description]] : []),
    ...(card.onnx ? [["onnx", card.onnx]] : []),
    ["schema", `v${card.schema_version}`],
    ["context", `${card.context_length} tokens`],
    ["control rate", `${card.control_rate_hz} Hz`],
    ["kv cache", `${kv.layers} layers × ${kv.heads} heads × ${kv.head_dim} head_dim, ${kv.dtype} (${bytes(perToken)} per token, ${bytes(perToken * card.context_length)} at full context)`],
    ...(card.decoding?.confirm_done_ticks ? [["decoding", `listens once the model starts speaking on ${card.decoding.confirm_done_ticks} ticks in a row`]] : []),
    ["tokenizer", `${card.tokenizer.kind}, vocab ${card.tokenizer.vocab_size} (PAD ${sp.PAD}, BOS ${sp.BOS}, EOS ${sp.EOS}, SEP ${sp.SEP})`],
  ];
  const out = [head.map(([k, v]) => `${k!.padEnd(13)}${v}`).join("\n")];
  const total = card.columns.reduce((n, c) => n + c.width, 0);
  out.push(`\ncolumns (${card.columns.length}, ${total} values per token)`);
  out.push(table([
    ["#", "name", "kind", "width", "input", "output", "encoding"],
    ...card.columns.map((c, i) => [String(i), c.name, c.kind, String(c.width), inputName(c), outputName(c), encoding(c, card)]),
  ]));
  for (const c of card.columns) {
    if (c.kind === "objects") {
      const o = c.objects;
      out.push(`\nobjects of ${c.name}: classes ${o.classes.join(", ")}`);
      out.push(table([["coord", "min", "max"], ...o.coords.map((k, i) => [k, String(o.bounds.min[i]), String(o.bounds.max[i])])]));
    }
    if (c.kind === "action") {
      out.push(`\njoints of ${c.name} (command ${c.action.command.mode})`);
      out.push(table([
        ["joint", "unit", "min", "max", "max velocity"],
        ...c.action.joints.map((j) => [j.name, j.unit, String(j.min), String(j.max), j.max_velocity === undefined ? "-" : `${j.max_velocity} ${j.unit.includes("/") ? `(${j.unit})` : j.unit}/s`]),
      ]));
      const map = c.action.command.twist_map;
      if (map) {
        const axes = ["linear.x", "linear.y", "linear.z", "angular.x", "angular.y", "angular.z"];
        out.push(`  twist: ${map.map((j, i) => `${axes[i]} ← ${j ?? "0"}`).join(", ")}`);
      }
    }
  }
  if (card.training) {
    out.push(`\ntraining`);
    const entries = Object.entries(card.training);
    const w = Math.max(11, ...entries.map(([k]) => k.length + 1)); // a long key still gets a space
    out.push(entries.map(([k, v]) => `  ${k.padEnd(w)}${typeof v === "string" ? v : JSON.stringify(v)}`).join("\n"));
  }
  const metrics = Object.entries(card.metrics ?? {});
  out.push(metrics.length ? `\nmetrics\n${table([["metric", "value"], ...metrics.map(([k, v]) => [k, String(v)])])}` : `\nmetrics      none recorded`);
  return out.join("\n");
}
