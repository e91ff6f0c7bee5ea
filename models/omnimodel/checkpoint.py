"""Checkpoints that resume: model, optimizer, step, elapsed time, the card and the model config.

Sampling is a pure function of (seed, rank, step) (see train.py), so a resumed run draws the same
batches an uninterrupted one would have: no generator state needs saving.
"""
from __future__ import annotations

import inspect
import os

import torch

from .config import ModelConfig
from .model import OmniModel
from .schema import columns_from_card

VERSION = 1
FILE = "checkpoint.pt"


class CheckpointError(ValueError):
    """A checkpoint that cannot be resumed or exported."""


def save(path: str, model: OmniModel, optim: torch.optim.Optimizer | None, step: int, elapsed: float,
         card: dict, run: dict) -> None:
    state = {"version": VERSION, "card": card, "config": model.cfg.to_dict(), "model": model.state_dict(),
             "optim": optim.state_dict() if optim is not None else None, "step": step, "elapsed": elapsed, "run": run}
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)  # atomic: a run killed mid-save keeps the previous checkpoint


def load(path: str) -> dict:
    if not os.path.exists(path):
        raise CheckpointError(f"{path}: no such checkpoint")
    # Our own file, holding plain Python values beside tensors: torch >= 2.6 defaults to weights_only.
    kw = {"weights_only": False} if "weights_only" in inspect.signature(torch.load).parameters else {}
    state = torch.load(path, map_location="cpu", **kw)
    if not isinstance(state, dict) or state.get("version") != VERSION:
        raise CheckpointError(f"{path}: expected an omnimodel checkpoint version {VERSION}, "
                              f"got version {state.get('version') if isinstance(state, dict) else type(state).__name__}")
    return state


def model_from(state: dict) -> OmniModel:
    model = OmniModel(columns_from_card(state["card"], "checkpoint card"), ModelConfig.from_dict(state["config"]))
    model.load_state_dict(state["model"])
    return model


def config_mismatch(saved: ModelConfig, asked: ModelConfig) -> list[str]:
    """Differences between the checkpoint's architecture and the one the command line asks for."""
    a, b = saved.to_dict(), asked.to_dict()
    return [f"{k}: checkpoint has {a[k]!r}, this command asks {b[k]!r}" for k in a if a[k] != b.get(k)]
