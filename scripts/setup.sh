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
# Extra groups, selected by NNR_SETUP_EXTRAS (space separated); by default
# "torch data report python slurm" (the use cases, their embedded data,
# gnuplot for the report's curves, the Python module's build, a Slurm and
# munge for the test of scripts/slurm/); NNR_SETUP_EXTRAS="" installs the
# core only.
#   torch: libtorch, OpenBLAS (libtorch's BLAS; the reference BLAS makes
#          fully-connected layers several times slower), OpenCV, libsndfile,
#          and Python's torchvision (checks our networks against torchvision's)
#   data:  Fashion-MNIST, espeak-ng (spoken digits), opencv-doc (photographs)
for extra in ${NNR_SETUP_EXTRAS-torch data report python slurm}; do
  case "$extra" in
    torch) packages+=(libtorch-dev libopenblas0-openmp libopencv-dev libsndfile1-dev zlib1g-dev python3-torchvision) ;;
    report) packages+=(gnuplot-nox) ;;
    python) packages+=(python3-dev python3-numpy pybind11-dev python3-pybind11) ;;
    slurm) packages+=(slurmctld slurmd slurm-client munge) ;;
    data) packages+=(espeak-ng sox dataset-fashion-mnist opencv-doc) ;;
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

sudo=()
if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
if ((${#missing[@]} > 0)); then
  echo "setup.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# libtorch links libblas.so.3 / liblapack.so.3: make them OpenBLAS if present.
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
for lib in libblas liblapack; do
  alt="$lib.so.3-$arch"
  target="/usr/lib/$arch/openblas-openmp/$lib.so.3"
  if [[ -e "$target" ]] && [[ "$(update-alternatives --query "$alt" 2>/dev/null | sed -n 's/^Value: //p')" != "$target" ]]; then
    echo "setup.sh: $alt -> $target"
    "${sudo[@]}" update-alternatives --set "$alt" "$target"
  fi
done
