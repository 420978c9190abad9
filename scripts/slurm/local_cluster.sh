#!/usr/bin/env bash
# A single-node Slurm on this machine (munge, slurmctld and slurmd on
# localhost, from Debian's slurm-wlm and munge), for trying scripts/slurm/
# and for its test. Needs root. Everything lives in DIR.
#   scripts/slurm/local_cluster.sh start DIR    prints the SLURM_CONF to export
#   scripts/slurm/local_cluster.sh stop DIR
set -euo pipefail
action=${1:?start or stop}
dir=$(realpath -m "${2:?a folder for the cluster state}")
conf="$dir/slurm.conf"
if [[ "$action" == stop ]]; then
  for p in slurmd slurmctld munged; do
    [[ -f "$dir/$p.pid" ]] || continue
    pid=$(cat "$dir/$p.pid")
    kill "$pid" 2> /dev/null || continue
    for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done  # it saves its state first
  done
  exit 0
fi
[[ $(id -u) -eq 0 ]] || { echo "local_cluster.sh: needs root (slurmd runs jobs as their users)" >&2; exit 77; }
for b in munged slurmctld slurmd sbatch; do
  command -v "$b" > /dev/null || { echo "local_cluster.sh: $b not installed (apt-get install slurmctld slurmd slurm-client munge)" >&2; exit 77; }
done
mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
host=$(hostname -s)
cpus=$(nproc)
cat > "$conf" <<CONF
ClusterName=nnrlocal
SlurmctldHost=$host
SlurmctldPort=$((6817 + RANDOM % 100 * 2))
SlurmdPort=$((7817 + RANDOM % 100 * 2))
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CryptoType=crypto/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmUser=root
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
# munge: a key of our own, a socket of our own.
if [[ ! -f "$dir/munge/munge.key" ]]; then
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$dir/munge/munge.key"
fi
munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
  --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/munge.seed"
export SLURM_CONF="$conf"
slurmctld -f "$conf"
slurmd -f "$conf"
for _ in $(seq 100); do
  if sinfo -h -o '%T' 2> /dev/null | grep -qE '^(idle|mixed|allocated)'; then
    echo "export SLURM_CONF=$conf"
    exit 0
  fi
  sleep 0.2
done
echo "local_cluster.sh: the node did not come up; see $dir/*.log" >&2
tail -5 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
exit 1
