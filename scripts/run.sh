#!/usr/bin/env bash
# The main job: installs what is missing, builds, checks the decoder on the
# conformance suites (a pass/fail table), then runs configs/default.json (the
# five embedded use cases x NNR with and without DQ x the anchor) and writes
# its report. Re-running continues an interrupted run where it stopped.
#   scripts/run.sh                     configs/default.json into results/default
#   scripts/run.sh configs/other.json  another run file
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh"
cd "$root"
nnr=build/bin/nnr

shared=${NNR_SHARED_DIR:-$root/../shared}
suites=(datasets/conformance)
for s in "$shared/conformance/nncodec" "$shared/conformance/nncodec-real"; do
  [[ -d "$s" ]] && suites+=("$s")
done
conform=0
"$nnr" conform "${suites[@]}" || conform=$?

config=${1:-configs/default.json}
out="results/$(basename "$config" .json)"
start=$(date +%s)
status=0
"$nnr" run "$config" --resume --output "$out" || status=$?
if [[ ! -f "$out/results.json" ]]; then
  echo "run.sh: the run did not finish (exit $status)" >&2
  exit $((status ? status : 1))
fi
"$nnr" report "$out"
echo "run.sh: $config finished in $(($(date +%s) - start)) s; report: $root/$out/report.md"
((conform == 0)) || echo "run.sh: $conform conformance vectors failed" >&2
exit $((status || conform))
