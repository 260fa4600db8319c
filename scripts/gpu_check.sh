#!/usr/bin/env bash
# The GPU check, on a lent GPU machine (the device tool), from the repository root. Here, first:
#   .venv/bin/python -m serving.gpu_pack          # build/gpu_pack: tritonserver, espeak-ng, missing packages
# then on the device: carry ["build/gpu_pack"], command "bash scripts/gpu_check.sh [--fp16]" ($GPU_PACK: another
# pack, e.g. one made here with --python 3.11 to try this script on this machine with --device cpu). It unpacks the
# pack, prints what the run depends on (the GPU, the target's libpython for the backend stub), and runs
# loadtests.gpu_check against the real server; the report and the server logs go to $OUT (or build/gpu_check).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD:$PWD/python_backends:$PWD/client${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
eval "$(python3 -m serving.gpu_pack --unpack "${GPU_PACK:-build/gpu_pack}" --into /tmp/gpu_pack)"
nvidia-smi -L || true
libdir=$(python3 -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR"))')
ls "$libdir"/libpython3*.so* 2>/dev/null || echo "no libpython in $libdir: the backend stub will not start"
python3 -m loadtests.gpu_check --out "${OUT:-build/gpu_check}" "$@"
