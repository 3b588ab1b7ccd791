#!/usr/bin/env bash
# The distillation benchmark: games x teacher levels x the three scripts x seeds.
#
#   bash benchmark/distill.sh                          # PROFILE=quick: ~1 hour on 2 CPU cores
#   PROFILE=full WORKERS=4 bash benchmark/distill.sh   # the paper-scale grid (GPU machine advised)
#   PROFILE=full LAUNCHER=slurm bash benchmark/distill.sh   # the grid as one Slurm job array (README, "On a cluster")
#   DRY_RUN=1 bash benchmark/distill.sh                # print the commands (with LAUNCHER=slurm: the batch script)
#   python benchmark/plot.py                           # figures + table into docs/
#
# Each run writes runs/benchmark/<profile>/<game>/<level>/<script>/seed<k>/. A run that finished is marked
# `done` and skipped on re-run; an interrupted one (Ctrl-C or SIGTERM saves last.pt) is resumed. The
# decision is taken when a run starts, so a preempted Slurm task resumes when it is requeued.
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${PROFILE:-quick}
case "$PROFILE" in
  quick) GAMES=${GAMES:-"MsPacmanNoFrameskip-v4"}; LEVELS=${LEVELS:-"best"}; SEEDS=${SEEDS:-"1 2"}; STEPS=${STEPS:-100000} ;;
  full)  GAMES=${GAMES:-"MsPacmanNoFrameskip-v4 QbertNoFrameskip-v4 BeamRiderNoFrameskip-v4"}; LEVELS=${LEVELS:-"good bad"}
         SEEDS=${SEEDS:-"1 2 3"}; STEPS=${STEPS:-1000000} ;;
  *) echo "error: PROFILE must be quick or full, not '$PROFILE'" >&2; exit 2 ;;
esac
SCRIPTS=${SCRIPTS:-"distill.py distill_rnd.py distill_rnd_uncertainty.py"}
WORKERS=${WORKERS:-1}
PYTHON=${PYTHON:-python}
RUNS_DIR=${RUNS_DIR:-runs/benchmark/$PROFILE}
LAUNCHER=${LAUNCHER:-local}
GRID_VARS="PROFILE GAMES LEVELS SEEDS STEPS SCRIPTS PYTHON RUNS_DIR EXTRA_ARGS"
EXTRA_ARGS=${EXTRA_ARGS:-}  # more flags for every run, e.g. "--num-envs 4"

# One run "game level script seed": nothing if done, resume from last.pt if interrupted, else start.
run_one() {
  local game=$1 level=$2 script=$3 seed=$4 dir last
  dir="$RUNS_DIR/$game/$level/${script%.py}/seed$seed"
  [ -e "$dir/done" ] && return 0
  last=$(ls "$dir"/*/last.pt 2>/dev/null | head -n 1 || true)
  if [ -n "$last" ]; then
    set -- $PYTHON "$script" --resume "$last"
  else
    set -- $PYTHON "$script" --env-id "$game" --teacher "$level" --seed "$seed" --total-timesteps "$STEPS" --runs-dir "$dir" $EXTRA_ARGS
  fi
  if [ "${DRY_RUN:-0}" = 1 ]; then echo "$*"; return 0; fi
  mkdir -p "$dir"
  echo "$*" >> "$dir/log.txt"
  "$@" >> "$dir/log.txt" 2>&1
  # An interrupted run exits 0 as well (after saving last.pt); only one that printed its summary is done.
  if tail -n 1 "$dir/log.txt" | grep -q "^student "; then touch "$dir/done"; fi
}

if [ -n "${RUN_ONE:-}" ]; then run_one $RUN_ONE; exit; fi

tasks=()
for game in $GAMES; do for level in $LEVELS; do for script in $SCRIPTS; do for seed in $SEEDS; do
  [ -e "$RUNS_DIR/$game/$level/${script%.py}/seed$seed/done" ] || tasks+=("$game $level $script $seed")
done; done; done; done

if [ "$LAUNCHER" = slurm ]; then
  source benchmark/slurm_array.sh
  submit_array "distill-$PROFILE" "$RUNS_DIR/slurm" benchmark/distill.sh "${tasks[@]}"
  exit 0
fi
[ "$LAUNCHER" = local ] || { echo "error: LAUNCHER must be local or slurm, not '$LAUNCHER'" >&2; exit 2; }
if [ "${DRY_RUN:-0}" = 1 ]; then
  for task in "${tasks[@]}"; do run_one $task; done
  exit 0
fi
echo "$PROFILE profile: ${#tasks[@]} runs to do, $WORKERS at a time, in $RUNS_DIR"
[ ${#tasks[@]} -gt 0 ] || exit 0
printf '%s\n' "${tasks[@]}" | xargs -P "$WORKERS" -I{} bash -c 'RUN_ONE="{}" bash benchmark/distill.sh; echo "finished ($?): {}"'
