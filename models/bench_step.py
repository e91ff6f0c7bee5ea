#!/usr/bin/env python3
"""The one-token step with KV cache in PyTorch eager, for the runtime's step benchmark to compare
against (`omniloop bench --only step`). Rebuilds the network from a model card's
`training.model_config` (what models/export.py writes), loads a checkpoint's weights when given
(timing does not depend on weight values, so a card alone is enough), prefills `--prefix` tokens,
then times `--steps` one-token steps, each fed the cache of the previous one — the same sequence
of shapes the runtime runs. Prints one JSON line: {"p50_ms", "p99_ms", "steps", "threads", "torch"}.

  /usr/bin/python3 models/bench_step.py --card models/reference/card.json [--checkpoint RUN/checkpoint.pt]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

from omnimodel.config import ModelConfig  # noqa: E402
from omnimodel.export import OnnxGraph, example_inputs  # noqa: E402
from omnimodel.model import OmniModel  # noqa: E402
from omnimodel.schema import columns_from_card  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--card", required=True)
    ap.add_argument("--checkpoint", help="load these weights (else random init of the same shapes)")
    ap.add_argument("--prefix", type=int, default=40, help="tokens prefilled before the timed steps")
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args(argv)
    with open(args.card, encoding="utf-8") as f:
        card = json.load(f)
    cfg_dict = (card.get("training") or {}).get("model_config")
    if cfg_dict is None:
        raise SystemExit(f"{args.card}: no training.model_config (re-export it with models/export.py)")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = OmniModel(columns_from_card(card), ModelConfig.from_dict(cfg_dict)).eval()
    if args.checkpoint:
        state = torch.load(args.checkpoint, map_location="cpu")
        model.load_state_dict(state.get("model", state))
    graph = OnnxGraph(model).eval()
    n_cols, layers = len(model.columns), model.cfg.layers
    with torch.no_grad():
        out = graph(*example_inputs(model, 1, args.prefix, 0, seed=0))  # prefill, S = 0
        past = list(out[n_cols:])
        times = []
        for i in range(args.steps):
            step = example_inputs(model, 1, 1, 0, seed=1 + i, start=args.prefix + i)[: n_cols + 2]
            t0 = time.perf_counter()
            out = graph(*step, *past)
            times.append((time.perf_counter() - t0) * 1000)
            past = list(out[n_cols:])
    assert len(past) == 2 * layers
    times.sort()
    pick = lambda q: times[min(len(times) - 1, int(q * (len(times) - 1) + 0.5))]  # noqa: E731
    print(json.dumps({"p50_ms": pick(0.5), "p99_ms": pick(0.99), "steps": args.steps, "threads": args.threads, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
