#!/usr/bin/env bash
# The GPU benchmark on a machine that has an NVIDIA GPU, PyTorch and onnx but no Node and no npm
# registry (docs/PERFORMANCE.md). `pack` runs here and fills .gpu/ (git-ignored): a Node binary, the
# Linux x64 onnxruntime-node package, the bench bundled into one file, and the weight maps and large
# model's graph from `models/bench_gpu.py layout`. `run` runs there, from the repository root, with
# .gpu/ (and .gl/, the Vulkan loader packages, where the machine lacks them) beside it; results go to
# $OUT (default /tmp/gpu-out).
set -euo pipefail
cd "$(dirname "$0")/../.."
case "${1:-}" in
pack)
  mkdir -p .gpu/nm/node_modules/onnxruntime-node/bin/napi-v6/linux/x64
  PY=${OMNILOOP_PYTHON:-/usr/bin/python3}
  [ -f .gpu/models/shipped.map.json ] || "$PY" models/bench_gpu.py layout --out .gpu/models
  rm -f .gpu/models/large/model.onnx.data # the run writes it from a seeded initialisation
  xz -T2 -6 -c "$(command -v node)" > .gpu/node.xz
  ort=node_modules/onnxruntime-node
  xz -T2 -6 -c $ort/bin/napi-v6/linux/x64/libonnxruntime.so.1 > .gpu/libort.xz
  cp -r $ort/package.json $ort/dist .gpu/nm/node_modules/onnxruntime-node/
  cp $ort/bin/napi-v6/linux/x64/onnxruntime_binding.node .gpu/nm/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/
  cp -r node_modules/onnxruntime-common .gpu/nm/node_modules/
  node_modules/.bin/esbuild test/bench/gpu-main.ts --bundle --platform=node --format=esm --target=node20 \
    --external:onnxruntime-node --outfile=.gpu/nm/gpu-bench.mjs --log-level=warning
  du -sh .gpu
  ;;
run)
  OUT=${OUT:-/tmp/gpu-out}
  mkdir -p "$OUT" /tmp/gpu-prof
  exec > >(tee "$OUT/log.txt") 2>&1
  if ! ldconfig -p | grep -q libvulkan.so.1 && ls .gl/*.deb >/dev/null 2>&1; then
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  fi
  icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  [ -f $icd ] && export VK_DRIVER_FILES=$icd
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv | tee "$OUT/env.txt" || echo "nvidia-smi failed" | tee "$OUT/env.txt"
  python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],"wb"))' .gpu/node.xz /tmp/node
  chmod +x /tmp/node
  python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],"wb"))' .gpu/libort.xz \
    .gpu/nm/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1
  echo "node $(/tmp/node --version); $(nproc) cores" | tee -a "$OUT/env.txt"
  timeout "${PREPARE_S:-240}" "${PY:-python3}" models/bench_gpu.py prepare --models .gpu/models --out /tmp/gpu-prep \
    --device "${DEVICE:-cuda}" --steps "${STEPS:-200}"
  cp /tmp/gpu-prep/torch.json "$OUT/"
  timeout "${ONNX_S:-300}" /tmp/node .gpu/nm/gpu-bench.mjs --models .gpu/models --prepared /tmp/gpu-prep \
    --providers "${PROVIDERS:-webgpu,cuda,cpu}" --out "$OUT/gpu-table" --profile /tmp/gpu-prof --python "${PY:-python3}" ${BENCH_ARGS:-} || echo "onnx side: exit $?"
  tar czf "$OUT/profiles.tgz" -C /tmp/gpu-prof $(cd /tmp/gpu-prof && ls *-ops.json 2>/dev/null) || true
  ;;
*)
  echo "usage: $0 pack|run" >&2
  exit 2
  ;;
esac
