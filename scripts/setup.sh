#!/usr/bin/env bash
# Installs the Debian packages the project needs. Idempotent: runs apt-get only
# when something is missing. Works as root without sudo (CI), or with sudo.
set -euo pipefail

# Core toolchain and the torch-free libraries (codec, io, harness, tests).
packages=(
  build-essential cmake ninja-build pkg-config git
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev libssl-dev
  libbz2-dev libzip-dev libeigen3-dev
  clang libclang-rt-14-dev
)
# Extra groups, selected by NNR_SETUP_EXTRAS (space separated), e.g. "torch".
for extra in ${NNR_SETUP_EXTRAS:-}; do
  case "$extra" in
    torch) packages+=(libtorch-dev libopenblas0-openmp libopencv-dev libsndfile1-dev) ;;
    report) packages+=(gnuplot-nox) ;;
    data) packages+=(espeak-ng sox dataset-fashion-mnist) ;;
    # What NNCodec needs to run under scripts/decoders/nncodec.py (NNCodec itself is not packaged).
    nncodec) packages+=(python3-numpy python3-torch python3-pybind11 python3-dev) ;;
    *) echo "setup.sh: unknown extra '$extra'" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "installed" ]] || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "setup.sh: installing ${missing[*]}"
sudo=()
if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
