#!/usr/bin/env bash
# Builds TensorRT engines from ONNX models into a pod's engine cache: the init container of the
# gpu-tensorrt variant (k8s/components/gpu-tensorrt). Engines depend on the GPU type and the TensorRT
# version, so they go to CACHE_DIR/<gpu>/<tensorrt>/<model>.plan and are built only when missing or when
# the ONNX model, its shape profile or the build flags changed; a pod restart reuses them. Then
# CACHE_DIR/current points at that directory: the GPU repository's <model>/1/model.plan links resolve
# through it (serving/gpu_repository.py, ENGINE_DIR).
#
# Usage: build_trt_engines.sh ONNX_DIR CACHE_DIR
#   ONNX_DIR/<model>.onnx     the model (python -m training.export)
#   ONNX_DIR/<model>.profile  its shape profile for trtexec (python -m serving.gpu_repository --onnx ONNX_DIR),
#                             three lines, e.g. the acoustic model's (tests/test_limits.py keeps this true)
#                               minShapes=PHONEME_IDS:1x1,LENGTHS:1,SPEAKER:1,PACE:1
#                               optShapes=PHONEME_IDS:8x64,LENGTHS:8,SPEAKER:8,PACE:8
#                               maxShapes=PHONEME_IDS:32x512,LENGTHS:32,SPEAKER:32,PACE:32
# Engines are fp16 (weights and activations; trtexec keeps fp32 where a layer needs it) and share one timing
# cache per GPU and TensorRT version, which makes rebuilds after a model change faster.
# No ONNX models is not an error: it logs so and exits 0.
set -euo pipefail

log() { echo "build_trt_engines: $*" >&2; }

onnx_dir=${1:?usage: build_trt_engines.sh ONNX_DIR CACHE_DIR}
cache_root=${2:?usage: build_trt_engines.sh ONNX_DIR CACHE_DIR}

shopt -s nullglob
models=("$onnx_dir"/*.onnx)
if [ ${#models[@]} -eq 0 ]; then
  log "no ONNX models in $onnx_dir: nothing to build"
  exit 0
fi

trtexec=$(command -v trtexec || echo /usr/src/tensorrt/bin/trtexec)
[ -x "$trtexec" ] || { log "trtexec not found (PATH or $trtexec): cannot build ${#models[@]} engine(s)"; exit 1; }

gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -n 1 | tr -c 'A-Za-z0-9\n' '_')
tensorrt=$(basename "$(readlink -f "$(ldconfig -p | awk '/libnvinfer\.so\.[0-9]+ / {print $NF; exit}')")")
[ -n "$tensorrt" ] || { log "libnvinfer (TensorRT) not found by ldconfig"; exit 1; }
cache="$cache_root/$gpu/$tensorrt"
mkdir -p "$cache"
flags=(--fp16 --timingCacheFile="$cache/timing.cache" --skipInference)
log "${#models[@]} model(s), GPU $gpu, $tensorrt, cache $cache"

for onnx in "${models[@]}"; do
  name=$(basename "$onnx" .onnx)
  profile="$onnx_dir/$name.profile"
  [ -f "$profile" ] || { log "$name: $profile is missing (min/opt/max shapes)"; exit 1; }
  engine="$cache/$name.plan"
  key=$( (cat "$onnx" "$profile"; echo "${flags[@]}") | sha256sum | cut -d ' ' -f 1)
  if [ -f "$engine" ] && [ "$(cat "$engine.key" 2>/dev/null)" = "$key" ]; then
    log "$name: cached engine is current"
    continue
  fi
  log "$name: building $engine"
  mapfile -t shapes < <(sed -e '/^[[:space:]]*$/d' -e 's/^/--/' "$profile")
  "$trtexec" --onnx="$onnx" "${shapes[@]}" "${flags[@]}" --saveEngine="$engine.partial"
  mv "$engine.partial" "$engine"  # a killed build never leaves a half-written engine under the real name
  echo "$key" > "$engine.key"
done
ln -sfn "$gpu/$tensorrt" "$cache_root/current"  # relative: valid wherever the volume is mounted
log "done: $cache_root/current -> $gpu/$tensorrt"
