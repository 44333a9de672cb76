#!/usr/bin/env bash
# The current PyTorch from PyPI as a peer beside Debian's 1.13: installs it once into a venv
# under ~/.cache/neuropart/torch-venv (about 5.5 GB, most of it CUDA libraries a CPU run never
# loads; not part of CI), then runs bench/torch_mlp_step.py with it. Arguments go to that script.
# Compare its best time with reference_step_bench's and Debian torch's in the same sitting.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${NEUROPART_CACHE:-$HOME/.cache/neuropart}/torch-venv"
if ! "${venv}/bin/python" -c "import torch, numpy" 2>/dev/null; then
  echo "torch_latest: installing the current torch into ${venv} (once; several GB)" >&2
  python3 -m venv "${venv}"
  "${venv}/bin/pip" install -q torch numpy
fi
exec "${venv}/bin/python" bench/torch_mlp_step.py "$@"
