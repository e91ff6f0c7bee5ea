"""Reads a dataset in the layout of docs/CONVENTIONS.md and cuts it into training windows.

A window is the episode's command prefix (BOS, bytes, SEP) followed by a contiguous run of the
episode's later tokens, with their true positions: the same picture the runtime sees when it
slides its context and keeps the prefix. Inputs are tokens 0..n-2, targets tokens 1..n-1.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace

import numpy as np
import torch

from .named import named_classes, named_targets, object_classes
from .schema import Column, columns_from_card, special_ids

ACTION_TARGETS = ("next", "command")


class DatasetError(ValueError):
    """The dataset folder does not match docs/CONVENTIONS.md."""


def array_file(col: Column) -> str:
    # CONVENTIONS: text ids in `<name>_ids.npy` (text_ids.npy), one file per continuous column by name.
    return f"{col.name}_ids.npy" if col.kind == "text" else f"{col.name}.npy"


@dataclass
class Episode:
    id: int
    shard: int
    start: int
    length: int
    split: str
    task: str
    prefix: int  # tokens of the command prefix (0 when the episode has none)
    command: str = ""  # the task command as index.json gives it
    outcome: str = ""  # the episode's outcome as index.json gives it (success, timeout, failed)


def select_episodes(eps: list[Episode], only_success: bool = False, fail_keep_tokens: int | None = None) -> list[Episode]:
    """The episodes to train on. only_success: drop every episode whose outcome is not 'success'.
    fail_keep_tokens: keep such an episode's first tokens only (its command prefix, then this many):
    a failed rollout's start is where the expert's labels correct it, its end is often a stall
    whose labels teach waiting (models/reference/EVAL.md, f7)."""
    if only_success and fail_keep_tokens is not None:
        raise ValueError("only_success and fail_keep_tokens: choose one (the first drops failed episodes, the second cuts them)")
    if only_success:
        return [e for e in eps if e.outcome == "success"]
    if fail_keep_tokens is not None:
        return [e if e.outcome == "success" else replace(e, length=min(e.length, e.prefix + fail_keep_tokens)) for e in eps]
    return list(eps)


def fail_keep_tokens(seconds: float | None, card: dict) -> int | None:
    """--fail-keep-s in tokens at the card's control rate (one token per tick), or None."""
    if seconds is None:
        return None
    rate = float(card.get("control_rate_hz") or 0)
    if not seconds > 0 or not rate > 0:
        raise DatasetError(f"--fail-keep-s {seconds}: expected a positive number of seconds and a card with a "
                           f"control rate (control_rate_hz {card.get('control_rate_hz')!r})")
    return round(seconds * rate)


class Dataset:
    def __init__(self, root: str):
        self.root = root
        path = os.path.join(root, "index.json")
        try:
            with open(path, encoding="utf-8") as f:
                index = json.load(f)
        except FileNotFoundError:
            raise DatasetError(f"{path}: no such file; expected a dataset folder from `omniloop dataset ... --out DIR`")
        except json.JSONDecodeError as e:
            raise DatasetError(f"{path}: not valid JSON ({e})")
        if index.get("format") != "omniloop-dataset" or index.get("version") != 1:
            raise DatasetError(f"{path}: expected format 'omniloop-dataset' version 1, "
                               f"got {index.get('format')!r} version {index.get('version')!r}")
        self.index = index
        self.card = index.get("card")
        if not isinstance(self.card, dict):
            raise DatasetError(f"{path}: card: expected the model card object, got {type(self.card).__name__}")
        self.columns = columns_from_card(self.card, f"{path} card")
        names = [c.name for c in self.columns]
        if index.get("columns") != names:
            raise DatasetError(f"{path}: columns: expected the card's columns in card order {names}, "
                               f"got {index.get('columns')}")
        self.special = special_ids(self.card)
        self.shards = [self._load_shard(i, s) for i, s in enumerate(index.get("shards") or [])]
        if not self.shards:
            raise DatasetError(f"{path}: shards: expected at least one shard, got none")
        self.episodes = [self._episode(i, e) for i, e in enumerate(index.get("episodes") or [])]
        if not self.episodes:
            raise DatasetError(f"{path}: episodes: expected at least one episode, got none")

    def _load_shard(self, i: int, s: dict) -> dict[str, np.ndarray]:
        d = os.path.join(self.root, s.get("dir", ""))
        n = s.get("tokens")
        arrays: dict[str, np.ndarray] = {}
        expect = [(array_file(c), c.width if c.kind != "text" else None, np.int64 if c.kind == "text" else np.float32)
                  for c in self.columns]
        expect += [("command.npy", self._action_width(), np.float32), ("present.npy", len(self.columns), np.float32),
                   ("episode.npy", None, np.int32), ("step.npy", None, np.int32)]
        for fname, width, dtype in expect:
            p = os.path.join(d, fname)
            if fname == "command.npy" and not os.path.exists(p):
                continue  # optional: only read with --action-target command
            try:
                a = np.load(p, mmap_mode="r")
            except FileNotFoundError:
                raise DatasetError(f"{p}: no such file (shards[{i}] of {self.root})")
            shape = (n,) if width is None else (n, width)
            if a.shape != shape or a.dtype != dtype:
                raise DatasetError(f"{p}: expected {np.dtype(dtype).name} {list(shape)}, got {a.dtype.name} {list(a.shape)}")
            arrays[fname[:-4]] = a
        return arrays

    def _action_width(self) -> int | None:
        return next((c.width for c in self.columns if c.kind == "action"), None)

    def _episode(self, i: int, e: dict) -> Episode:
        at = f"{self.root}/index.json: episodes[{i}]"
        shard, start, length = e.get("shard"), e.get("start"), e.get("length")
        if not isinstance(shard, int) or not 0 <= shard < len(self.shards):
            raise DatasetError(f"{at}.shard: expected 0..{len(self.shards) - 1}, got {shard!r}")
        arr = self.shards[shard]
        n = arr["step"].shape[0]
        if not isinstance(start, int) or not isinstance(length, int) or start < 0 or length < 2 or start + length > n:
            raise DatasetError(f"{at}: expected start >= 0 and length >= 2 within the shard's {n} tokens, "
                               f"got start {start!r} length {length!r}")
        ep_ids = arr["episode"][[start, start + length - 1]]
        if (ep_ids != e.get("id", i)).any() or arr["step"][start] != 0:
            raise DatasetError(f"{at}: episode.npy/step.npy at tokens {start}..{start + length - 1} of shard {shard} "
                               f"hold episode {ep_ids.tolist()} from step {int(arr['step'][start])}, "
                               f"expected episode {e.get('id', i)} from step 0")
        return Episode(int(e.get("id", i)), shard, start, length, str(e.get("split", "train")), str(e.get("task", "")),
                       self._prefix(arr, start, length), str(e.get("command", "")), str(e.get("outcome", "")))

    def _prefix(self, arr: dict, start: int, length: int) -> int:
        """Tokens up to and including the first SEP, when they are text-only (the command prefix)."""
        text = next((c for c in self.columns if c.kind == "text"), None)
        if text is None:
            return 0
        ids = np.asarray(arr[f"{text.name}_ids"][start:start + min(length, 1024)])
        seps = np.nonzero(ids == self.special["SEP"])[0]
        if len(seps) == 0:
            return 0
        p = int(seps[0]) + 1
        ti = self.columns.index(text)
        others = np.asarray(arr["present"][start:start + p]).copy()
        others[:, ti] = 0
        return p if not others.any() else 0

    def split(self, name: str) -> list[Episode]:
        return [e for e in self.episodes if e.split == name]

    def action_step_rms(self, episodes: list[Episode], action_target: str = "next") -> np.ndarray:
        """Per joint, the RMS of the step a target asks for (target minus the input token's joints,
        normalised units) over the given episodes: the scale of the step-normalised action loss."""
        ai = next((i for i, c in enumerate(self.columns) if c.kind == "action"), None)
        if ai is None:
            raise DatasetError(f"{self.root}: the card has no action column")
        name = self.columns[ai].name
        sq, count = np.zeros(self.columns[ai].width), 0
        for ep in episodes:
            arr = self.shards[ep.shard]
            a, b = ep.start, ep.start + ep.length
            q = np.asarray(arr[name][a:b], np.float64)
            has = np.asarray(arr["present"][a:b, ai]) > 0.5
            if action_target == "command":
                tgt = np.asarray(arr["command"][a:b], np.float64)
                ok = has & ~np.isnan(tgt).any(-1)
                d = tgt[ok] - q[ok]
            else:
                ok = has[:-1] & has[1:]
                d = q[1:][ok] - q[:-1][ok]
            sq += (d ** 2).sum(0)
            count += len(d)
        if count == 0:
            raise DatasetError(f"{self.root}: no consecutive tokens with the action column: no step to scale by")
        return np.sqrt(sq / count).clip(min=1e-4)

    def read(self, ep: Episode, lo: int, hi: int) -> dict[str, np.ndarray]:
        """Tokens lo..hi-1 of the episode, copied out of the memory map."""
        arr = self.shards[ep.shard]
        a, b = ep.start + lo, ep.start + hi
        return {k: np.array(v[a:b]) for k, v in arr.items()}


@dataclass
class Window:
    ep: Episode
    pieces: list[tuple[int, int]]  # token ranges of the episode, concatenated
    junction: int  # input index whose target is not its true next token (-1: none)


def windows_for(ep: Episode, n: int, rng: np.random.Generator | None) -> list[Window]:
    """Windows of at most n tokens: the whole episode if it fits; else prefix + a chunk (random start
    with rng, else consecutive chunks covering the episode)."""
    if ep.length <= n:
        return [Window(ep, [(0, ep.length)], -1)]
    p = min(ep.prefix, n // 2)
    chunk = n - p
    if rng is not None:
        s = int(rng.integers(p, ep.length - chunk + 1))
        starts = [s]
    else:
        starts = list(range(p, ep.length - 1, chunk - 1))  # overlap one token: every target is seen
    out = []
    for s in starts:
        e = min(s + chunk, ep.length)
        pieces = [(0, p), (s, e)] if p else [(s, e)]
        out.append(Window(ep, pieces, p - 1 if p and s != p else -1))
    return out


class Batcher:
    """Turns windows into padded tensors for the model and the losses."""

    def __init__(self, ds: Dataset, action_target: str = "next", named: int = 0, fail_loss: frozenset[str] | None = None):
        """named: with k > 0, each batch also carries the named-object target of k objects (named.py).
        fail_loss: in episodes that did not succeed, only these columns' targets count (the others'
        loss mask is zero there), e.g. {"text"}: a failed DAgger rollout still teaches "not done yet"
        while its motion teaches nothing."""
        self.named = named
        self.fail_loss = fail_loss
        if named > 0:
            self.obj_i = next((i for i, c in enumerate(ds.columns) if c.kind == "objects"), None)
            if self.obj_i is None:
                raise DatasetError(f"{ds.root}: the named-object target needs an objects column; the card has none")
            classes = object_classes(ds.card)
            self.named_of = {e.id: named_classes(e.command, classes, named) for e in ds.episodes}
        if action_target not in ACTION_TARGETS:
            raise ValueError(f"action_target: expected one of {ACTION_TARGETS}, got {action_target!r}")
        if action_target == "command" and any("command" not in s for s in ds.shards):
            raise DatasetError(f"{ds.root}: --action-target command needs command.npy in every shard")
        self.ds, self.action_target = ds, action_target

    def __call__(self, windows: list[Window]) -> dict:
        ds, cols = self.ds, self.ds.columns
        parts = []
        for w in windows:
            chunks = [ds.read(w.ep, a, b) for a, b in w.pieces]
            parts.append({k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]})
        n = max(len(p["step"]) for p in parts)
        B, T, C = len(parts), n - 1, len(cols)
        present = np.zeros((B, n, C), np.float32)
        position = np.zeros((B, n), np.int64)
        valid = np.zeros((B, n), np.float32)
        data = {c.name: (np.full((B, n), ds.special["PAD"], np.int64) if c.kind == "text"
                         else np.zeros((B, n, c.width), np.float32)) for c in cols}
        command = None
        if self.action_target == "command":
            aw = next(c.width for c in cols if c.kind == "action")
            command = np.full((B, n, aw), np.nan, np.float32)
        for b, p in enumerate(parts):
            m = len(p["step"])
            present[b, :m], position[b, :m], valid[b, :m] = p["present"], p["step"], 1
            for c in cols:
                data[c.name][b, :m] = p[array_file(c)[:-4]]
            if command is not None:
                command[b, :m] = p["command"]
        tmask = present[:, 1:] * valid[:, 1:, None]  # [B, T, C]: the next token's column exists
        for b, w in enumerate(windows):
            if w.junction >= 0:
                tmask[b, w.junction] = 0
        targets = {c.name: data[c.name][:, 1:] for c in cols}
        if command is not None:
            ai = next(i for i, c in enumerate(cols) if c.kind == "action")
            cmd = command[:, :T]  # the expert's command at tick t is token t's action target
            ok = ~np.isnan(cmd).any(-1) & (valid[:, :T] > 0)
            tmask[:, :, ai] = ok
            targets[cols[ai].name] = np.nan_to_num(cmd)
        failed = [b for b, w in enumerate(windows) if self.fail_loss is not None and w.ep.outcome != "success"]
        for i, c in enumerate(cols):
            if failed and c.name not in self.fail_loss:
                tmask[failed, :, i] = 0
        # An absent input cell is zeroed (ids: PAD): its content must not matter, and NaN would
        # poison matmuls, an out-of-range id the embedding.
        for i, c in enumerate(cols):
            here = present[..., i] > 0.5
            if c.kind != "text":
                data[c.name] *= here[..., None]
                continue
            ids = data[c.name]
            ids[~here] = ds.special["PAD"]
            bad = (ids < 0) | (ids >= c.vocab)
            if bad.any():
                b, t = (int(x[0]) for x in np.nonzero(bad))
                raise DatasetError(f"{ds.root}: episode {windows[b].ep.id}: {array_file(c)} holds id {int(ids[b, t])} "
                                   f"at a present token; expected 0..{c.vocab - 1} (tokenizer.vocab_size)")
        extra = {}
        if self.named > 0:
            col = cols[self.obj_i]
            nt, nm = named_targets(data[col.name][:, :T], present[:, :T, self.obj_i],
                                   [self.named_of[w.ep.id] for w in windows], self.named, col.classes, col.coords)
            cls = np.full((B, self.named), -1, np.int64)
            for b, w in enumerate(windows):
                nmd = self.named_of[w.ep.id][:self.named]
                cls[b, :len(nmd)] = nmd
            # Tokens from the command's SEP on (position >= prefix - 1): the whole command has been read.
            after = np.stack([(position[b, :T] >= max(0, w.ep.prefix - 1)) & (valid[b, :T] > 0)
                              for b, w in enumerate(windows)]).astype(np.float32)
            if failed and "named" not in self.fail_loss:
                nm[failed] = 0
            extra = {"named": torch.from_numpy(nt), "named_mask": torch.from_numpy(nm),
                     "named_class": torch.from_numpy(cls), "after_command": torch.from_numpy(after)}
        return {
            **extra,
            "inputs": {k: torch.from_numpy(np.ascontiguousarray(v[:, :T])) for k, v in data.items()},
            "present": torch.from_numpy(present[:, :T]),
            "position": torch.from_numpy(position[:, :T]),
            "targets": {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in targets.items()},
            "tmask": torch.from_numpy(np.ascontiguousarray(tmask)),
            "tokens": int(valid[:, :T].sum()),
        }


def to_device(batch: dict, device: torch.device) -> dict:
    def mv(v):
        if isinstance(v, dict):
            return {k: mv(x) for k, x in v.items()}
        return v.to(device, non_blocking=True) if isinstance(v, torch.Tensor) else v
    return mv(batch)


class Sampler:
    """Random training windows: episodes drawn in proportion to their length, so every token is
    equally likely to be trained on."""

    def __init__(self, episodes: list[Episode], n: int, rng: np.random.Generator):
        if not episodes:
            raise DatasetError("no training episodes (every episode is in the val split?)")
        self.episodes, self.n, self.rng = episodes, n, rng
        w = np.array([e.length for e in episodes], np.float64)
        self.p = w / w.sum()

    def sample(self, k: int) -> list[Window]:
        idx = self.rng.choice(len(self.episodes), size=k, p=self.p)
        return [windows_for(self.episodes[i], self.n, self.rng)[0] for i in idx]


def val_windows(episodes: list[Episode], n: int, limit: int, seed: int) -> list[Window]:
    """A fixed set of validation windows covering the val episodes (at most `limit`)."""
    ws = [w for e in episodes for w in windows_for(e, n, None)]
    if len(ws) > limit:
        keep = np.random.default_rng(seed).choice(len(ws), size=limit, replace=False)
        ws = [ws[i] for i in sorted(keep)]
    return ws
