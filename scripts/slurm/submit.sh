#!/usr/bin/env bash
# Submits a run file to Slurm as a job array: task K of N runs
#   nnr run CONFIG --shard K/N --output OUT/shard-K
# and a job that waits for the whole array (afterok) merges the shards into
# OUT/merged and writes its report. Prints the two job ids (also in OUT/jobs).
#   scripts/slurm/submit.sh CONFIG OUT [--shards N] [--nnr PATH] [-- SBATCH OPTION...]
# e.g. scripts/slurm/submit.sh configs/ce-template.json results/ce1 --shards 16 -- --partition=gpu --time=4:00:00
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
config=${1:?a run file}
out=${2:?an output folder}
shift 2
shards=4
nnr="$root/build/bin/nnr"
extra=()
while (($#)); do
  case "$1" in
    --shards) shards=$2; shift 2 ;;
    --nnr) nnr=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "submit.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || { echo "submit.sh: --shards takes a positive number" >&2; exit 2; }
config=$(realpath "$config")
nnr=$(realpath "$nnr")
mkdir -p "$out"
out=$(realpath "$out")
name=$(basename "$config" .json)
# Each task its own shard; the shards' points are disjoint (index modulo N).
task="exec $(printf '%q' "$nnr") run $(printf '%q' "$config") --shard \$SLURM_ARRAY_TASK_ID/$shards --output $(printf '%q' "$out")/shard-\$SLURM_ARRAY_TASK_ID"
array=$(sbatch --parsable --array="0-$((shards - 1))" --job-name="nnr-$name" --output="$out/slurm-%A_%a.out" \
  "${extra[@]}" --wrap "$task")
array=${array%%;*}
merge="$(printf '%q' "$nnr") merge $(printf '%q' "$out/merged")"
for ((k = 0; k < shards; k++)); do merge+=" $(printf '%q' "$out/shard-$k")"; done
merge+=" && $(printf '%q' "$nnr") report $(printf '%q' "$out/merged")"
joined=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes --job-name="nnr-$name-merge" \
  --output="$out/slurm-merge-%j.out" "${extra[@]}" --wrap "$merge")
joined=${joined%%;*}
printf 'array %s\nmerge %s\n' "$array" "$joined" | tee "$out/jobs"
