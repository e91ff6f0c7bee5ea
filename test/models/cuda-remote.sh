#!/usr/bin/env bash
# The model side (models/) on a machine with an NVIDIA GPU and torch 2.x, where CPU-only CI cannot
# look: the Python suite under that torch, train.py on CUDA with bfloat16 autocast, torchrun with
# NCCL, and the ONNX export under torch 2.x, its parity vectors replayed through Python's
# onnxruntime. Needs python3 with torch, onnx and onnxruntime; no Node. Run from anywhere; results
# go to $OUT (default /tmp/cuda-out). Steps and sizes: STEPS (300), EPISODES (600).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/cuda-out}
PY=${PY:-python3}
STEPS=${STEPS:-300}
DEVICE=${DEVICE:-cuda} # cpu: a dry run of this script on a machine without a GPU
EPISODES=${EPISODES:-600}
mkdir -p "$OUT"
exec > >(tee "$OUT/log.txt") 2>&1
export PYTHONDONTWRITEBYTECODE=1
status=0
step() { echo; echo "== $1 ($(date -u +%T))"; }

step "versions"
"$PY" -c 'import sys, torch, onnx; print("python", sys.version.split()[0], "| torch", torch.__version__, "| cuda", torch.version.cuda, torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "-", "| onnx", onnx.__version__)'
"$PY" -c 'import onnxruntime as o; print("onnxruntime", o.__version__)'
nproc

step "models/tests under this torch"
[ -n "${SKIP_SUITE:-}" ] || timeout "${SUITE_S:-300}" "$PY" -m unittest discover -s models/tests > "$OUT/suite.txt" 2>&1 || { echo "suite: exit $?"; status=1; }
tail -n 25 "$OUT/suite.txt"

# The reference model's shape (models/reference/card.json's training.model_config) on a synthetic
# dataset in the simulator card's schema: the step time is the real one, the losses are not.
step "synthetic dataset, simulator schema"
"$PY" models/synth_dataset.py --card sim/card.json --episodes "$EPISODES" --out /tmp/cuda-ds || status=1
RECIPE=(--data /tmp/cuda-ds --name omniloop-cuda-check --context 64 --layers 3 --batch-size 16 --free-block 96
  --steps "$STEPS" --lr 2e-4 --warmup 50 --action-residual 0.25 --action-loss step --named 2
  --val-every "$STEPS" --val-windows 64 --log-every 50 --seed 1)

for amp in "" "--amp"; do
  run=/tmp/cuda-run${amp:+-amp}
  step "train.py --device cuda $amp"
  rm -rf "$run"
  timeout "${TRAIN_S:-240}" "$PY" models/train.py --device "$DEVICE" $amp --out "$run" "${RECIPE[@]}" --quiet || { echo "train $amp: exit $?"; status=1; }
  tail -n 4 "$run/metrics.jsonl" 2>/dev/null | cut -c1-300
  "$PY" - "$run" <<'PY' || status=1
# Replays parity.json (written by the export under this torch) through onnxruntime, chaining each
# case's present.* into the next case's past_key_values.*, as test/models/parity.ts does in Node.
import base64, json, sys
import numpy as np, onnxruntime as ort
run = sys.argv[1]
p = json.load(open(f"{run}/parity.json"))
sess = ort.InferenceSession(f"{run}/model.onnx", providers=["CPUExecutionProvider"])
dec = lambda e: np.frombuffer(base64.b64decode(e["data"]), dtype=e["dtype"]).reshape(e["shape"])
prev, worst = None, 0.0
for case in p["cases"]:
    feeds = {k: dec(v) for k, v in case["inputs"].items()}
    if case["past"] > 0 and prev is not None:
        for k in list(feeds):
            if k.startswith("past_key_values."):
                i, kind = k.split(".")[1:]
                feeds[k] = prev[f"present.{i}.{kind}"]
    names = [o.name for o in sess.get_outputs()]
    got = dict(zip(names, sess.run(names, feeds)))
    for k, v in case["outputs"].items():
        want = dec(v)
        if got[k].shape != want.shape:
            sys.exit(f"parity {run}: case {case['name']}: {k} has shape {got[k].shape}, torch gave {want.shape}")
        err = float(np.max(np.abs(got[k].astype(np.float64) - want))) if want.size else 0.0
        worst = max(worst, err)
    prev = got
tol = p["tolerance"]
print(f"parity {run}: {len(p['cases'])} cases (export under torch {p['torch']}), max |diff| {worst:.2e}, tolerance {tol}:", "OK" if worst <= tol else "FAILED")
sys.exit(0 if worst <= tol else 1)
PY
done

# What a GPU buys over this recipe's 16 windows a step: the same model at 256 windows a step.
step "train.py --device $DEVICE --amp --batch-size 256"
rm -rf /tmp/cuda-big
timeout "${TRAIN_S:-240}" "$PY" models/train.py --device "$DEVICE" --amp --out /tmp/cuda-big "${RECIPE[@]}" --batch-size 256 \
  --steps 100 --val-every 100 --no-export --quiet || { echo "train batch 256: exit $?"; status=1; }
tail -n 2 /tmp/cuda-big/metrics.jsonl 2>/dev/null | cut -c1-300

step "torchrun --nproc_per_node 1 (NCCL)"
rm -rf /tmp/cuda-ddp
timeout "${TRAIN_S:-240}" "$PY" -m torch.distributed.run --nproc_per_node 1 --redirects 2 --tee 2 --log_dir /tmp/cuda-ddp-logs models/train.py --device "$DEVICE" --amp --out /tmp/cuda-ddp \
  "${RECIPE[@]}" --steps 100 --val-every 100 --no-export --quiet || { echo "torchrun: exit $?"; status=1; }
tail -n 2 /tmp/cuda-ddp/metrics.jsonl 2>/dev/null | cut -c1-300

for r in /tmp/cuda-run /tmp/cuda-run-amp /tmp/cuda-big /tmp/cuda-ddp; do
  [ -d "$r" ] && mkdir -p "$OUT/$(basename "$r")" && cp "$r"/metrics.jsonl "$r"/report.json "$r"/REPORT.md "$OUT/$(basename "$r")/" 2>/dev/null
done
echo; echo "cuda-remote: exit $status"
exit $status
