#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) into build-fuzz/, seeds
# their corpora from the conformance suites, the models and the configs, and
# runs each target for a time (or a number of executions). Findings
# (crash-*, oom-*, timeout-*, leak-*) go to build-fuzz/findings/<target>/;
# the exit status is non-zero if there is any. The corpora grow across runs
# in build-fuzz/corpus/<target>/.
#   scripts/fuzz.sh                      60 s per target, every target
#   scripts/fuzz.sh 3600                 an hour each
#   scripts/fuzz.sh 30 fuzz_decoder ...  some targets
#   NNR_FUZZ_RUNS=10000000 scripts/fuzz.sh 3600   10 M executions or an hour, whichever comes first
#   (seconds 0: no time limit)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(fuzz_bit_reader fuzz_arith_decoder fuzz_decoder fuzz_anchor fuzz_npy fuzz_torch_pickle fuzz_model_file
           fuzz_json fuzz_cli_decode)
fi
NNR_SETUP_EXTRAS="" "$root/scripts/setup.sh"
build=${NNR_FUZZ_BUILD_DIR:-$root/build-fuzz}
jobs=${NNR_JOBS:-$(nproc)}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DNNR_FUZZ=ON -DNNR_WITH_TORCH=OFF -DNNR_BUILD_TESTS=OFF -DNNR_BUILD_BENCH=OFF -DNNR_PYTHON=OFF > "$build.configure.log" ||
  { cat "$build.configure.log"; exit 1; }
cmake --build "$build" -j "$jobs" --target "${targets[@]}" nnr

# Seeds: each corpus gets what its reader reads.
shared="$root/../shared"
seed() {  # seed TARGET FILE...
  local dir="$build/corpus/$1"
  shift
  mkdir -p "$dir"
  local f
  for f in "$@"; do
    [[ -f "$f" ]] || continue
    cp "$f" "$dir/seed-$(sha256sum "$f" | cut -c1-16)"
  done
}
streams=("$root"/datasets/conformance/*/stream.nnc "$shared"/conformance/nncodec*/*/stream.nnc
         "$shared"/conformance/nncodec2/*/step-*/stream.nnc)
arrays=("$root"/datasets/conformance/*/decoded/*.npy)
seed fuzz_decoder "${streams[@]}"
seed fuzz_cli_decode "${streams[@]}"
seed fuzz_npy "${arrays[@]}"
seed fuzz_model_file "${arrays[@]:0:20}" "$shared"/models/*/*.pt "$root"/datasets/models/uc12b/model.npz
seed fuzz_json "$root"/configs/*.json "$root"/datasets/conformance/*/manifest.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0
for a in "${arrays[@]:0:12}"; do
  "$build/bin/nnr" encode "$a" -o "$tmp/anchor-$i.nra" --codec anchor -q 2>/dev/null || true
  i=$((i + 1))
done
seed fuzz_anchor "$tmp"/*.nra "${streams[@]:0:3}"
# The pickles inside the PyTorch files (a zip entry ending in data.pkl).
for pt in "$shared"/models/*/*.pt; do
  [[ -f "$pt" ]] || continue
  if command -v python3 > /dev/null; then
    python3 - "$pt" "$tmp/data.pkl" <<'PY' || true
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
name = next(n for n in z.namelist() if n.endswith("data.pkl"))
open(sys.argv[2], "wb").write(z.read(name))
PY
    seed fuzz_torch_pickle "$tmp/data.pkl"
  fi
done
printf '\x80\x02}q\x00.' > "$tmp/empty_dict.pkl"
seed fuzz_torch_pickle "$tmp/empty_dict.pkl"
# The worked example of the specification (10.2): N = 11, DQ, 8 qp bits, shape 2 x 4.
printf '\x0a\x51\x01\x03\x00\x00\x00\x00\xd9\xb3\x00\x07\x87\x03\x2b\x3e\x0f\xa6\xcb\x21\x23\xa0\xda\x05\xc7\xc0' \
  > "$tmp/worked_example"
seed fuzz_arith_decoder "$tmp/worked_example"
head -c 256 /dev/urandom > "$tmp/random"
seed fuzz_bit_reader "$tmp/random"

status=0
printf '%-20s %12s %8s  %s\n' target executions seconds result
for t in "${targets[@]}"; do
  findings="$build/findings/$t"
  mkdir -p "$findings" "$build/corpus/$t"
  limit=(-max_total_time="$seconds")
  if [[ -n "${NNR_FUZZ_RUNS:-}" ]]; then limit+=(-runs="$NNR_FUZZ_RUNS"); fi
  log="$build/findings/$t.log"
  start=$(date +%s)
  set +e
  (cd "$findings" && "$build/bin/$t" "$build/corpus/$t" "${limit[@]}" -max_len=65536 -rss_limit_mb=2048 \
    -malloc_limit_mb=2048 -timeout=20 -print_final_stats=1 -artifact_prefix="$findings/") > "$log" 2>&1
  rc=$?
  set -e
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  result=ok
  if ((rc != 0)) || compgen -G "$findings/crash-*" > /dev/null || compgen -G "$findings/oom-*" > /dev/null ||
     compgen -G "$findings/timeout-*" > /dev/null || compgen -G "$findings/leak-*" > /dev/null; then
    result="FINDING (exit $rc; see $log and $findings)"
    status=1
  fi
  printf '%-20s %12s %8s  %s\n' "$t" "${runs:-?}" "$(( $(date +%s) - start ))" "$result"
done
exit $status
