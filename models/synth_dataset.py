#!/usr/bin/env python3
"""Write a small synthetic dataset in the layout of docs/CONVENTIONS.md (for smoke-testing the
training pipeline without the simulator): /usr/bin/python3 models/synth_dataset.py --out DIR
[--episodes N] [--card CARD.json] [--seed S]. Default card: the micro test schema."""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from omnimodel import synth  # noqa: E402

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--episodes", type=int, default=200)
    ap.add_argument("--card", default="", help="model card JSON whose schema to use (default: micro)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    card = synth.MICRO_CARD
    if a.card:
        with open(a.card, encoding="utf-8") as f:
            card = json.load(f)
    synth.make(a.out, card, a.episodes, a.seed)
    print(f"{a.out}: {a.episodes} episodes")
