"""Next-token losses, one per column, each averaged over the positions whose next token has that
column present (absent columns carry no loss).

text: cross-entropy over the vocabulary. pixels: squared error of the sigmoid output.
objects: per row, BCE on the presence logit; for rows that are present, BCE on the class one-hot
and squared error of the sigmoid coords and score (an empty row's fields are zeros by convention,
nothing to learn). action: squared error of the tanh output (normalised joints in [-1, 1]).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .model import activate
from .schema import Column


def _masked_mean(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    # Sum / count, with count >= 1 so an all-masked batch gives 0 (and a zero gradient), not NaN.
    return (x * m).sum() / m.sum().clamp(min=1.0)


def column_loss(col: Column, raw: torch.Tensor, target: torch.Tensor, mask: torch.Tensor,
                finished: torch.Tensor | None = None, scale: torch.Tensor | None = None) -> torch.Tensor:
    """raw: the head's output [B, T, out]; target [B, T] ids or [B, T, W]; mask [B, T] -> scalar.
    `finished`: the activated output when the model computes it with context (residual action).
    `scale` [W]: errors are divided by it per field (the step-normalised action loss)."""
    if col.kind == "text":
        ce = F.cross_entropy(raw.reshape(-1, raw.shape[-1]).float(), target.reshape(-1), reduction="none")
        return _masked_mean(ce.view_as(mask), mask)
    if col.kind == "objects":
        return _objects_loss(col, raw, target, mask)
    value = finished.float() if finished is not None else activate(col, raw.float())
    diff = value - target
    err = (diff / scale if scale is not None else diff) ** 2  # [B, T, W]
    return _masked_mean(err.mean(-1), mask)


def _objects_loss(col: Column, raw: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    B, T = mask.shape
    r = raw.float().view(B, T, col.max_objects, col.row_width)  # [B, T, K, F]
    y = target.view(B, T, col.max_objects, col.row_width)
    cls = slice(1, 1 + col.classes)
    presence = F.binary_cross_entropy_with_logits(r[..., 0], y[..., 0], reduction="none")  # [B, T, K]
    classes = F.binary_cross_entropy_with_logits(r[..., cls], y[..., cls], reduction="none").mean(-1)
    fields = (torch.sigmoid(r[..., 1 + col.classes:]) - y[..., 1 + col.classes:]) ** 2  # coords + score
    rows = (y[..., 0] > 0.5).float() * mask[..., None]  # [B, T, K]
    return (_masked_mean(presence.mean(-1), mask)
            + _masked_mean(classes + fields.mean(-1), rows))


def losses(columns: list[Column], out: dict[str, torch.Tensor], batch: dict,
           only: frozenset[str] | None = None, model=None, action_scale: torch.Tensor | None = None
           ) -> dict[str, torch.Tensor]:
    """Per-column loss for every column with a head output (and in `only`, when given). With
    `model`, continuous outputs are finished by `model.finish` (a residual action head needs the
    batch's inputs).

    `action_scale` [W] (the step-normalised action loss): the action error is measured in units of
    each joint's typical step, and only where the input token has joints — a step is then what is
    learnt, not the first tick's guess of the start pose, which dwarfs every step in plain units.
    With out["named"] and the batch's named target: the named-object loss, as "named"."""
    res = {}
    for i, col in enumerate(columns):
        if col.name not in out or (only is not None and col.name not in only):
            continue
        finished = (model.finish(col, out[col.name], batch["inputs"], batch["present"])
                    if model is not None and col.kind == "action" else None)
        mask, scale = batch["tmask"][..., i], None
        if col.kind == "action" and action_scale is not None:
            mask, scale = mask * batch["present"][..., i], action_scale
        res[col.name] = column_loss(col, out[col.name], batch["targets"][col.name], mask, finished, scale)
    if "named" in out and "named" in batch:
        err = ((out["named"].float() - batch["named"]) ** 2).mean(-1)  # [B, T, k]
        res["named"] = _masked_mean(err, batch["named_mask"])
        # Which class the command names, at every token from the command's end on: the word-to-class
        # step of the binding, taught on its own.
        logits, cls = out["named_class"].float(), batch["named_class"]  # [B, T, k, C], [B, k]
        B, T, k, C = logits.shape
        target = cls[:, None, :].expand(B, T, k)
        ce = F.cross_entropy(logits.reshape(-1, C), target.clamp(min=0).reshape(-1), reduction="none").view(B, T, k)
        mask = batch["after_command"][..., None] * (target >= 0).float()
        res["named_class"] = _masked_mean(ce, mask)
    return res
