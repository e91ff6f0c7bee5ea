"""ONNX export to contract v1 (DESIGN §3), the model card beside it, and the parity vectors that the
TypeScript test runs through onnxruntime-node (test/models/parity.test.ts).

Graph inputs: one per column (text_ids int64 [B,T], pixels/objects/action float32 [B,T,W]),
present float32 [B,T,C], position int64 [B,T], past_key_values.{i}.key/.value float32 [B,H,S,D].
Outputs: text_logits [B,T,V] (raw logits), pixels_out / objects_out in [0,1] (sigmoid; object
presence is a probability), action_out in [-1,1], present.{i}.key/.value [B,H,S+T,D].
"""
from __future__ import annotations

import base64
import copy
import inspect
import json
import os

import numpy as np
import torch
from torch import nn

from .model import OmniModel
from .schema import special_ids

OPSET = 17  # the newest torch 1.13 exports; LayerNormalization is one op from 17 on


class OnnxGraph(nn.Module):
    """The model with the contract's flat signature: (column inputs..., present, position, past...)."""

    def __init__(self, model: OmniModel):
        super().__init__()
        self.model = model

    def forward(self, *args):
        cols = self.model.columns
        inputs = {c.name: a for c, a in zip(cols, args)}
        present, position = args[len(cols)], args[len(cols) + 1]
        flat = args[len(cols) + 2:]
        past = [(flat[2 * i], flat[2 * i + 1]) for i in range(len(flat) // 2)]
        out, presents = self.model(inputs, present, position, past)
        res = [self.model.finish(c, out[c.name], inputs, present) for c in cols]
        for k, v in presents:
            res += [k, v]
        return tuple(res)


def io_names(model: OmniModel) -> tuple[list[str], list[str]]:
    n = model.cfg.layers
    ins = [c.input_name for c in model.columns] + ["present", "position"]
    ins += [f"past_key_values.{i}.{kv}" for i in range(n) for kv in ("key", "value")]
    outs = [c.output_name for c in model.columns]
    outs += [f"present.{i}.{kv}" for i in range(n) for kv in ("key", "value")]
    return ins, outs


def example_inputs(model: OmniModel, batch: int, new: int, past: int, seed: int, start: int = 0) -> list[torch.Tensor]:
    """Random but well-formed inputs: ids in the vocabulary, continuous columns in their ranges,
    some cells absent, positions start..start+new-1, and a random cache of `past` tokens."""
    g = torch.Generator().manual_seed(seed)
    cfg, args = model.cfg, []
    for c in model.columns:
        if c.kind == "text":
            args.append(torch.randint(0, c.vocab, (batch, new), generator=g))
        elif c.kind == "action":
            args.append(torch.rand(batch, new, c.width, generator=g) * 2 - 1)
        else:
            args.append(torch.rand(batch, new, c.width, generator=g))
    present = (torch.rand(batch, new, len(model.columns), generator=g) > 0.25).float()
    for i, c in enumerate(model.columns):
        if c.kind != "text":
            args[i] = args[i] * present[..., i:i + 1]  # absent cells are zero-filled (omnitoken Cell)
    args.append(present)
    args.append(torch.arange(start, start + new).repeat(batch, 1))
    for _ in range(cfg.layers):
        for _kv in range(2):
            args.append(torch.randn(batch, cfg.heads, past, cfg.head_dim, generator=g))
    return args


def export_onnx(model: OmniModel, path: str) -> None:
    model = model.eval()
    graph = OnnxGraph(model)
    ins, outs = io_names(model)
    # Trace with S > 0 and T > 1 so no size is specialised; S = 0 works at run time (tested in TS).
    args = tuple(example_inputs(model, batch=1, new=3, past=2, seed=0, start=2))
    axes = {}
    for c in model.columns:
        axes[c.input_name] = {0: "batch", 1: "tokens"}
        axes[c.output_name] = {0: "batch", 1: "tokens"}
    axes["present"] = {0: "batch", 1: "tokens"}
    axes["position"] = {0: "batch", 1: "tokens"}
    for i in range(model.cfg.layers):
        for kv in ("key", "value"):
            axes[f"past_key_values.{i}.{kv}"] = {0: "batch", 2: "past"}
            axes[f"present.{i}.{kv}"] = {0: "batch", 2: "total"}
    kw = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kw["dynamo"] = False  # torch >= 2.9 defaults to the dynamo exporter; keep the one 1.13 has
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(graph, args, path, input_names=ins, output_names=outs, dynamic_axes=axes,
                          opset_version=OPSET, do_constant_folding=True, **kw)


def make_card(base: dict, model: OmniModel, name: str, onnx_file: str = "model.onnx",
              training: dict | None = None, metrics: dict | None = None, description: str | None = None) -> dict:
    """The dataset's card (its columns, tokenizer, rate) with this model's name, graph, cache layout."""
    card = copy.deepcopy(base)
    cfg = model.cfg
    card["name"] = name
    if description is not None:
        card["description"] = description
    card["onnx"] = onnx_file
    card["context_length"] = cfg.context_length
    card["kv_cache"] = {"layers": cfg.layers, "heads": cfg.heads, "head_dim": cfg.head_dim, "dtype": "float32"}
    if training is not None:
        # The architecture beside the data it was trained on: enough to rebuild the same network
        # (e.g. PyTorch's side of the step benchmark) from the card alone.
        card["training"] = {**training, "model_config": cfg.to_dict()}
    else:
        card.pop("training", None)
    if metrics is not None:
        card["metrics"] = {k: float(v) for k, v in metrics.items()}
    else:
        card.pop("metrics", None)
    return card


def _encode(t: torch.Tensor) -> dict:
    a = t.detach().cpu().numpy()
    a = a.astype(np.int64 if a.dtype.kind in "iu" else np.float32)
    return {"dtype": "int64" if a.dtype == np.int64 else "float32", "shape": list(a.shape),
            "data": base64.b64encode(np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes()).decode()}


def decode(entry: dict) -> np.ndarray:
    dt = np.dtype("<i8") if entry["dtype"] == "int64" else np.dtype("<f4")
    return np.frombuffer(base64.b64decode(entry["data"]), dtype=dt).reshape(entry["shape"])


def parity_vectors(model: OmniModel, seed: int = 0, prefill: int = 5, steps: int = 3, bos: int = 257) -> dict:
    """A prefill from an empty cache (S = 0), then one-token steps and a two-token step, each fed the
    cache torch produced, then a batch of two from an empty cache; inputs and torch's outputs for
    each. The first prefill starts with the command prefix's shape: BOS, text-only tokens."""
    model = model.eval()
    graph = OnnxGraph(model)
    ins, outs = io_names(model)
    n_cols = len(model.columns)
    cases, past, pos = [], None, 0
    plan = [prefill] + [1] * steps + [2]
    for k, t in enumerate(plan):
        args = example_inputs(model, batch=1, new=t, past=0, seed=seed * 1000 + k, start=pos)
        if k == 0:
            ti = next((i for i, c in enumerate(model.columns) if c.kind == "text"), None)
            if ti is not None:  # BOS then text-only tokens, as an episode begins
                args[ti][0, 0] = bos
                args[n_cols][0, :2] = 0
                args[n_cols][0, :2, ti] = 1
                for i, c in enumerate(model.columns):
                    if i != ti:
                        args[i][0, :2] = 0
        if past is not None:
            args[n_cols + 2:] = past
        with torch.no_grad():
            res = graph(*args)
        cases.append({"name": "prefill" if k == 0 else f"step{k}", "past": int(pos), "new": t,
                      "inputs": {n: _encode(a) for n, a in zip(ins, args)},
                      "outputs": {n: _encode(r) for n, r in zip(outs, res)}})
        past = list(res[n_cols:])
        pos += t
    # A batch of two from an empty cache: the batch axis is dynamic too.
    args = example_inputs(model, batch=2, new=3, past=0, seed=seed * 1000 + len(plan), start=0)
    with torch.no_grad():
        res = graph(*args)
    cases.append({"name": "batch2", "past": 0, "new": 3, "inputs": {n: _encode(a) for n, a in zip(ins, args)},
                  "outputs": {n: _encode(r) for n, r in zip(outs, res)}})
    return {"format": "omniloop-parity", "version": 1, "tolerance": 1e-4, "torch": torch.__version__,
            "chain": "a case with past > 0 takes its past_key_values from the previous case's present outputs", "cases": cases}


def write_export(model: OmniModel, out_dir: str, base_card: dict, name: str, training: dict | None = None,
                 metrics: dict | None = None, description: str | None = None, seed: int = 0) -> dict:
    """model.onnx + card.json + parity.json in out_dir; returns the card."""
    os.makedirs(out_dir, exist_ok=True)
    onnx_path = os.path.join(out_dir, "model.onnx")
    export_onnx(model, onnx_path)
    card = make_card(base_card, model, name, "model.onnx", training, metrics, description)
    with open(os.path.join(out_dir, "card.json"), "w", encoding="utf-8") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "parity.json"), "w", encoding="utf-8") as f:
        json.dump(parity_vectors(model, seed, bos=special_ids(base_card)["BOS"]), f)
    return card
