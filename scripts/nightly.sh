#!/usr/bin/env bash
# The nightly regression run: builds, runs configs/nightly.json into a fresh
# run folder, writes its report, and compares it with the committed baseline
# results/baselines/nightly.json. Exit status: non-zero on any regression.
#   scripts/nightly.sh                  compare against the baseline
#   NNR_NIGHTLY_UPDATE=1 scripts/nightly.sh   make this run the new baseline
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh"
nnr="$root/build/bin/nnr"
cd "$root"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="results/nightly-$stamp"
# A failed point is a regression the comparison reports; go on to it.
"$nnr" run configs/nightly.json --output "$out" || echo "nightly: some points failed" >&2
"$nnr" report "$out"
baseline=results/baselines/nightly.json
if [[ -n "${NNR_NIGHTLY_UPDATE:-}" ]]; then
  exec "$nnr" compare "$baseline" "$out" --update
fi
exec "$nnr" compare "$baseline" "$out"
