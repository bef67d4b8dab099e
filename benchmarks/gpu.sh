#!/usr/bin/env bash
# Issue 22: the GPU checks, in one go, on a machine with an NVIDIA GPU (a few minutes):
#   1. the test suite's CUDA-marked tests (precision choice, memory display, a real out-of-memory
#      forced with a huge batch and recovered, inference on the GPU);
#   2. the training throughput of the bundled model against a plain Trainer script (samples/s
#      ratio, model FLOP utilisation against the GPU's bf16 peak) and the memory figures,
#      written into benchmarks/results.md (and results.json) through benchmarks/run_all.py.
# Without a GPU it says so in a sentence, checks that the CUDA tests are collected and skipped,
# and stops (exit 0): the suite passes without one.
#
#   bash benchmarks/gpu.sh            # PY=/path/to/python to choose the interpreter
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-}"
if [ -z "$PY" ]; then
  for candidate in .venv/bin/python /work/main/.venv/bin/python python3; do
    if command -v "$candidate" >/dev/null 2>&1; then PY="$candidate"; break; fi
  done
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 QT_QPA_PLATFORM=offscreen
CUDA_TESTS="tests/core/evaluation/test_inference_cuda.py tests/core/training/test_cuda_training.py"

gpu="$("$PY" -c 'import torch; print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")' 2>/dev/null)"
if [ -z "$gpu" ]; then
  echo "No NVIDIA GPU here (torch sees no CUDA device), so there is nothing to measure on a GPU."
  echo "Checking that the CUDA tests are collected and skip cleanly without one ..."
  "$PY" -m pytest -q -p no:cacheprovider -m cuda -rs $CUDA_TESTS
  rc=$?
  [ "$rc" -eq 0 ] || [ "$rc" -eq 5 ] || exit "$rc"   # 5: every test skipped or deselected
  "$PY" -m benchmarks.gpu_training
  exit 0
fi

echo "GPU: $gpu"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || true
status=0
echo "== 1/2 CUDA-marked tests"
"$PY" -m pytest -q -p no:cacheprovider -m cuda -rs $CUDA_TESTS || status=1
echo "== 2/2 GPU training throughput, GPU inference speed and memory (into benchmarks/results.md)"
"$PY" -m benchmarks.run_all gpu_training inference_speed memory_figures || status=1
grep -E "GPU|memory|inference" benchmarks/results.md || true
exit "$status"
