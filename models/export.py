#!/usr/bin/env python3
"""Export a training checkpoint to ONNX (contract v1) + card.json + parity.json, e.g. to ship a run:

  /usr/bin/python3 models/export.py --checkpoint RUN/checkpoint.pt --out models/reference [--name NAME]

models/train.py already exports into its run folder at the end; this re-exports a checkpoint (one
trained on a GPU machine, or a time-boxed run's latest) and copies the run's report and loss plot.
The card's training/metrics come from the run folder (report.json) when it is beside the checkpoint.
"""
import argparse
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from omnimodel import checkpoint as ckpt  # noqa: E402
from omnimodel.export import write_export  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default="", help="model name in the card (default: the run's)")
    a = ap.parse_args(argv)
    try:
        state = ckpt.load(a.checkpoint)
    except ckpt.CheckpointError as e:
        print(f"export: {e}", file=sys.stderr)
        return 2
    model = ckpt.model_from(state).eval()
    run_dir = os.path.dirname(os.path.abspath(a.checkpoint))
    report_path = os.path.join(run_dir, "report.json")
    training, metrics, name = None, None, a.name or state["card"].get("name", "omniloop")
    args = state["run"].get("args", {})
    training = {"data": args.get("data", "unknown"), "steps": int(state["step"]), "seed": args.get("seed")}
    if os.path.exists(report_path):
        with open(report_path, encoding="utf-8") as f:
            report = json.load(f)
        name = a.name or report["name"]
        training.update({"episodes": report["data"]["train_episodes"], "command": report["command"],
                         "val_episodes": report["data"]["val_episodes"], "wall_s": round(report["training"]["wall_s"], 1),
                         "torch": report["training"]["torch"]})
        metrics = {f"val_loss_{k}": v for k, v in report["final"]["val"].items()}
        metrics.update({f"train_loss_{k}": v for k, v in report["final"]["train"].items()})
    card = write_export(model, a.out, state["card"], name, training=training, metrics=metrics,
                        description=f"omnitoken transformer trained by models/train.py on {training['data']}",
                        seed=int(args.get("seed") or 0))
    if os.path.abspath(a.out) != run_dir:
        for f in ("REPORT.md", "report.json", "loss.png", "metrics.jsonl"):
            if os.path.exists(os.path.join(run_dir, f)):
                shutil.copy(os.path.join(run_dir, f), os.path.join(a.out, f))
    size = os.path.getsize(os.path.join(a.out, "model.onnx"))
    print(f"{a.out}: model.onnx ({size / 1e6:.2f} MB), card.json ({card['name']}), parity.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
