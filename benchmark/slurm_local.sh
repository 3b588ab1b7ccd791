#!/usr/bin/env bash
# A real single-node Slurm on this machine, to run the benchmark's arrays on it (and to test them).
#
#   sudo apt-get install -y slurm-wlm munge     # Debian's packages (once)
#   sudo bash benchmark/slurm_local.sh up       # munged + slurmctld + slurmd, one node with this machine's CPUs
#   bash benchmark/slurm_local.sh status        # sinfo
#   sudo bash benchmark/slurm_local.sh down
#
# Root is needed (daemons, /etc/slurm). No systemd: the daemons are started directly. The node's CPUs
# and memory are this machine's; one partition `local`, no accounting, no cgroups.
set -euo pipefail
CONF=${SLURM_CONF:-/etc/slurm/slurm.conf}

up() {
  command -v slurmctld >/dev/null && command -v munged >/dev/null \
    || { echo "error: Slurm is not installed; run: sudo apt-get install -y slurm-wlm munge" >&2; exit 2; }
  [ "$(id -u)" = 0 ] || { echo "error: starting Slurm's daemons needs root; run: sudo bash $0 up" >&2; exit 2; }
  if sinfo -h >/dev/null 2>&1; then echo "Slurm is already up"; sinfo; return 0; fi
  local host cpus memory
  host=$(hostname -s)
  cpus=$(nproc)
  memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))
  mkdir -p /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge "$(dirname "$CONF")"
  chown munge:munge /run/munge
  [ -s /etc/munge/munge.key ] || { dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key; }
  pgrep -x munged >/dev/null || runuser -u munge -- munged
  cat > "$CONF" <<EOF
# Written by benchmark/slurm_local.sh: one node, this machine.
ClusterName=local
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
KillWait=30
NodeName=$host CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  slurmctld
  slurmd
  for _ in $(seq 30); do
    if sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then sinfo; return 0; fi
    sleep 1
  done
  echo "error: Slurm did not come up; see /var/log/slurm/slurmctld.log and slurmd.log" >&2
  exit 1
}

down() {
  pkill -x slurmd || true
  pkill -x slurmctld || true
  echo "Slurm stopped (munged left running)"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) sinfo ;;
  *) echo "usage: bash $0 up|down|status" >&2; exit 2 ;;
esac
