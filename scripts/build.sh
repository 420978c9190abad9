#!/usr/bin/env bash
# Installs what is missing, then configures and builds (Release, -O2) into
# build/. Every executable lands in build/bin/.
#   scripts/build.sh [extra cmake -D options]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
build=${NNR_BUILD_DIR:-$root/build}
jobs=${NNR_JOBS:-$(nproc)}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$build" -j "$jobs"
