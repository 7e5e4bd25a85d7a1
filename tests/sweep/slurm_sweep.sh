#!/bin/bash
# slurm_sweep.sh (CTest label slurm) — a 4-cell sweep through a real Slurm: installs
# Debian's slurmctld, slurmd, slurm-client and munge when missing (root), starts a
# one-node cluster on localhost without systemd (munged, slurmctld, slurmd with a
# slurm.conf in a temporary folder, free ports), submits the sweep with
# `madbench sweep --slurm --submit` (judge warm-up -> array -> collect + report,
# chained by afterok), waits (bounded), and checks that the collected table equals,
# byte for byte, the table of `madbench sweep -j 2` of the same sweep. The daemons
# are stopped by PID. It fails, never skips, when the cluster cannot be set up.
set -u
bin=${1:?usage: slurm_sweep.sh MADBENCH_BINARY}
src=${MB_SOURCE_DIR:?MB_SOURCE_DIR is not set}
tmp=$(mktemp -d /tmp/mb_slurm_XXXXXX)
chmod 755 "$tmp" # munged checks that its folders are not writable by others
daemons=()
cleanup() {
    for pid in "${daemons[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${daemons[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
die() { echo "FAIL: $*" >&2; for f in "$tmp"/*.log; do [ -f "$f" ] && { echo "== $f" >&2; tail -15 "$f" >&2; }; done; exit 1; }

# ---- packages ----
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
   ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    [ "$(id -u)" -eq 0 ] || die "slurmctld/slurmd/sbatch/munged missing and not root to install them"
    # shellcheck source=../../scripts/deps.sh
    . "$src/scripts/deps.sh"
    mb_install_packages slurmctld slurmd slurm-client munge >"$tmp/apt.log" 2>&1 ||
        die "cannot install slurmctld slurmd slurm-client munge: $(tail -3 "$tmp/apt.log")"
fi
[ "$(id -u)" -eq 0 ] || die "the one-node cluster runs slurmd as root (CI runs as root)"

# ---- munge ----
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
head -c 1024 /dev/urandom >"$tmp/munge.key" && chmod 600 "$tmp/munge.key"
munged --foreground --force --socket="$tmp/munge.sock" --key-file="$tmp/munge.key" \
    --pid-file="$tmp/munged.pid" --log-file="$tmp/munged.log" --seed-file="$tmp/munged.seed" \
    >>"$tmp/munged.out" 2>&1 &
daemons+=($!)
for _ in $(seq 100); do [ -S "$tmp/munge.sock" ] && break; sleep 0.1; done
[ -S "$tmp/munge.sock" ] || die "munged did not create its socket"

# ---- slurm.conf: one node (this host, 2 CPUs), ports free now ----
host=$(hostname -s)
ctld_port=$(free_port); slurmd_port=$(free_port)
mkdir -p "$tmp/state" "$tmp/spool"
cat >"$tmp/slurm.conf" <<EOF
ClusterName=mbtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge.sock
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=mbnode NodeHostname=$host NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=mbtest Nodes=mbnode Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$tmp/slurm.conf
slurmctld -D -f "$SLURM_CONF" >>"$tmp/slurmctld.log" 2>&1 &
daemons+=($!)
slurmd -D -f "$SLURM_CONF" -N mbnode >>"$tmp/slurmd.log" 2>&1 &
daemons+=($!)
up=0
for _ in $(seq 120); do
    state=$(sinfo -h -N -o '%T' 2>/dev/null | head -1)
    [ "$state" = idle ] && { up=1; break; }
    sleep 0.5
done
[ $up -eq 1 ] || die "the node did not come up idle within 60 s (sinfo: '${state:-}')"

# ---- the sweep: 2 lambdas x 2 seeds, a judge trained on 600 labelled images ----
. "$(dirname "$0")/small_data.sh"
data=$tmp/fm
small_data "$data" || die "cannot export the small data set"
cat >"$tmp/small.ini" <<EOF
[sweep]
seeds = 1-2
[grid]
generate.lambda = 1, 0.6
$(small_set "$data")
EOF
export MADBENCH_CACHE=$tmp/cache
"$bin" sweep "$tmp/small.ini" sweep.out="$tmp/slurm" --slurm --submit --max-parallel 2 \
    >"$tmp/submit.out" 2>"$tmp/submit.err" || die "submit: $(cat "$tmp/submit.err")"
grep -q '^cells [0-9]' "$tmp/submit.out" || die "no array job id: $(cat "$tmp/submit.out")"
grep -q -- '--array=0-3%2' "$tmp/slurm/small/slurm/array.sbatch" || die "array.sbatch lacks --array=0-3%2"
collect_id=$(awk '$1 == "collect" {print $2}' "$tmp/submit.out")

# the local run of the same sweep, meanwhile (it shares the judge cache and its lock)
"$bin" sweep "$tmp/small.ini" sweep.out="$tmp/local" -j 2 --quiet >/dev/null 2>"$tmp/local.err" ||
    die "sweep -j 2: $(tail -3 "$tmp/local.err")"
"$bin" collect "$tmp/local/small" >/dev/null 2>&1 || die "collect of the local sweep"

# wait for the collect job (bounded)
done_=0
for _ in $(seq 240); do
    if [ -s "$tmp/slurm/small/collected.csv" ] && ! squeue -h -j "$collect_id" 2>/dev/null | grep -q .; then
        done_=1; break
    fi
    sleep 0.5
done
[ $done_ -eq 1 ] || { squeue >&2; cat "$tmp"/slurm/small/slurm/*.out >&2 2>/dev/null; die "the Slurm jobs did not finish within 120 s"; }
[ -s "$tmp/slurm/small/report.html" ] || die "the collect job wrote no report.html"
grep -q "SLURM_ARRAY_TASK_ID\|array" "$tmp/slurm/small/slurm/array.sbatch" || die "array.sbatch"
n_logs=$(ls "$tmp"/slurm/small/slurm/cell-*.out 2>/dev/null | wc -l)
[ "$n_logs" -eq 4 ] || die "expected 4 array task logs, found $n_logs"
grep -q "training a CNN classifier\|loaded from" "$tmp"/slurm/small/slurm/judge-*.out ||
    die "the judge job did not prepare the judge: $(cat "$tmp"/slurm/small/slurm/judge-*.out)"
cmp "$tmp/slurm/small/collected.csv" "$tmp/local/small/collected.csv" ||
    die "the Slurm table differs from the sweep -j 2 table: $(diff "$tmp/slurm/small/collected.csv" "$tmp/local/small/collected.csv" | head -5)"
[ "$(wc -l <"$tmp/local/small/collected.csv")" -eq 13 ] || die "expected 12 rows and a header"
echo "slurm_sweep: the Slurm array's table equals the local one (4 cells, 12 rows)"
