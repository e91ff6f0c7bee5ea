#!/usr/bin/env python3
"""PyTorch's side of the GPU benchmark (`omniloop bench --only gpu`, docs/PERFORMANCE.md).

Two models are compared: the shipped one (models/reference) and a large configuration of the same
architecture (~100 M parameters: 12 layers, width 768, a 64x64x3 pixel column), exported by the
same code. Both sides must run the same weights on the same inputs:

  layout    (any torch; run where the models are built) writes, for each model, the map from its
            ONNX initializers to the network's parameters (some are stored transposed), and for the
            large model its card and its ONNX graph with the weights in an external file that is
            left out: 400 MB of random numbers need not travel to the GPU machine.
  prepare   (on the GPU machine) rebuilds each network, fills the large model's weight file from a
            seeded initialisation (the shipped one reads its ONNX weights back), writes the inputs
            (a 64-token command prefill, then one-token steps), the fp32 reference outputs, and
            times PyTorch: eager, and each step replayed from a CUDA graph.

  /usr/bin/python3 models/bench_gpu.py layout --out .gpu/models [--only shipped]
  python3 models/bench_gpu.py prepare --models .gpu/models --out OUT/gpu [--device cuda] [--only shipped]

`prepare` writes OUT/gpu/<model>/{io.json, *.bin} for the TypeScript side (test/bench/gpu.bench.ts)
and OUT/gpu/torch.json with PyTorch's figures.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from omnimodel.config import ModelConfig  # noqa: E402
from omnimodel.export import OnnxGraph, example_inputs, export_onnx, io_names, make_card  # noqa: E402
from omnimodel.from_onnx import fill_distinct, initializers, load_initializers, names_by_value  # noqa: E402
from omnimodel.model import OmniModel, count_params  # noqa: E402
from omnimodel.schema import columns_from_card, special_ids  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SHIPPED_CARD = os.path.join(HERE, "reference", "card.json")
PREFILL = 64  # "the prefill of a 64-token command" (the issue)

# The large configuration: same columns as the shipped model, the camera at 64x64x3, d_model 768
# split over the column blocks, 12 layers of 12 heads (head_dim 64).
LARGE_BLOCKS = {"text": 64, "pixels": 256, "objects": 128, "action": 64, "free": 256}
LARGE = dict(layers=12, heads=12, mlp_ratio=4, context_length=512)


def load_card(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def network(card: dict, card_path: str) -> OmniModel:
    cfg = ModelConfig.from_dict(card["training"]["model_config"])
    return OmniModel(columns_from_card(card, card_path), cfg).eval()


def large_card(shipped: dict) -> tuple[dict, ModelConfig]:
    base = copy.deepcopy(shipped)
    for c in base["columns"]:
        if c["kind"] == "pixels":
            c["image"] = {"height": 64, "width": 64, "channels": 3}
            c["width"] = 64 * 64 * 3
    extra = dict(shipped["training"]["model_config"].get("extra", {}))
    cfg = ModelConfig(blocks=dict(LARGE_BLOCKS), extra=extra, **LARGE)
    return base, cfg


CHAIN = 500


def write_chain(path: str) -> None:
    """A graph of CHAIN element-wise Adds on 16 floats: its run time over CHAIN is what one kernel
    costs a provider when the work itself is nothing (the per-dispatch overhead)."""
    import onnx
    from onnx import TensorProto, helper
    nodes, prev = [], "x"
    one = helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0])
    for i in range(CHAIN):
        out = "y" if i == CHAIN - 1 else f"t{i}"
        nodes.append(helper.make_node("Add", [prev, "one"], [out]))
        prev = out
    g = helper.make_graph(nodes, "chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 16])], [one])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)


def cmd_layout(args) -> None:
    import onnx
    import tempfile
    out = args.out
    os.makedirs(os.path.join(out, "large"), exist_ok=True)
    shipped = load_card(SHIPPED_CARD)
    write_chain(os.path.join(out, "chain.onnx"))
    # The shipped model: its map, learnt from an export of the same architecture.
    with tempfile.TemporaryDirectory() as tmp:
        probe = fill_distinct(network(shipped, SHIPPED_CARD))
        export_onnx(probe, os.path.join(tmp, "probe.onnx"))
        shipped_map = names_by_value(probe, os.path.join(tmp, "probe.onnx"))
    real = {i.name for i in onnx.load(os.path.join(HERE, "reference", shipped["onnx"])).graph.initializer}
    if real != set(shipped_map):
        raise SystemExit("models/reference: its ONNX initializers differ from this torch's export of its architecture")
    with open(os.path.join(out, "shipped.map.json"), "w") as f:
        json.dump(shipped_map, f)
    if "large" not in args.only:
        print(f"layout: {out}/shipped.map.json")
        return
    # The large model: card, graph with external weights, map.
    base, cfg = large_card(shipped)
    probe = fill_distinct(OmniModel(columns_from_card(base, SHIPPED_CARD), cfg).eval())
    card = make_card(base, probe, "omniloop-large-bench", "model.onnx", {"model_config": cfg.to_dict(), "data": "none: random weights, for timing"},
                     description=f"benchmark configuration, {count_params(probe) / 1e6:.1f} M parameters, random weights")
    with open(os.path.join(out, "large", "card.json"), "w") as f:
        json.dump(card, f, indent=2)
    onnx_path = os.path.join(out, "large", "model.onnx")
    export_onnx(probe, onnx_path)
    large_map = names_by_value(probe, onnx_path)
    m = onnx.load(onnx_path)
    # Every initializer is a parameter (names_by_value checked), so all of them go to the data file;
    # `prepare` writes that file again from the map.
    onnx.save_model(m, onnx_path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location="model.onnx.data", size_threshold=0)
    os.remove(os.path.join(out, "large", "model.onnx.data"))
    with open(os.path.join(out, "large", "map.json"), "w") as f:
        json.dump(large_map, f)
    print(f"layout: {out}/shipped.map.json, {out}/large/ ({count_params(probe) / 1e6:.1f} M parameters, "
          f"{len(large_map)} initializers)")


def fill_external(model: OmniModel, onnx_path: str, mapping: dict[str, list]) -> None:
    """Write the ONNX file's external weight file from `model`'s parameters."""
    import onnx
    m = onnx.load(onnx_path, load_external_data=False)
    params = dict(model.named_parameters())
    data_path = None
    with torch.no_grad():
        writes = []
        for init in m.graph.initializer:
            info = {e.key: e.value for e in init.external_data}
            pname, transposed = mapping[init.name]
            arr = params[pname].detach().float().cpu().numpy()
            arr = np.ascontiguousarray(arr.T if transposed else arr, dtype="<f4")
            if list(arr.shape) != list(init.dims) or int(info["length"]) != arr.nbytes:
                raise SystemExit(f"{onnx_path}: {init.name} is {list(init.dims)}, parameter {pname} gives {list(arr.shape)}")
            data_path = os.path.join(os.path.dirname(onnx_path), info["location"])
            writes.append((int(info["offset"]), arr))
    with open(data_path, "wb") as f:
        for off, arr in sorted(writes, key=lambda w: w[0]):
            f.seek(off)
            f.write(arr.tobytes())


def load_from_onnx(model: OmniModel, onnx_path: str, mapping: dict[str, list]) -> None:
    state = model.state_dict()
    load_initializers(state, initializers(onnx_path), mapping, onnx_path)
    model.load_state_dict(state)


def command_inputs(model: OmniModel, card: dict, seed: int) -> list[torch.Tensor]:
    """A `PREFILL`-token command: BOS, then text-only tokens (the other columns absent)."""
    n_cols = len(model.columns)
    args = example_inputs(model, 1, PREFILL, 0, seed=seed)
    ti = next(i for i, c in enumerate(model.columns) if c.kind == "text")
    args[ti][0, 0] = special_ids(card)["BOS"]
    args[n_cols].zero_()
    args[n_cols][..., ti] = 1
    for i, c in enumerate(model.columns):
        if i != ti:
            args[i].zero_()
    return args[: n_cols + 2]


def save_tensors(folder: str, tensors: dict[str, torch.Tensor | np.ndarray]) -> dict:
    entries = {}
    for name, t in tensors.items():
        a = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else t
        dtype = {np.dtype("float32"): "float32", np.dtype("int64"): "int64"}[a.dtype]
        file = name.replace("/", "_") + ".bin"
        np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tofile(os.path.join(folder, file))
        entries[name] = {"file": file, "dtype": dtype, "shape": list(a.shape)}
    return entries


def quantiles(ms: list[float]) -> dict:
    s = sorted(ms)
    pick = lambda q: s[min(len(s) - 1, int(q * (len(s) - 1) + 0.5))]  # noqa: E731
    return {"p50_ms": pick(0.5), "p99_ms": pick(0.99), "n": len(s)}


def bench_model(name: str, model: OmniModel, card: dict, out: str, device: str, steps: int, repeats: int) -> dict:
    torch.backends.cuda.matmul.allow_tf32 = False  # the reference is fp32, as the ONNX graph is
    torch.backends.cudnn.allow_tf32 = False
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    model = model.to(device).eval()
    graph = OnnxGraph(model).eval()
    ins, outs = io_names(model)
    n_cols = len(model.columns)
    layers = model.cfg.layers
    prefill = command_inputs(model, card, seed=7)
    step_in = [example_inputs(model, 1, 1, 0, seed=100 + i, start=PREFILL + i)[: n_cols + 2] for i in range(steps)]
    empty = [torch.zeros(1, model.cfg.heads, 0, model.cfg.head_dim) for _ in range(2 * layers)]
    dev = lambda ts: [t.to(device) for t in ts]  # noqa: E731
    sync = (lambda: torch.cuda.synchronize()) if device.startswith("cuda") else (lambda: None)  # noqa: E731
    host_outs = lambda res: [r.cpu() for r in res[:n_cols]]  # noqa: E731 — the loop needs these on the host

    # Reference chain (fp32), saved for the agreement check on the ONNX side.
    with torch.no_grad():
        res = graph(*dev(prefill), *dev(empty))
        ref_prefill = {f"out.{outs[i]}": res[i][:, -1:] for i in range(n_cols)}
        past = list(res[n_cols:])
        ref_steps: dict[str, list[torch.Tensor]] = {outs[i]: [] for i in range(n_cols)}
        for s in step_in:
            res = graph(*dev(s), *past)
            for i in range(n_cols):
                ref_steps[outs[i]].append(res[i])
            past = list(res[n_cols:])
    tensors = {f"prefill.{ins[i]}": prefill[i] for i in range(n_cols + 2)}
    tensors.update({f"step.{ins[i]}": torch.stack([s[i] for s in step_in]) for i in range(n_cols + 2)})
    tensors.update(ref_prefill)
    tensors.update({f"ref.{k}": torch.stack(v) for k, v in ref_steps.items()})
    io = {"model": name, "card": card.get("name"), "prefill": PREFILL, "steps": steps, "inputs": ins, "outputs": outs,
          "columns": n_cols, "params": count_params(model), "kv": [model.cfg.heads, model.cfg.head_dim], "tensors": save_tensors(folder, tensors)}
    with open(os.path.join(folder, "io.json"), "w") as f:
        json.dump(io, f, indent=1)

    rows = {}
    with torch.no_grad():
        # Prefill: from an empty cache each time, outputs to the host.
        pre = dev(prefill)
        e = dev(empty)
        for _ in range(5):
            host_outs(graph(*pre, *e))
        ms = []
        for _ in range(repeats):
            sync()
            t0 = time.perf_counter()
            host_outs(graph(*pre, *e))
            sync()
            ms.append((time.perf_counter() - t0) * 1000)
        rows["prefill.eager"] = quantiles(ms)
        # Steps, eager: the cache grows one token a step, as in the runtime.
        base = list(graph(*pre, *e)[n_cols:])
        s_dev = [dev(s) for s in step_in]
        for _warm in range(2):
            past = base
            ms = []
            for s in s_dev:
                sync()
                t0 = time.perf_counter()
                res = graph(*s, *past)
                host_outs(res)
                sync()
                ms.append((time.perf_counter() - t0) * 1000)
                past = list(res[n_cols:])
        rows["step.eager"] = quantiles(ms)
        if device.startswith("cuda"):
            try:
                rows["step.cuda_graph"] = cuda_graph_steps(graph, s_dev, base, n_cols, host_outs, sync)
            except Exception as e:  # noqa: BLE001 — a row that says why beats losing the whole run
                print(f"{name}: CUDA graph not measured: {type(e).__name__}: {e}", flush=True)
    return rows


def cuda_graph_steps(graph, s_dev, base, n_cols, host_outs, sync) -> dict:
    """One step captured at a past of the prefill's length, replayed with new inputs copied in (a
    static shape: the cache does not grow between replays)."""
    static_in = [t.clone() for t in s_dev[0]]
    static_past = [t.clone() for t in base]
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(3):
            graph(*static_in, *static_past)
    torch.cuda.current_stream().wait_stream(stream)
    cg = torch.cuda.CUDAGraph()
    with torch.cuda.graph(cg):
        static_out = graph(*static_in, *static_past)
    # The replay against eager on one input, before timing it.
    for a, b in zip(static_in, s_dev[1]):
        a.copy_(b)
    cg.replay()
    want = graph(*s_dev[1], *base)
    err = max(float((static_out[i] - want[i]).abs().max()) for i in range(n_cols))
    ms: list[float] = []
    for _warm in range(2):
        ms = []
        for s in s_dev:
            sync()
            t0 = time.perf_counter()
            for a, b in zip(static_in, s):
                a.copy_(b, non_blocking=True)
            cg.replay()
            host_outs(static_out)
            sync()
            ms.append((time.perf_counter() - t0) * 1000)
    return {**quantiles(ms), "max_abs_vs_eager": err}


def ceilings(jobs) -> dict:
    """What bounds a step from below on this GPU: the time to read each model's weights once at the
    measured copy bandwidth, and the cost of one small kernel launch from eager PyTorch."""
    n = 1 << 28  # 1 GiB of fp32: well past the L2, so the copy measures memory, not cache
    a = torch.rand(n, device="cuda")
    b = torch.empty_like(a)
    for _ in range(3):
        b.copy_(a)
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    for _ in range(10):
        start.record()
        b.copy_(a)
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    ms = sorted(times)[len(times) // 2]
    bw = 2 * a.numel() * 4 / (ms / 1000)  # bytes read + written per second
    del a, b
    x = torch.rand(16, device="cuda")
    for _ in range(100):
        x.add_(1)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(2000):
        x.add_(1)
    torch.cuda.synchronize()
    launch_us = (time.perf_counter() - t0) / 2000 * 1e6
    out = {"copy_GBps": bw / 1e9, "eager_launch_us": launch_us}
    for name, model, _card, _path in jobs:
        nbytes = sum(p.numel() * 4 for p in model.parameters())
        out[f"{name}_weights_MB"] = nbytes / 1e6
        out[f"{name}_weights_read_ms"] = nbytes / bw * 1000
    return out


def cmd_prepare(args) -> None:
    torch.manual_seed(0)
    os.makedirs(args.out, exist_ok=True)
    device = args.device
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("prepare: --device cuda, but torch sees no CUDA device")
    result = {"torch": torch.__version__, "device": torch.cuda.get_device_name(0) if device.startswith("cuda") else "cpu",
              "threads": torch.get_num_threads(), "models": {}}
    shipped = load_card(SHIPPED_CARD)
    jobs = []
    if "shipped" in args.only:
        model = network(shipped, SHIPPED_CARD)
        with open(os.path.join(args.models, "shipped.map.json")) as f:
            load_from_onnx(model, os.path.join(HERE, "reference", shipped["onnx"]), json.load(f))
        jobs.append(("shipped", model, shipped, os.path.abspath(os.path.join(HERE, "reference", shipped["onnx"]))))
    if "large" in args.only:
        card_path = os.path.join(args.models, "large", "card.json")
        card = load_card(card_path)
        model = OmniModel(columns_from_card(card, card_path), ModelConfig.from_dict(card["training"]["model_config"])).eval()
        onnx_path = os.path.join(args.models, "large", "model.onnx")
        with open(os.path.join(args.models, "large", "map.json")) as f:
            fill_external(model, onnx_path, json.load(f))
        jobs.append(("large", model, card, os.path.abspath(onnx_path)))
    if device.startswith("cuda"):
        result["ceilings"] = ceilings(jobs)
        print(f"ceilings: {json.dumps(result['ceilings'])}", flush=True)
    for name, model, card, onnx_path in jobs:
        t0 = time.perf_counter()
        try:
            rows = bench_model(name, model, card, args.out, device, args.steps, args.repeats)
        except Exception:  # noqa: BLE001 — the other model's figures still count
            import traceback
            traceback.print_exc()
            print(f"{name}: not measured (above)", flush=True)
            continue
        result["models"][name] = {"onnx": onnx_path, "params": count_params(model), "rows": rows}
        print(f"{name}: {count_params(model) / 1e6:.2f} M parameters, " + ", ".join(
            f"{k} p50 {v['p50_ms']:.3f} ms p99 {v['p99_ms']:.3f} ms" for k, v in rows.items()) + f" ({time.perf_counter() - t0:.1f} s)",
            flush=True)
    with open(os.path.join(args.out, "torch.json"), "w") as f:
        json.dump(result, f, indent=1)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    lay = sub.add_parser("layout", help="weight maps, and the large model's card and graph")
    lay.add_argument("--out", required=True)
    lay.add_argument("--only", default="shipped,large", help="shipped alone skips the large model")
    pre = sub.add_parser("prepare", help="weights, inputs, reference outputs and PyTorch's timings")
    pre.add_argument("--models", required=True, help="the folder `layout` wrote")
    pre.add_argument("--out", required=True)
    pre.add_argument("--device", default="cuda")
    pre.add_argument("--steps", type=int, default=200, help="one-token steps timed after the prefill")
    pre.add_argument("--repeats", type=int, default=50, help="prefills timed")
    pre.add_argument("--only", default="shipped,large")
    pre.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args(argv)
    if args.cmd == "layout":
        cmd_layout(args)
    else:
        torch.set_num_threads(args.threads)
        cmd_prepare(args)


if __name__ == "__main__":
    main()
