# Sourced by distill.sh and teachers.sh: submit a grid to Slurm as one job array, one task per run.
#
#   submit_array NAME LOG_DIR SCRIPT TASKS...
#
# Each task runs `RUN_ONE=<its task line> bash SCRIPT` (with the caller's grid variables), and SCRIPT
# decides at run time what the task does: skip a finished run, resume an interrupted one from its
# last.pt, or start it. So a requeued (preempted) task resumes, and a re-submitted array does only what
# is missing. Resources come from the environment:
#
#   SLURM_CPUS=2  SLURM_MEM=8G  SLURM_TIME=08:00:00  SLURM_GPUS=0  SLURM_PARTITION=  SLURM_ACCOUNT=
#   SLURM_MAX_PARALLEL=  (at most this many tasks at once)   SLURM_EXTRA=  (more #SBATCH options)
#
# DRY_RUN=1 prints the batch script instead of submitting it.

submit_array() {
  local name=$1 log_dir=$2 script=$3
  shift 3
  local count=$#
  if [ "$count" = 0 ]; then echo "nothing to do: every run of the grid is finished"; return 0; fi
  local log_path tasks_file grid_vars="" options="" var
  log_path=$(realpath -m "$log_dir")
  tasks_file="$log_path/tasks-$(date +%Y%m%d-%H%M%S)-$$.txt"
  for var in $GRID_VARS; do grid_vars+="export $var=$(printf '%q' "${!var}")"$'\n'; done
  [ -n "${SLURM_PARTITION:-}" ] && options+="#SBATCH --partition=$SLURM_PARTITION"$'\n'
  [ -n "${SLURM_ACCOUNT:-}" ] && options+="#SBATCH --account=$SLURM_ACCOUNT"$'\n'
  [ "${SLURM_GPUS:-0}" != 0 ] && options+="#SBATCH --gpus=$SLURM_GPUS"$'\n'
  [ -n "${SLURM_EXTRA:-}" ] && options+="#SBATCH $SLURM_EXTRA"$'\n'
  local batch="#!/usr/bin/env bash
#SBATCH --job-name=$name
#SBATCH --array=1-$count${SLURM_MAX_PARALLEL:+%$SLURM_MAX_PARALLEL}
#SBATCH --cpus-per-task=${SLURM_CPUS:-2}
#SBATCH --mem=${SLURM_MEM:-8G}
#SBATCH --time=${SLURM_TIME:-08:00:00}
#SBATCH --output=$log_path/%x_%A_%a.out
#SBATCH --requeue
#SBATCH --signal=TERM@120
${options}# SIGTERM (preemption, or 2 minutes before the time limit) makes the scripts save last.pt: a requeued
# or re-submitted task resumes from it.
set -euo pipefail
cd $(printf '%q' "$PWD")
${grid_vars}export RUN_ONE=\"\$(sed -n \"\${SLURM_ARRAY_TASK_ID}p\" $(printf '%q' "$tasks_file"))\"
exec bash $script"
  if [ "${DRY_RUN:-0}" = 1 ]; then echo "$batch"; return 0; fi
  command -v sbatch >/dev/null || { echo "error: sbatch not found; LAUNCHER=slurm needs a Slurm cluster (or benchmark/slurm_local.sh)" >&2; exit 2; }
  mkdir -p "$log_path"
  printf '%s\n' "$@" > "$tasks_file"
  local job
  job=$(echo "$batch" | sbatch --parsable) || { echo "error: sbatch refused the array (see its message above)" >&2; exit 2; }
  job=${job%%;*}
  echo "submitted job array $job: $count task(s) named $name, logs in $log_dir"
  echo "watch it: squeue -j $job    (cancel: scancel $job; re-submitting later does only what is missing)"
}
