#!/usr/bin/env python3
"""Regenerates the tiny deterministic test models in test/fixtures/models/ (random weights, fixed
seed) with the same export code as the shipped model: model.onnx + card.json + parity.json each.

  micro/  every column kind at toy widths (4x4 camera, 2 objects, 3 joints): a few KB of weights
  tiny/   the simulator's schema (sim/card.json; until it exists, the tabletop fixture card), tiny
          blocks: for runtime tests that pack real-sized omnitokens

Usage (from the repository root): /usr/bin/python3 models/make_test_models.py [--out DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

from omnimodel.config import ModelConfig, default_blocks  # noqa: E402
from omnimodel.export import write_export  # noqa: E402
from omnimodel.model import OmniModel  # noqa: E402
from omnimodel.schema import columns_from_card  # noqa: E402
from omnimodel.synth import MICRO_CARD  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = 6


def sim_card() -> tuple[dict, str]:
    for rel in ("sim/card.json", "test/fixtures/cards/valid-tabletop.json"):
        p = os.path.join(ROOT, rel)
        if os.path.exists(p):
            with open(p, encoding="utf-8") as f:
                return json.load(f), rel
    raise SystemExit("make_test_models: neither sim/card.json nor test/fixtures/cards/valid-tabletop.json exists")


def build(card: dict, width: int, layers: int, heads: int, context: int, seed: int) -> OmniModel:
    torch.manual_seed(seed)
    cols = columns_from_card(card)
    cfg = ModelConfig(blocks=default_blocks(cols, lo=width, hi=width, free=width), layers=layers, heads=heads,
                      mlp_ratio=2, context_length=context)
    return OmniModel(cols, cfg).eval()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(ROOT, "test/fixtures/models"), help="folder for micro/ and tiny/")
    ap.add_argument("--only", choices=("micro", "tiny"), help="make one of the two")
    args = ap.parse_args(argv)
    names = [args.only] if args.only else ["micro", "tiny"]
    torch.set_num_threads(1)  # bit-for-bit the same weights and vectors on every machine

    if "micro" in names:
        model = build(MICRO_CARD, width=4, layers=2, heads=2, context=64, seed=SEED)
        write_export(model, os.path.join(args.out, "micro"), MICRO_CARD, "micro-random",
                     description="Test model: random weights (seed 6), micro schema; regenerate with "
                                 "models/make_test_models.py. Its outputs mean nothing.", seed=SEED)
    if "tiny" in names:
        card, source = sim_card()
        model = build(card, width=4, layers=2, heads=2, context=128, seed=SEED)
        write_export(model, os.path.join(args.out, "tiny"), card, "tiny-random",
                     description=f"Test model: random weights (seed 6), the schema of {source}; regenerate with "
                                 "models/make_test_models.py. Its outputs mean nothing.", seed=SEED)
    for name in names:
        d = os.path.join(args.out, name)
        sizes = ", ".join(f"{f} {os.path.getsize(os.path.join(d, f)) // 1024} KB" for f in sorted(os.listdir(d)))
        print(f"{d}: {sizes}")


if __name__ == "__main__":
    main()
