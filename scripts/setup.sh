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
# dlib's HOG face detector is twice as fast with AVX2's integer instructions
# (13.9 -> 6.5 ms a call, docs/benchmarks.md): build it with -mavx2 where the CPU
# has AVX2. Not -mfma: fused multiply-adds round the landmark and pose arithmetic
# differently, and such a build changed a verdict. The flags a venv's dlib was
# built with are kept beside it, and dlib is rebuilt, bypassing pip's wheel cache
# (which would hand back a build with other flags), when the wanted ones differ.
dlib_flags=""
if grep -qw avx2 /proc/cpuinfo 2>/dev/null; then
  dlib_flags="-mavx2"
fi
dlib_req=$(.venv/bin/python -c 'import tomllib; print(next(r for r in tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"] if r.startswith("dlib")))')
dlib_stamp=.venv/.lifecert-dlib-flags
if [ ! -f "$dlib_stamp" ] || [ "$(cat "$dlib_stamp")" != "flags=$dlib_flags $dlib_req" ]; then
  echo "==> building $dlib_req with CXXFLAGS='$dlib_flags' (several minutes)"
  .venv/bin/python -m pip uninstall -q -y dlib-bin >/dev/null 2>&1 || true
  CFLAGS="$dlib_flags" CXXFLAGS="$dlib_flags" .venv/bin/python -m pip install -q \
    --no-cache-dir --no-binary dlib --force-reinstall --no-deps "$dlib_req"
  echo "flags=$dlib_flags $dlib_req" >"$dlib_stamp"
fi
stamp=.venv/.lifecert-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "==> pip install"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[test]"
  touch "$stamp"
fi
