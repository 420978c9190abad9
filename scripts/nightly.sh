#!/usr/bin/env bash
# The nightly regression run: builds, runs configs/nightly.json into a fresh
# run folder, writes its report, runs the benchmarks (whole `nnr` processes,
# the decoder and the encoder) into it as Google Benchmark JSON, and compares
# both with the committed baselines: results/baselines/nightly.json (streams,
# metrics, step times) and results/baselines/bench-*.json (benchmark times,
# each against 1.5x its baseline). Exit status: non-zero on any regression.
#   scripts/nightly.sh                  compare against the baselines
#   NNR_NIGHTLY_UPDATE=1 scripts/nightly.sh   make this run the new baselines
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh"
bin="$root/build/bin"
nnr="$bin/nnr"
cd "$root"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="results/nightly-$stamp"
# A failed point is a regression the comparison reports; go on to it.
"$nnr" run configs/nightly.json --output "$out" || echo "nightly: some points failed" >&2
"$nnr" report "$out"
for b in cli decode encode; do
  "$bin/nnr_bench_$b" --benchmark_repetitions=3 --benchmark_out="$out/bench-$b.json" \
    --benchmark_out_format=json || echo "nightly: nnr_bench_$b failed" >&2
done

update=()
if [[ -n "${NNR_NIGHTLY_UPDATE:-}" ]]; then update=(--update); fi
status=0
"$nnr" compare results/baselines/nightly.json "$out" "${update[@]}" || status=1
for b in cli decode encode; do
  echo "== benchmarks: $b"
  "$nnr" compare "results/baselines/bench-$b.json" "$out/bench-$b.json" "${update[@]}" || status=1
done
exit $status
