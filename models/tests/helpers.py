"""Shared fixtures for the model tests: the import path, a micro model, a synthetic dataset."""
from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile

MODELS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(MODELS)
sys.path.insert(0, MODELS)

import torch  # noqa: E402

from omnimodel import synth  # noqa: E402
from omnimodel.config import ModelConfig, default_blocks  # noqa: E402
from omnimodel.model import OmniModel  # noqa: E402
from omnimodel.schema import columns_from_card  # noqa: E402

torch.set_num_threads(1)  # tests are small; one thread is faster than two fighting and is deterministic
CARD = synth.MICRO_CARD
COLUMNS = columns_from_card(CARD)
_tmp = tempfile.mkdtemp(prefix="omnimodel-test-")
atexit.register(shutil.rmtree, _tmp, True)


def micro_model(seed: int = 0, layers: int = 2, width: int = 8, heads: int = 2) -> OmniModel:
    torch.manual_seed(seed)
    cfg = ModelConfig(blocks=default_blocks(COLUMNS, lo=width, hi=width, free=width), layers=layers, heads=heads,
                      mlp_ratio=2, context_length=64)
    return OmniModel(COLUMNS, cfg).eval()


def tmpdir(name: str) -> str:
    d = os.path.join(_tmp, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


_datasets: dict[int, str] = {}


def dataset(episodes: int = 48) -> str:
    """A synthetic micro dataset in the CONVENTIONS layout (made once per size and process)."""
    if episodes not in _datasets:
        d = tmpdir(f"data-{episodes}")
        synth.make(d, CARD, episodes, seed=1, shard_tokens=700)  # several shards
        _datasets[episodes] = d
    return _datasets[episodes]


def inputs(model: OmniModel, batch: int, tokens: int, seed: int = 0, start: int = 0):
    """(inputs by column name, present, position) with random well-formed content."""
    from omnimodel.export import example_inputs
    args = example_inputs(model, batch, tokens, 0, seed, start)
    n = len(model.columns)
    return {c.name: a for c, a in zip(model.columns, args)}, args[n], args[n + 1]
