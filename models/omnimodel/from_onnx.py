"""Weights back from an exported model: an ONNX file and its card become a checkpoint to fine-tune.

A shipped model keeps only its ONNX file and card; its training checkpoint is not in the repository.
To continue training it (`train.py --init models/reference/card.json`), the weights are read back
from the ONNX initializers. The exporter names some of them after the parameters (`model.blocks.0.ln1.weight`)
and others only after the MatMul they feed (`onnx::MatMul_787`, stored transposed), so the names
are learnt by exporting a model of the same architecture whose every parameter holds distinct random
values, and finding each initializer's parameter by value. Parameters the export leaves out
(training-only heads, such as the named-object head) keep a fresh initialisation and are listed.
"""
from __future__ import annotations

import json
import os
import tempfile

import numpy as np
import torch

from .checkpoint import VERSION, CheckpointError
from .config import ModelConfig
from .export import export_onnx
from .model import OmniModel
from .schema import columns_from_card


def initializers(path: str) -> dict[str, np.ndarray]:
    """An ONNX file's initializers by name (external data read too)."""
    import onnx
    from onnx import numpy_helper
    m = onnx.load(path)
    return {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}


def fill_distinct(model: OmniModel) -> OmniModel:
    """Every parameter filled with distinct random values (seeded), so each is found by value."""
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.rand(p.shape, generator=g) * 2 - 1)
    return model


def _names_by_value(model: OmniModel) -> dict[str, tuple[str, bool]]:
    """Initializer name -> (parameter name, stored transposed), from an export of `model` itself."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "probe.onnx")
        export_onnx(model, path)
        return names_by_value(model, path)


def names_by_value(model: OmniModel, path: str) -> dict[str, tuple[str, bool]]:
    """Initializer name -> (parameter name, stored transposed) for `path`, an export of `model`
    whose parameters hold distinct values (fill_distinct)."""
    params = dict(model.named_parameters())
    inits = initializers(path)
    found: dict[str, tuple[str, bool]] = {}
    for iname, arr in inits.items():
        direct = iname[len("model."):] if iname.startswith("model.") else None
        if direct in params and tuple(params[direct].shape) == arr.shape:
            found[iname] = (direct, False)
            continue
        for pname, p in params.items():
            v = p.detach().numpy()
            if v.shape == arr.shape and np.array_equal(v, arr):
                found[iname] = (pname, False)
                break
            if v.ndim == 2 and v.T.shape == arr.shape and np.array_equal(v.T, arr):
                found[iname] = (pname, True)
                break
        else:
            # Constant folding may compute a new tensor from several parameters; the mapping would
            # then be partial, and fine-tuning from it wrong. Refuse rather than guess.
            raise CheckpointError(f"ONNX initializer {iname} {list(arr.shape)} matches no parameter of the model")
    return found


def load_initializers(state: dict, inits: dict[str, np.ndarray], names: dict, where: str) -> set[str]:
    """Put each initializer into `state` under its parameter (transposed back where stored so);
    returns the parameters filled."""
    filled = set()
    for iname, (pname, transposed) in names.items():
        arr = inits[iname].T if transposed else inits[iname]
        if tuple(state[pname].shape) != arr.shape:
            raise CheckpointError(f"{where}: {iname} has shape {list(arr.shape)}, "
                                  f"the card's architecture wants {list(state[pname].shape)} for {pname}")
        state[pname] = torch.from_numpy(np.array(arr, dtype=np.float32))  # a writable copy
        filled.add(pname)
    return filled


def state_from_onnx(card_path: str) -> dict:
    """A checkpoint state (as checkpoint.load returns) holding an exported model's weights."""
    try:
        with open(card_path) as f:
            card = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{card_path}: cannot read the model card: {e}") from e
    mc = (card.get("training") or {}).get("model_config")
    if not mc:
        raise CheckpointError(f"{card_path}: the card has no training.model_config, so the architecture is unknown")
    onnx_path = os.path.join(os.path.dirname(os.path.abspath(card_path)), card.get("onnx", "model.onnx"))
    if not os.path.exists(onnx_path):
        raise CheckpointError(f"{card_path}: its ONNX file {onnx_path} does not exist")
    cfg = ModelConfig.from_dict(mc)
    probe = fill_distinct(OmniModel(columns_from_card(card, card_path), cfg))
    names = _names_by_value(probe)
    shipped = initializers(onnx_path)
    if set(shipped) != set(names):
        extra = sorted(set(shipped) ^ set(names))[:5]
        raise CheckpointError(f"{onnx_path}: its initializers differ from those of the card's architecture "
                              f"(e.g. {extra}); was it exported by another torch version?")
    model = OmniModel(columns_from_card(card, card_path), cfg)  # fresh init for what the export lacks
    state = model.state_dict()
    filled = load_initializers(state, shipped, names, onnx_path)
    fresh = sorted(k for k, _ in model.named_parameters() if k not in filled)
    return {"version": VERSION, "card": card, "config": cfg.to_dict(), "model": state, "optim": None,
            "step": 0, "elapsed": 0.0, "run": {"from_onnx": onnx_path, "fresh": fresh}}
