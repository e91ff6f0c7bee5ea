"""The training command line: options, phases, and the model size they ask for."""
from __future__ import annotations

import argparse

from .config import ModelConfig, default_blocks
from .data import ACTION_TARGETS
from .schema import Column

DESCRIPTION = """Train the omnitoken transformer on a dataset export (docs/CONVENTIONS.md).

CPU by default (all cores), CUDA when present; several GPUs or machines: run this same script
under torchrun (DistributedDataParallel). Writes to --out: checkpoint.pt (resume with --resume),
metrics.jsonl, loss.png, REPORT.md/report.json and, at the end, model.onnx + card.json +
parity.json. Single-modality phases: --phases action:300,pixels:300,all:2000."""


class TrainError(ValueError):
    """A command line or run state that cannot train."""


# ---- command line -----------------------------------------------------------------------------

def pairs(items: list[str], flag: str, cast) -> dict:
    out = {}
    for it in items:
        k, sep, v = it.partition("=")
        try:
            if not sep:
                raise ValueError
            out[k] = cast(v)
        except ValueError:
            raise TrainError(f"{flag} {it}: expected NAME=VALUE (e.g. {flag} pixels=64)")
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="models/train.py", description=DESCRIPTION,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="dataset folder (index.json + shard-*/)")
    ap.add_argument("--out", required=True, help="run folder: checkpoint, metrics, loss.png, report, model.onnx, card")
    ap.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt (fresh start if none)")
    ap.add_argument("--init", default="", metavar="CKPT",
                    help="start from another run's weights (its checkpoint.pt; same model and card), with a fresh "
                         "optimiser and schedule: fine-tuning, e.g. on DAgger data added to the dataset); or an exported "
                         "model's card.json, whose weights are read back from its ONNX file (heads the export "
                         "leaves out, such as the named-object head, start fresh)")
    g = ap.add_argument_group("model size")
    g.add_argument("--layers", type=int, default=4)
    g.add_argument("--heads", type=int, default=4)
    g.add_argument("--mlp-ratio", type=int, default=4)
    g.add_argument("--block-mult", type=int, default=4, help="column block = mult x column width, clamped (seed 000)")
    g.add_argument("--block-min", type=int, default=32)
    g.add_argument("--block-max", type=int, default=64)
    g.add_argument("--free-block", type=int, default=64, help="width of the block that sees every column")
    g.add_argument("--block", action="append", default=[], metavar="NAME=W", help="set one column's block width")
    g.add_argument("--dropout", type=float, default=0.0)
    g.add_argument("--action-residual", type=float, default=0.0, metavar="S",
                   help="residual action head: predict the next joints as the input token's joints + S*tanh(head), "
                        "clamped to the limits (normalised units per token; 0: absolute tanh head)")
    g.add_argument("--named", type=int, default=0, metavar="K",
                   help="training-only head that locates the K objects the command names in the current token's "
                        "detections (loss 'named', weighted by --loss-weight named=W); 0: none")
    g.add_argument("--context", type=int, default=0, help="tokens per training window and the card's context_length "
                   "(default: the dataset card's context_length)")
    g = ap.add_argument_group("optimisation")
    g.add_argument("--steps", type=int, default=2000, help="total steps when --phases is not given")
    g.add_argument("--phases", default="", help="COLS:STEPS,... where COLS is a column, cols joined by +, or 'all' "
                   "(e.g. action:300,pixels:300,all:2000); a phase trains with only COLS present and loss on COLS")
    g.add_argument("--batch-size", type=int, default=16, help="windows per step per process")
    g.add_argument("--lr", type=float, default=3e-4)
    g.add_argument("--min-lr-ratio", type=float, default=0.1, help="cosine decay floor, per phase")
    g.add_argument("--warmup", type=int, default=100, help="linear warm-up steps at the start of each phase")
    g.add_argument("--weight-decay", type=float, default=0.1)
    g.add_argument("--grad-clip", type=float, default=1.0)
    g.add_argument("--loss-weight", action="append", default=[], metavar="NAME=W", help="weight of a column's loss")
    g.add_argument("--action-loss", choices=("value", "step"), default="value",
                   help="value: squared error of the normalised joints; step: error in units of each joint's RMS step "
                        "in the training data, only where the input token has joints (not the start-pose guess)")
    g.add_argument("--only-success", action="store_true",
                   help="train and validate on episodes whose outcome is 'success' only (index.json), e.g. to drop the "
                        "noisy demonstrations the expert failed")
    g.add_argument("--fail-keep-s", type=float, default=None, metavar="S",
                   help="keep only the first S seconds (after the command prefix) of episodes whose outcome is not "
                        "'success', e.g. DAgger rollouts that stall; instead of --only-success")
    g.add_argument("--fail-loss", default="", metavar="COLS",
                   help="in episodes whose outcome is not 'success', train only these columns' targets (joined by +, "
                        "e.g. text: failed DAgger rollouts teach the model not to say done, not their motion); "
                        "instead of --only-success")
    g.add_argument("--only-heads", default="", metavar="COLS",
                   help="train only these columns' output heads (joined by +, e.g. text), every other weight "
                        "kept exactly as --init gave it: fine-tune when the model speaks without moving its actions")
    g.add_argument("--action-target", choices=ACTION_TARGETS, default="next",
                   help="next: the measured joints of the next tick; command: the expert's command (command.npy)")
    g.add_argument("--seed", type=int, default=0)
    g = ap.add_argument_group("running")
    g.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    g.add_argument("--threads", type=int, default=0, help="CPU threads (default: cores / local processes)")
    g.add_argument("--amp", action="store_true", help="bfloat16 autocast on CUDA")
    g.add_argument("--log-every", type=int, default=20)
    g.add_argument("--val-every", type=int, default=200)
    g.add_argument("--val-windows", type=int, default=256)
    g.add_argument("--ckpt-every", type=int, default=200)
    g.add_argument("--name", default="", help="model name in the card (default: omniloop-<out folder name>)")
    g.add_argument("--no-export", action="store_true", help="skip model.onnx/card.json/parity.json at the end")
    g.add_argument("--quiet", action="store_true", help="no progress lines")
    g.add_argument("--stop-at", type=int, default=0, help="stop after this step with a checkpoint, as if killed "
                   "(a time-boxed session; continue with --resume)")
    return ap.parse_args(argv)


def parse_phases(spec: str, columns: list[Column]) -> list[tuple[str, frozenset[str] | None, int]]:
    """'action:300,all:2000' -> [(label, columns or None for all, steps)]."""
    names = [c.name for c in columns]
    out = []
    for part in spec.split(","):
        cols, sep, n = part.strip().rpartition(":")
        if not sep or not n.isdigit() or int(n) < 1:
            raise TrainError(f"--phases {spec!r}: {part!r}: expected COLS:STEPS with STEPS a positive integer")
        if cols == "all":
            out.append(("all", None, int(n)))
            continue
        chosen = cols.split("+")
        bad = [c for c in chosen if c not in names]
        if bad:
            raise TrainError(f"--phases {spec!r}: no column {', '.join(bad)} (columns: {', '.join(names)}, or 'all')")
        out.append((cols, frozenset(chosen), int(n)))
    return out


def parse_columns(spec: str, columns: list[Column], flag: str, extra: tuple[str, ...] = ()) -> frozenset[str] | None:
    """'text' or 'text+action' -> those columns; '' -> None (the option is off)."""
    if not spec:
        return None
    names = [c.name for c in columns] + list(extra)
    chosen = spec.split("+")
    bad = [c for c in chosen if c not in names]
    if bad:
        raise TrainError(f"{flag} {spec!r}: no column {', '.join(bad)} (columns: {', '.join(names)})")
    return frozenset(chosen)



def build_config(args: argparse.Namespace, columns: list[Column], card: dict) -> ModelConfig:
    context = args.context or int(card.get("context_length") or 256)
    blocks = default_blocks(columns, args.block_mult, args.block_min, args.block_max, args.free_block,
                            pairs(args.block, "--block", int))
    extra = {"action_residual": args.action_residual} if args.action_residual > 0 else {}
    if args.named < 0:
        raise TrainError(f"--named {args.named}: expected a count >= 0")
    if args.named > 0:
        extra["named"] = args.named
    cfg = ModelConfig(blocks=blocks, layers=args.layers, heads=args.heads, mlp_ratio=args.mlp_ratio,
                      dropout=args.dropout, context_length=context, extra=extra)
    cfg.validate(columns)
    return cfg
