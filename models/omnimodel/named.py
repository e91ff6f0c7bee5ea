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


def named_targets(objects: np.ndarray, present: np.ndarray, named: list[int], k: int, classes: int,
                  coords: int) -> tuple[np.ndarray, np.ndarray]:
    """objects [n, K*row] rows [present, classes..., coords..., score]; present [n] (the objects
    column is in the token). -> (targets [n, k, 2]: x, y of the named object's best-scored row,
    in the column's normalised units; mask [n, k]: 1 where that object is detected)."""
    n = objects.shape[0]
    rows = objects.reshape(n, -1, 1 + classes + coords + 1)
    tgt = np.zeros((n, k, 2), np.float32)
    mask = np.zeros((n, k), np.float32)
    for j, cls in enumerate(named[:k]):
        match = (rows[..., 0] > 0.5) & (rows[..., 1 + cls] > 0.5) & (present[:, None] > 0.5)  # [n, K]
        score = np.where(match, rows[..., -1], -1.0)
        best = score.argmax(-1)  # [n]
        ok = match.any(-1)
        xy = rows[np.arange(n), best, 1 + classes:1 + classes + 2]
        tgt[:, j] = np.where(ok[:, None], xy, 0.0)
        mask[:, j] = ok
    return tgt, mask
