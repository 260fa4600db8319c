#!/usr/bin/env bash
# Installs everything `make serve` and `make test` need on a fresh Debian/Ubuntu machine; safe to rerun.
#   - Debian packages: espeak-ng (G2P and the teacher voice), fortunes + fortunes-min (the text corpus),
#     prometheus (promtool and a real Prometheus for the monitoring tests; its service is not started)
#   - .venv with the project and its pinned Python dependencies (torch 2.13.0, nvidia-pytriton's Triton,
#     the Piper teacher voice and the Distill-MOS predictor, both with their weights inside the wheel)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv
STAMP=$VENV/.installed

need_apt=()
[ -e /usr/lib/x86_64-linux-gnu/libespeak-ng.so.1 ] || ldconfig -p 2>/dev/null | grep -q libespeak-ng.so.1 || need_apt+=(espeak-ng)
[ -e /usr/share/games/fortunes/fortunes ] || need_apt+=(fortunes fortunes-min)
command -v promtool >/dev/null || need_apt+=(prometheus)
command -v openssl >/dev/null || need_apt+=(openssl)
if [ ${#need_apt[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "== apt-get install ${need_apt[*]}"
  # prometheus' package would start its service; the tests run their own Prometheus. Where no policy exists,
  # one that refuses service starts is put in place for the install (Debian's policy-rc.d mechanism).
  policy=/usr/sbin/policy-rc.d
  if [ ! -e $policy ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee $policy >/dev/null
    $sudo chmod +x $policy
    trap '$sudo rm -f $policy' EXIT
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

[ -x $VENV/bin/python ] || { echo "== creating $VENV"; "$PYTHON" -m venv $VENV; }
wanted=$(cat pyproject.toml client/pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)
if [ "$(cat $STAMP 2>/dev/null)" != "$wanted" ]; then
  echo "== pip install (pinned)"
  $VENV/bin/pip install -q --upgrade pip
  $VENV/bin/pip install -q -e ".[training,serving,test]" -e ./client
  # Distill-MOS for the model card (training/mos.py); --no-deps: see pyproject.toml, training extras.
  $VENV/bin/pip install -q --no-deps distillmos==0.9.1 xls-r-sqa==0.1.0
  echo "$wanted" > $STAMP
fi
