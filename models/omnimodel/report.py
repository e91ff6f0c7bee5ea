"""The run's record: metrics.jsonl (one line per logged train average and per validation), the loss
curves as PNG, and the training report (report.json + REPORT.md)."""
from __future__ import annotations

import json
import os


def append_metrics(path: str, row: dict) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")


def read_metrics(path: str) -> list[dict]:
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def truncate_metrics(path: str, step: int) -> None:
    """On resume: drop what was logged after the checkpoint's step (it will be logged again)."""
    rows = [r for r in read_metrics(path) if r["step"] <= step]
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)


def plot(metrics_path: str, png_path: str, title: str) -> bool:
    """Loss per column, train (solid) and val (dashed), log scale. False when matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    rows = read_metrics(metrics_path)
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    cols = sorted({c for r in rows for c in r["losses"]})
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, c in enumerate(cols):
        for split, style in (("train", "-"), ("val", "--")):
            pts = [(r["step"], r["losses"][c]) for r in rows if r["split"] == split and c in r["losses"]]
            if pts:
                ax.plot(*zip(*pts), style, color=colours[i % len(colours)], label=f"{c} ({split})")
    phase_starts = sorted({r["phase_start"] for r in rows if r.get("phase_start")})
    for s in phase_starts:
        ax.axvline(s, color="grey", linewidth=0.5)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(True, which="both", linewidth=0.3)
    if cols:
        ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(png_path)
    plt.close(fig)
    return True


def last(rows: list[dict], split: str) -> dict:
    """The last logged losses of a split, per column (each column's own last value)."""
    out: dict = {}
    for r in rows:
        if r["split"] == split:
            out.update(r["losses"])
    return out


def write_report(out_dir: str, report: dict) -> None:
    with open(os.path.join(out_dir, "report.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    d, m, t = report["data"], report["model"], report["training"]
    fmt = lambda losses: ", ".join(f"{k} {v:.4g}" for k, v in losses.items()) or "none"  # noqa: E731
    lines = [
        f"# Training report: {report['name']}",
        "",
        "Reproduce (from the repository root):",
        "",
        "```",
        report["command"],
        "```",
        "",
        f"- **Data**: `{d['dir']}`: {d['train_episodes']} training and {d['val_episodes']} validation episodes, "
        f"{d['tokens']} omnitokens; tasks {d['tasks']}; action target `{t['action_target']}`.",
        f"- **Model**: {m['params']:,} parameters; blocks {m['blocks']} (d_model {m['d_model']}), {m['layers']} layers, "
        f"{m['heads']} heads, context {m['context_length']}; ONNX {m['onnx_bytes'] / 1e6:.2f} MB.",
        f"- **Training**: {t['steps']} steps in phases {t['phases']}, batch {t['batch_size']} x {t['world_size']} "
        f"process(es), lr {t['lr']}, seed {t['seed']}, on {t['device']} ({t['threads']} threads), torch {t['torch']}; "
        f"{t['wall_s']:.0f} s wall time, {t['tokens_seen']:,} tokens seen.",
        f"- **Final train losses** (mean of the last log interval): {fmt(report['final']['train'])}.",
        f"- **Final validation losses**: {fmt(report['final']['val'])}.",
        "",
        "Losses: text cross-entropy (nats); pixels and action mean squared error of the bounded output; "
        "objects BCE on presence + (BCE on classes + squared error of coords and score) on present rows.",
        "",
        "![loss curves](loss.png)" if report.get("plot") else "(no loss plot: python3-matplotlib is not installed)",
        "",
    ]
    with open(os.path.join(out_dir, "REPORT.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
