#!/usr/bin/env bash
# Installs what LifeCert needs on a fresh Debian machine: system packages (when
# run as root and they are missing), a venv in .venv and the Python packages.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v ffmpeg >/dev/null 2>&1 || need_apt+=(ffmpeg)
# dlib is built from source against OpenBLAS: its face descriptor takes ~18 ms
# instead of ~90 ms with dlib's own matrix code (docs/benchmarks.md).
command -v cmake >/dev/null 2>&1 || need_apt+=(cmake)
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
dpkg -s libopenblas-dev >/dev/null 2>&1 || need_apt+=(libopenblas-dev)
if [ "${LIFECERT_WITH_BROWSER:-0}" = "1" ] && [ ! -x /usr/bin/chromium ]; then
  need_apt+=(chromium fonts-noto-cjk)
fi
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "==> apt-get install ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "Missing system packages: ${need_apt[*]} (install them with apt-get as root)" >&2
    exit 1
  fi
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.lifecert-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "==> pip install"
  .venv/bin/python -m pip install -q --upgrade pip
  # The prebuilt dlib-bin of older checkouts ships the same module: remove it
  # before dlib is built (the first build takes several minutes).
  .venv/bin/python -m pip uninstall -q -y dlib-bin >/dev/null 2>&1 || true
  .venv/bin/python -m pip install -q -e ".[test]"
  touch "$stamp"
fi
