"""A small synthetic dataset in the exact layout of docs/CONVENTIONS.md, for the tests and for
checking the training pipeline end to end before (or without) the simulator's data.

Each episode: the command prefix (BOS, "reach <colour>", SEP), then ticks where the normalised
joints move toward a target that the command names, a camera image and an object table that
follow the joints and the target, then "done" + EOS. The camera drops a frame now and then
(pixels absent), so the absent path is exercised. Deterministic for a seed.
"""
from __future__ import annotations

import json
import os
import zlib

import numpy as np

from .data import array_file
from .schema import columns_from_card, special_ids

COLOURS = ("red", "green", "blue", "yellow")

# The micro schema: every kind of column, tiny widths, so tests run in seconds.
MICRO_CARD = {
    "schema_version": 1,
    "name": "micro",
    "description": "Test schema: 4x4 RGB camera, 2 objects x (presence, 2 classes, xyz, score), 3 joints.",
    "columns": [
        {"name": "text", "kind": "text", "width": 1},
        {"name": "pixels", "kind": "pixels", "width": 48, "image": {"height": 4, "width": 4, "channels": 3}},
        {"name": "objects", "kind": "objects", "width": 14, "objects": {
            "max_objects": 2, "classes": ["block", "other"], "coords": ["x", "y", "z"],
            "bounds": {"min": [-0.5, -0.5, 0.0], "max": [0.5, 0.5, 0.3]}, "frame_id": "table"}},
        {"name": "action", "kind": "action", "width": 3, "action": {
            "joints": [{"name": f"j{i}", "min": -2.0, "max": 2.0, "unit": "rad", "max_velocity": 2.0} for i in range(3)],
            "command": {"mode": "float64_multi_array"}}},
    ],
    "tokenizer": {"kind": "byte", "vocab_size": 260, "special": {"PAD": 256, "BOS": 257, "EOS": 258, "SEP": 259}},
    "context_length": 64,
    "control_rate_hz": 10,
    "kv_cache": {"layers": 1, "heads": 1, "head_dim": 8, "dtype": "float32"},
}


def episode(card: dict, rng: np.random.Generator, max_ticks: int = 24) -> dict:
    """One episode's arrays (CONVENTIONS names, without the shard bookkeeping) and its meta."""
    cols = columns_from_card(card)
    sp = special_ids(card)
    ci = {c.kind: i for i, c in enumerate(cols)}
    colour = int(rng.integers(len(COLOURS)))
    command = f"reach {COLOURS[colour]}"
    act = next((c for c in cols if c.kind == "action"), None)
    aw = act.width if act else 1
    target = np.linspace(-0.8, 0.8, len(COLOURS))[colour] * np.cos(np.arange(aw) + colour)  # [A]
    q = rng.uniform(-0.5, 0.5, aw)
    ticks_q, cmds = [], []
    for _ in range(max_ticks):
        ticks_q.append(q.copy())
        cmd = q + 0.35 * (target - q)
        cmds.append(cmd)
        q = cmd
        if np.abs(target - q).max() < 0.05:
            ticks_q.append(q.copy())
            cmds.append(q.copy())
            break
    text = [sp["BOS"], *command.encode(), sp["SEP"]]
    suffix = [*b"done", sp["EOS"]]
    n_pre, n_tick = len(text), len(ticks_q)
    n = n_pre + n_tick + len(suffix)
    out = {"present": np.zeros((n, len(cols)), np.float32), "step": np.arange(n, dtype=np.int32),
           "command": np.full((n, aw), np.nan, np.float32)}
    for c in cols:
        out[array_file(c)[:-4]] = np.full(n, sp["PAD"], np.int64) if c.kind == "text" else np.zeros((n, c.width), np.float32)
    if "text" in ci:
        tname = array_file(cols[ci["text"]])[:-4]
        out[tname][:n_pre] = text
        out[tname][n - len(suffix):] = suffix
        out["present"][:, ci["text"]] = 1  # text is present at every token (PAD at ticks)
    for k, (qk, ck) in enumerate(zip(ticks_q, cmds)):
        t = n_pre + k
        out["command"][t] = ck
        for c in cols:
            i = ci[c.kind]
            if c.kind == "action":
                out[c.name][t] = qk
            elif c.kind == "pixels":
                if rng.random() < 0.1:
                    continue  # a dropped camera frame: absent
                phase = np.arange(c.width) * 0.37
                out[c.name][t] = 0.5 + 0.4 * np.sin(phase + qk.sum() + colour)
            elif c.kind == "objects":
                row = np.zeros(c.row_width, np.float32)
                row[0] = 1
                row[1 + colour % c.classes] = 1
                row[1 + c.classes:1 + c.classes + c.coords] = 0.5 + 0.4 * np.resize(target, c.coords)
                row[-1] = 0.9
                out[c.name][t, :c.row_width] = row
            elif c.kind == "text":
                continue
            out["present"][t, i] = 1
    return {"arrays": out, "task": "reach", "command": command, "length": n}


def write_dataset(root: str, card: dict, episodes: list[dict], source: str = "synthetic",
                  shard_tokens: int = 4096, val_every: int = 10) -> None:
    """Writes episodes as CONVENTIONS shards + index.json; an episode never straddles two shards."""
    cols = columns_from_card(card)
    os.makedirs(root, exist_ok=True)
    shards, metas, cur = [], [], []

    def flush():
        if not cur:
            return
        d = f"shard-{len(shards):05d}"
        os.makedirs(os.path.join(root, d), exist_ok=True)
        for key in cur[0]["arrays"]:
            a = np.concatenate([e["arrays"][key] for e in cur])
            if key == "episode":
                continue
            np.save(os.path.join(root, d, f"{key}.npy"), a)
        ep = np.concatenate([np.full(e["length"], e["id"], np.int32) for e in cur])
        np.save(os.path.join(root, d, "episode.npy"), ep)
        shards.append({"dir": d, "tokens": int(sum(e["length"] for e in cur)), "episodes": [cur[0]["id"], cur[-1]["id"]]})

    start = 0
    for i, e in enumerate(episodes):
        if cur and start + e["length"] > shard_tokens:
            flush()
            cur, start = [], 0
        e = dict(e, id=i)
        cur.append(e)
        split = "val" if zlib.crc32(f"{source}:{i}".encode()) % val_every == 0 else "train"
        metas.append({"id": i, "source": source, "task": e["task"], "command": e["command"], "outcome": "success",
                      "split": split, "shard": len(shards), "start": start, "length": e["length"]})
        start += e["length"]
    flush()
    index = {"format": "omniloop-dataset", "version": 1, "card": card, "columns": [c.name for c in cols],
             "shards": shards, "episodes": metas}
    with open(os.path.join(root, "index.json"), "w", encoding="utf-8") as f:
        json.dump(index, f, indent=1)


def make(root: str, card: dict, episodes: int, seed: int = 0, **kw) -> None:
    rng = np.random.default_rng(seed)
    write_dataset(root, card, [episode(card, rng) for _ in range(episodes)], **kw)
