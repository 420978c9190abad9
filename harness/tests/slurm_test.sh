#!/bin/sh
# scripts/slurm/ end to end on a single-node Slurm started here (root only):
# a run file submitted as a job array of 3 shards and a merge job gives the
# same results as the run without shards (nnr compare passes both ways).
#   slurm_test.sh NNR SOURCE_DIR SHARED_DIR
set -eu
nnr=$1
src=$2
shared=$3
model="$shared/models/resnet56-cifar100/ResNet56_CIF100.pt"
[ -f "$model" ] || { echo "skip: $model not found"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "skip: a local Slurm needs root"; exit 77; }
tmp=$(mktemp -d)
cleanup() {
  "$src/scripts/slurm/local_cluster.sh" stop "$tmp/cluster" || true
  rm -rf "$tmp" || true
}
trap cleanup EXIT
set +e
env=$("$src/scripts/slurm/local_cluster.sh" start "$tmp/cluster")
rc=$?
set -e
[ $rc -eq 77 ] && { echo "skip: Slurm or munge not installed"; exit 77; }
[ $rc -eq 0 ] || { echo "the local cluster did not start"; exit 1; }
eval "$env"
cat > "$tmp/run.json" <<JSON
{"name": "slurm", "usecases": [{"id": "generic", "model": "$model"}],
 "codecs": [{"type": "original"}, {"type": "nnr", "label": "dq", "sweep": {"qp": [-38, -30, -22]}},
            {"type": "anchor", "sweep": {"qp": [-38, -30]}}]}
JSON
"$src/scripts/slurm/submit.sh" "$tmp/run.json" "$tmp/out" --shards 3 --nnr "$nnr"
merge=$(sed -n 's/^merge //p' "$tmp/out/jobs")
i=0
while squeue -h -j "$merge" 2> /dev/null | grep -q .; do
  i=$((i + 1))
  [ $i -lt 600 ] || { echo "the jobs did not finish in 5 minutes"; squeue; exit 1; }
  sleep 0.5
done
state=$(scontrol show job "$merge" | sed -n 's/.*JobState=\([A-Z]*\).*/\1/p')
[ "$state" = COMPLETED ] || { echo "merge job: $state"; cat "$tmp"/out/slurm-*.out; exit 1; }
"$nnr" run "$tmp/run.json" --output "$tmp/full" > /dev/null
"$nnr" compare "$tmp/full" "$tmp/out/merged" --no-times
"$nnr" compare "$tmp/out/merged" "$tmp/full" --no-times
[ -f "$tmp/out/merged/report.md" ] || { echo "no report of the merged run"; exit 1; }
echo "slurm: 3 shards merged, the same as the run without shards"
