"""The end of a run: the loss plot, model.onnx + card.json + parity.json, and the training report."""
from __future__ import annotations

import copy
import os
import shlex
import sys

import torch

from .data import Dataset, fail_keep_tokens, select_episodes
from .export import write_export
from .model import OmniModel, count_params
from .report import last, plot, read_metrics, write_report


def _reproducible(argv: list[str]) -> list[str]:
    """The command line minus what only steered this session (--resume, --stop-at N)."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--resume" or a.startswith("--stop-at="):
            continue
        elif a == "--stop-at":
            skip = True
        else:
            out.append(a)
    return out


def finish(args, argv, ds: Dataset, model: OmniModel, phases, total: int, wall: float, tokens_seen: int,
           world: int, device: torch.device) -> None:
    """Loss plot, ONNX + card + parity vectors, and the training report."""
    say = (lambda msg: print(msg, file=sys.stderr, flush=True)) if not args.quiet else (lambda msg: None)
    out = args.out
    metrics_path = os.path.join(out, "metrics.jsonl")
    name = args.name or f"omniloop-{os.path.basename(os.path.abspath(out))}"
    plotted = plot(metrics_path, os.path.join(out, "loss.png"), f"{name}: loss per column")
    if not plotted:
        say("warning: python3-matplotlib is not installed; no loss.png")
    rows = read_metrics(metrics_path)
    final = {"train": last(rows, "train"), "val": last(rows, "val")}
    # --redirects/--tee/--log_dir: Debian's torch 1.13 torchrun fails on Python 3.11 without them
    # (models/README.md), and a reproduce line must run as printed.
    runner = ["/usr/bin/python3"] if world == 1 else [
        "/usr/bin/python3", "-m", "torch.distributed.run", "--nproc_per_node", str(world),
        "--redirects", "2", "--tee", "2", "--log_dir", os.path.join(out, "torchrun-logs")]
    command = shlex.join(runner + ["models/train.py"] + _reproducible(argv))
    keep = fail_keep_tokens(args.fail_keep_s, ds.card)
    train_eps = select_episodes(ds.split("train"), args.only_success, keep)
    val_eps = select_episodes(ds.split("val"), args.only_success, keep)
    cfg = model.cfg
    onnx_bytes = 0
    if not args.no_export:
        cpu = copy.deepcopy(model).cpu().float().eval()
        metrics = {f"val_loss_{k}": v for k, v in final["val"].items()}
        metrics.update({f"train_loss_{k}": v for k, v in final["train"].items()})
        training = {"data": args.data, "episodes": len(train_eps), "steps": total, "command": command,
                    "val_episodes": len(val_eps), "seed": args.seed, "phases": args.phases or f"all:{total}",
                    "action_target": args.action_target, "action_loss": args.action_loss, "named": args.named,
                    "only_success": args.only_success, "fail_keep_s": args.fail_keep_s, "only_heads": args.only_heads or None, "fail_loss": args.fail_loss or None, "wall_s": round(wall, 1), "torch": torch.__version__}
        write_export(cpu, out, ds.card, name, training=training, metrics=metrics,
                     description=f"omnitoken transformer trained by models/train.py on {args.data}", seed=args.seed)
        onnx_bytes = os.path.getsize(os.path.join(out, "model.onnx"))
        say(f"exported {out}/model.onnx ({onnx_bytes / 1e6:.2f} MB), card.json, parity.json")
    report = {
        "name": name, "command": command, "plot": plotted, "final": final,
        "data": {"dir": args.data, "train_episodes": len(train_eps), "val_episodes": len(val_eps),
                 "tokens": int(sum(e.length for e in ds.episodes)),
                 "tasks": sorted({e.task for e in ds.episodes})},
        "model": {"params": count_params(model), "blocks": cfg.blocks, "d_model": cfg.d_model, "layers": cfg.layers,
                  "heads": cfg.heads, "context_length": cfg.context_length, "onnx_bytes": onnx_bytes},
        "training": {"steps": total, "phases": [(p[0], p[2]) for p in phases], "batch_size": args.batch_size,
                     "world_size": world, "lr": args.lr, "seed": args.seed, "device": str(device),
                     "threads": torch.get_num_threads(), "torch": torch.__version__, "wall_s": wall,
                     "tokens_seen": tokens_seen, "action_target": args.action_target,
                     "action_loss": args.action_loss, "named": args.named},
    }
    write_report(out, report)
    say(f"report {out}/REPORT.md; final val " + " ".join(f"{k} {v:.4f}" for k, v in final["val"].items()))
