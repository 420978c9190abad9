#!/usr/bin/env bash
# Trains the five embedded models with their fixed recipes (nnr train) and
# reports the wall time of the whole job. Two queues run side by side with
# one intra-op thread each: these small networks keep one core busy much
# better than two threads keep two, and one thread makes each model
# reproducible on its own. The spoken-digit synthesis (dcase's data, cached
# in datasets/cache) is part of the timed job when the cache is empty.
#   scripts/train.sh                 into datasets/models/ (the committed models)
#   scripts/train.sh DIR             into DIR/<usecase>/
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh"
cd "$root"
nnr=build/bin/nnr
out=${1:-datasets/models}
logs=$(mktemp -d)

# Balanced by measured time: MobileNetV2 is the longest single job.
queue_a=(mobilenetv2 uc12b)
queue_b=(resnet50 vgg16 dcase)

run_queue() {
  local u
  for u in "$@"; do
    local t0=$(date +%s)
    if ! "$nnr" train "$u" --threads 1 -q -o "$out/$u" >"$logs/$u.json" 2>"$logs/$u.err"; then
      echo "train.sh: $u failed:" >&2
      cat "$logs/$u.err" >&2
      return 1
    fi
    echo "train.sh: $u done in $(($(date +%s) - t0)) s: $(cat "$logs/$u.json")"
  done
}

start=$(date +%s)
run_queue "${queue_a[@]}" &
pa=$!
run_queue "${queue_b[@]}" &
pb=$!
status=0
wait "$pa" || status=1
wait "$pb" || status=1
total=$(($(date +%s) - start))
echo "train.sh: all five trained in ${total} s ($((total / 60)) min $((total % 60)) s) into $out"
rm -rf "$logs"
exit "$status"
