#!/usr/bin/env bash
# Builds, then runs every test with CTest: the Release build (whose codec
# tests run twice, on the x86-64 asm and on the C++ reference chosen at run
# time), the codec tests of a build without any asm (-DNNR_ASM=OFF), then
# every libFuzzer target for a few seconds (NNR_FUZZ_SECONDS, default 10),
# and the torch-free targets again under AddressSanitizer + UndefinedBehaviorSanitizer.
#   scripts/test.sh            all
#   NNR_SKIP_SANITIZE=1 / NNR_SKIP_FUZZ=1 scripts/test.sh   without those stages
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${NNR_JOBS:-$(nproc)}
# Tests run side by side: idle OpenMP threads (libtorch, OpenBLAS) should sleep, not spin.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

"$root/scripts/build.sh"
echo "== tests (Release)"
ctest --test-dir "$root/build" --output-on-failure -j "$jobs"

echo "== codec tests (portable build, no asm)"
portable="$root/build-portable"
cmake -S "$root" -B "$portable" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DNNR_ASM=OFF -DNNR_BUILD_BENCH=OFF -DNNR_WITH_TORCH=OFF -DNNR_PYTHON=OFF
cmake --build "$portable" -j "$jobs" --target nnr_codec_tests
ctest --test-dir "$portable/codec" --output-on-failure -j "$jobs" -E '\.portable$'

if [[ -z "${NNR_SKIP_FUZZ:-}" ]]; then
  echo "== fuzz targets (a short run each: scripts/fuzz.sh)"
  "$root/scripts/fuzz.sh" "${NNR_FUZZ_SECONDS:-10}"
fi

if [[ -z "${NNR_SKIP_SANITIZE:-}" ]]; then
  echo "== tests (ASan + UBSan)"
  san="$root/build-asan"
  # -O1 with line tables only: reports keep file:line, the build takes far
  # less time than -O2 with full debug information.
  cmake -S "$root" -B "$san" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
    -DNNR_SANITIZE=ON -DNNR_BUILD_BENCH=OFF -DNNR_WITH_TORCH=OFF -DNNR_PYTHON=OFF
  cmake --build "$san" -j "$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$san" --output-on-failure -j "$jobs"
fi
