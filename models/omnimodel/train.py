"""Trains the omnitoken transformer on a dataset export (docs/CONVENTIONS.md).

CPU by default (all cores), CUDA when present; several GPUs or machines through torchrun +
DistributedDataParallel (this same script). Seeded: the batch at step k is a pure function of
(seed, rank, k), so a resumed run draws what an uninterrupted one would. Single-modality phases
(`--phases action:300,pixels:300,all:2000`) train one column's path before joint training.
See models/README.md for the commands.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time

import numpy as np
import torch
import torch.distributed as dist

from . import checkpoint as ckpt
from .cli import TrainError, pairs, build_config, parse_args, parse_columns, parse_phases
from .config import ModelConfig
from .data import Batcher, Dataset, Sampler, fail_keep_tokens, select_episodes, to_device, val_windows
from .finish import finish
from .from_onnx import state_from_onnx
from .losses import losses
from .model import OmniModel, count_params
from .report import append_metrics, truncate_metrics
from .schema import Column


# ---- pieces of the loop -----------------------------------------------------------------------

def lr_at(k: int, n: int, args: argparse.Namespace) -> float:
    """Step k of a phase of n steps: linear warm-up, then cosine down to min_lr_ratio."""
    warm = min(args.warmup, max(1, n // 10))
    if k < warm:
        return args.lr * (k + 1) / warm
    t = (k - warm) / max(1, n - warm)
    return args.lr * (args.min_lr_ratio + (1 - args.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * t)))


def make_optimizer(model: OmniModel, args: argparse.Namespace) -> torch.optim.Optimizer:
    # Decay the matrices of linear layers only: not embeddings, norms, biases or the absent vectors.
    decay = {id(m.weight) for m in model.modules() if isinstance(m, torch.nn.Linear)}
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if id(p) in decay], "weight_decay": args.weight_decay},
              {"params": [p for p in params if id(p) not in decay], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=args.lr, betas=(0.9, 0.95))


def freeze_all_but_heads(model: OmniModel, columns: frozenset[str]) -> None:
    """Only these columns' output heads train. Frozen weights get no gradient and are left out of
    the optimizer, so weight decay cannot move them either: the other columns' outputs stay
    bit-identical to the initial model's."""
    for name, p in model.named_parameters():
        p.requires_grad_(any(name.startswith(f"heads.{c}.") for c in columns))


def restrict(batch: dict, columns: list[Column], keep: frozenset[str] | None) -> dict:
    """A single-modality phase: every column outside `keep` is absent in the input."""
    if keep is not None:
        mask = torch.tensor([c.name in keep for c in columns], dtype=batch["present"].dtype)
        batch["present"] = batch["present"] * mask
    return batch


@torch.no_grad()
def validate(model: OmniModel, batcher: Batcher, windows, bs: int, device, amp: bool,
             action_scale: torch.Tensor | None = None) -> dict[str, float]:
    """Joint validation (every column present as recorded), per-column loss averaged over targets."""
    model.eval()
    index = {c.name: i for i, c in enumerate(model.columns)}
    sums: dict[str, float] = {}
    counts: dict[str, float] = {}
    for i in range(0, len(windows), bs):
        b = to_device(batcher(windows[i:i + bs]), device)
        with _autocast(device, amp):
            out, _ = model(b["inputs"], b["present"], b["position"], named=model.named > 0)
        for name, loss in losses(model.columns, out, b, model=model, action_scale=action_scale).items():
            n = float(b["named_mask"].sum() if name == "named" else b["after_command"].sum() if name == "named_class"
                      else b["tmask"][..., index[name]].sum())
            if n > 0:
                sums[name] = sums.get(name, 0.0) + float(loss) * n
                counts[name] = counts.get(name, 0.0) + n
    model.train()
    return {k: sums[k] / counts[k] for k in sums}


def _autocast(device: torch.device, amp: bool):
    if amp and device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return torch.autocast(device_type="cpu", enabled=False)


def _fmt_time(s: float) -> str:
    s = int(s)
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def setup_runtime(args: argparse.Namespace) -> tuple[int, int, torch.device]:
    """(rank, world size, device); joins torchrun's process group when WORLD_SIZE > 1."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    if args.device == "cuda" and not torch.cuda.is_available():
        raise TrainError("--device cuda: torch sees no CUDA device (torch " + torch.__version__ + ")")
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", str(world)))
    torch.set_num_threads(args.threads or max(1, (os.cpu_count() or 1) // max(1, local_world)))
    if world > 1:
        dist.init_process_group("nccl" if cuda else "gloo")
    rank = dist.get_rank() if world > 1 else 0
    if cuda:
        torch.cuda.set_device(local)
        return rank, world, torch.device("cuda", local)
    return rank, world, torch.device("cpu")


# ---- the run ----------------------------------------------------------------------------------

class Run:
    """One training run's state: data, model, optimizer, step, and the running log averages."""

    def __init__(self, args: argparse.Namespace, argv: list[str]):
        self.args, self.argv = args, argv
        self.rank, self.world, self.device = setup_runtime(args)
        self.lead = self.rank == 0
        self.ds = ds = Dataset(args.data)
        self.cols = cols = ds.columns
        os.makedirs(args.out, exist_ok=True)
        self.ckpt_path = os.path.join(args.out, ckpt.FILE)
        self.metrics_path = os.path.join(args.out, "metrics.jsonl")
        state = None
        if os.path.exists(self.ckpt_path):
            if not args.resume:
                raise TrainError(f"{self.ckpt_path} exists: pass --resume to continue that run, or choose another --out")
            state = ckpt.load(self.ckpt_path)
        cfg = build_config(args, cols, ds.card)
        init = None
        if args.init:
            if state is not None:
                raise TrainError(f"--init {args.init}: {self.ckpt_path} exists already; --init starts a run, --resume continues one")
            if not os.path.exists(args.init):
                raise TrainError(f"--init {args.init}: no such checkpoint")
            if args.init.endswith(".json"):  # an exported model's card: weights from its ONNX file
                init = state_from_onnx(args.init)
                if self.lead and not args.quiet:
                    fresh = init["run"]["fresh"]
                    print(f"--init {args.init}: weights from {init['run']['from_onnx']}"
                          + (f"; not in the export, so freshly initialised: {', '.join(fresh)}" if fresh else ""), flush=True)
            else:
                init = ckpt.load(args.init)
        for what, st in (("--resume " + self.ckpt_path, state), ("--init " + args.init, init)):
            if st is None:
                continue
            diff = ckpt.config_mismatch(ModelConfig.from_dict(st["config"]), cfg)
            if st["card"]["columns"] != ds.card["columns"]:
                diff.append("columns: the checkpoint's card columns differ from the dataset card's")
            if diff:
                raise TrainError(f"{what}: the model differs from the checkpoint's:\n  " + "\n  ".join(diff))
        self.phases = parse_phases(args.phases or f"all:{args.steps}", cols)
        self.total = sum(n for _, _, n in self.phases)
        self.weights = {c.name: 1.0 for c in cols}
        if args.named > 0:
            self.weights["named"] = 1.0
            self.weights["named_class"] = 1.0
        for k, v in pairs(args.loss_weight, "--loss-weight", float).items():
            if k not in self.weights:
                raise TrainError(f"--loss-weight {k}={v}: no such column (columns: {', '.join(self.weights)})")
            self.weights[k] = v

        torch.manual_seed(args.seed)  # the initial weights
        self.model = OmniModel(cols, cfg)
        if state is not None or init is not None:
            self.model.load_state_dict((state or init)["model"])
        self.model.to(self.device).train()
        self.only_heads = parse_columns(args.only_heads, cols, "--only-heads")
        if self.only_heads is not None:
            if init is None and state is None:
                raise TrainError(f"--only-heads {args.only_heads}: the rest of the model would stay random; give --init")
            freeze_all_but_heads(self.model, self.only_heads)
        self.optim = make_optimizer(self.model, args)
        if state is not None and state.get("optim"):
            self.optim.load_state_dict(state["optim"])
        # A single-modality phase leaves the other columns' paths unused: DDP must be told.
        unused = any(keep is not None for _, keep, _ in self.phases)
        self.net = torch.nn.parallel.DistributedDataParallel(
            self.model, device_ids=[self.device.index] if self.device.type == "cuda" else None,
            find_unused_parameters=unused) if self.world > 1 else self.model

        keep = fail_keep_tokens(args.fail_keep_s, ds.card)
        self.train_eps = select_episodes(ds.split("train"), args.only_success, keep)
        self.val_eps = select_episodes(ds.split("val"), args.only_success, keep)
        fail_loss = parse_columns(args.fail_loss, cols, "--fail-loss", ("named",))
        if fail_loss is not None and (args.only_success or args.fail_keep_s is not None):
            raise TrainError("--fail-loss with --only-success or --fail-keep-s: choose one way to treat failed episodes")
        self.batcher = Batcher(ds, args.action_target, args.named, fail_loss)
        self.action_scale = None
        if args.action_loss == "step":
            rms = ds.action_step_rms(self.train_eps, args.action_target)
            self.action_scale = torch.tensor(rms, dtype=torch.float32, device=self.device)
        n_window = cfg.context_length + 1  # inputs 0..n-2, targets 1..n-1
        self.sampler = Sampler(self.train_eps, n_window, np.random.default_rng(0))
        self.vwin = val_windows(self.val_eps, n_window, args.val_windows, args.seed)
        self.step = self.step0 = int(state["step"]) if state is not None else 0
        self.elapsed0 = float(state["elapsed"]) if state is not None else 0.0
        self.tokens_seen = int(state["run"].get("tokens_seen", 0)) if state is not None else 0
        self.t0 = self.t_log = time.time()
        self.acc: dict[str, list[float]] = {}  # column -> losses since the last log line
        self.acc_tokens = 0
        if self.lead:
            if state is None and os.path.exists(self.metrics_path):
                os.remove(self.metrics_path)
            elif state is not None:
                truncate_metrics(self.metrics_path, self.step)

    def say(self, msg: str) -> None:
        if self.lead and not self.args.quiet:
            print(msg, file=sys.stderr, flush=True)

    def elapsed(self) -> float:
        return self.elapsed0 + time.time() - self.t0

    def phase(self) -> tuple[str, frozenset[str] | None, int, int]:
        """(label, columns or None, steps, first step) of the phase the current step is in."""
        at = 0
        for label, keep, n in self.phases:
            if self.step < at + n:
                return label, keep, n, at
            at += n
        raise AssertionError("step past the last phase")

    def train_step(self) -> None:
        args, cols = self.args, self.cols
        label, keep, n, start = self.phase()
        lr = lr_at(self.step - start, n, args)
        for group in self.optim.param_groups:
            group["lr"] = lr
        # The batch (and dropout) at step k depend on (seed, rank, k) only: resume draws the same.
        self.sampler.rng = np.random.default_rng([args.seed, self.rank, self.step])
        torch.manual_seed(args.seed * 1_000_003 + self.rank * 7919 + self.step)
        batch = to_device(restrict(self.batcher(self.sampler.sample(args.batch_size)), cols, keep), self.device)
        with _autocast(self.device, args.amp):
            out, _ = self.net(batch["inputs"], batch["present"], batch["position"], active=keep, heads=keep,
                              named=keep is None and self.model.named > 0)
        ls = losses(cols, out, batch, keep, model=self.model, action_scale=self.action_scale)
        loss = sum(self.weights[k] * v for k, v in ls.items())
        self.optim.zero_grad(set_to_none=True)
        loss.backward()
        if args.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), args.grad_clip)
        self.optim.step()
        self.step += 1
        for k, v in ls.items():
            self.acc.setdefault(k, []).append(float(v))
        self.acc_tokens += batch["tokens"] * self.world
        self.tokens_seen += batch["tokens"] * self.world
        if self.lead and (self.step % args.log_every == 0 or self.step == start + n):
            self.log_train(label, start, lr)

    def log_train(self, label: str, phase_start: int, lr: float) -> None:
        now = time.time()
        mean = {k: sum(v) / len(v) for k, v in self.acc.items()}
        tps = self.acc_tokens / max(1e-9, now - self.t_log)
        row = {"step": self.step, "split": "train", "phase": label, "losses": mean, "lr": lr, "tokens_per_s": tps,
               "loss": sum(self.weights[k] * v for k, v in mean.items()), "elapsed": self.elapsed()}
        if phase_start:
            row["phase_start"] = phase_start
        append_metrics(self.metrics_path, row)
        eta = (now - self.t0) / max(1, self.step - self.step0) * (self.total - self.step)
        self.say(f"step {self.step}/{self.total} [{label}] loss {row['loss']:.4f} | "
                 + " ".join(f"{k} {v:.4f}" for k, v in mean.items())
                 + f" | lr {lr:.2e} | {tps:,.0f} tok/s | eta {_fmt_time(eta)}")
        self.acc, self.acc_tokens, self.t_log = {}, 0, now

    def log_val(self) -> None:
        if not (self.lead and self.vwin):
            return
        v = validate(self.model, self.batcher, self.vwin, self.args.batch_size, self.device, self.args.amp,
                     self.action_scale)
        append_metrics(self.metrics_path, {"step": self.step, "split": "val", "losses": v, "elapsed": self.elapsed(),
                                           "loss": sum(self.weights[k] * x for k, x in v.items())})
        self.say(f"val @ {self.step}: " + " ".join(f"{k} {x:.4f}" for k, x in v.items()))

    def save(self) -> None:
        if self.lead:
            ckpt.save(self.ckpt_path, self.model, self.optim, self.step, self.elapsed(), self.ds.card,
                      {"args": vars(self.args), "tokens_seen": self.tokens_seen})
        if self.world > 1:
            dist.barrier()

    def close(self) -> None:
        if self.world > 1:
            dist.barrier()
            dist.destroy_process_group()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    run = Run(args, argv)
    cfg = run.model.cfg
    run.say(f"data {args.data}: {len(run.train_eps)} train / {len(run.val_eps)} val episodes, "
            f"columns {[c.name for c in run.cols]}")
    run.say(f"model: {count_params(run.model):,} parameters, blocks {cfg.blocks}, {cfg.layers} layers x {cfg.heads} "
            f"heads, context {cfg.context_length}; device {run.device} x {run.world}, {torch.get_num_threads()} "
            f"threads, torch {torch.__version__}")
    if run.action_scale is not None:
        run.say("action loss in steps: RMS step per joint " + " ".join(f"{x:.4f}" for x in run.action_scale.tolist()))
    run.say(f"phases {[(p[0], p[2]) for p in run.phases]}; "
            + (f"resuming at step {run.step}/{run.total}" if run.step else f"{run.total} steps"))
    if not run.val_eps:
        run.say("warning: no validation episodes (index.json split 'val'); validation skipped")
    if run.step == 0:
        run.log_val()  # where the curves start
    while run.step < run.total:
        run.train_step()
        if run.step % args.val_every == 0 or run.step == run.total:
            run.log_val()
        if run.step % args.ckpt_every == 0 or run.step == run.total or run.step == args.stop_at:
            run.save()
        if run.step == args.stop_at and run.step < run.total:
            run.say(f"stopped at step {run.step} (--stop-at); continue with --resume")
            run.close()
            return 0
    if run.lead:
        finish(args, argv, run.ds, run.model, run.phases, run.total, run.elapsed(), run.tokens_seen, run.world,
               run.device)
    run.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
