"""The auxiliary "named object" target: where, in the current token's detections, are the objects
the command names ("push the red block to the green zone" -> red_block, green_zone).

A behaviour-cloned policy must bind a word of the command to one row of the objects column — the
rows come in no fixed order — before it can move toward it. Next-token losses teach that binding
only through the small action error; this target asks for it outright (training only: the head is
not part of the exported graph).
"""
from __future__ import annotations

import re

import numpy as np


def object_classes(card: dict) -> list[str]:
    col = next((c for c in card.get("columns", []) if c.get("kind") == "objects"), None)
    return list(((col or {}).get("objects") or {}).get("classes") or [])


def named_classes(command: str, classes: list[str], k: int) -> list[int]:
    """Indices of the classes the command names, in the order it names them (at most k).
    A class "red_block" is named by the words "red block"."""
    text = " " + " ".join(re.sub(r"[^a-z0-9]+", " ", command.lower()).split()) + " "
    found = []
    for i, name in enumerate(classes):
        at = text.find(" " + name.lower().replace("_", " ") + " ")
        if at >= 0:
            found.append((at, i))
    return [i for _, i in sorted(found)][:k]


def named_targets(objects: np.ndarray, present: np.ndarray, named: list[list[int]], k: int, classes: int,
                  coords: int) -> tuple[np.ndarray, np.ndarray]:
    """objects [B, n, K*row] rows [present, classes..., coords..., score]; present [B, n] (the objects
    column is in the token); named[b]: the named class indices of window b. -> (targets [B, n, k, 2]:
    x, y of each named object's best-scored row, in the column's normalised units; mask [B, n, k]:
    1 where that object is detected). One pass over the batch: it runs every training step."""
    B, n = objects.shape[:2]
    rows = objects.reshape(B, n, -1, 1 + classes + coords + 1)  # [B, n, K, F]
    cls = np.full((B, k), -1, np.int64)
    for b, nm in enumerate(named):
        cls[b, :len(nm[:k])] = nm[:k]
    onehot = rows[..., 1:1 + classes]  # [B, n, K, C]
    picked = np.take_along_axis(onehot, np.clip(cls, 0, None)[:, None, None, :], axis=-1)  # [B, n, K, k]
    match = ((picked > 0.5) & (rows[..., :1] > 0.5) & (present[:, :, None, None] > 0.5)
             & (cls[:, None, None, :] >= 0))  # [B, n, K, k]
    score = np.where(match, rows[..., -1:], -1.0)
    best = score.argmax(2)  # [B, n, k]
    xy = rows[..., 1 + classes:1 + classes + 2]  # [B, n, K, 2]
    tgt = np.take_along_axis(xy, best[..., None], axis=2)  # [B, n, k, 2]
    mask = match.any(2).astype(np.float32)
    return np.where(mask[..., None] > 0, tgt, 0.0).astype(np.float32), mask
