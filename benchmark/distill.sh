#!/usr/bin/env bash
# The distillation benchmark: games x teacher levels x the three scripts x seeds.
#
#   bash benchmark/distill.sh                          # PROFILE=quick: ~1 hour on 2 CPU cores
#   PROFILE=full WORKERS=4 bash benchmark/distill.sh   # the paper-scale grid (GPU machine advised)
#   PROFILE=full LAUNCHER=slurm bash benchmark/distill.sh   # the grid as one Slurm job array (docs/cluster.md)
#   DRY_RUN=1 bash benchmark/distill.sh                # print the commands (with LAUNCHER=slurm: the batch script)
#   python benchmark/plot.py                           # figures + table into docs/benchmark/
#
# Each run writes runs/benchmark/<profile>/<game>/<level>/<script>/seed<k>/. A run that reached its summary
# (summary.json beside last.pt) is marked `done` and skipped on re-run; an interrupted one (Ctrl-C or SIGTERM
# saves last.pt) is resumed by the next invocation, never retried in the same one. The decision is taken when
# a run starts, so a preempted Slurm task resumes when it is requeued. A run that failed or stopped short makes
# its task, and the whole invocation, exit non-zero.
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
for script in $SCRIPTS; do
  case "$script" in
    distill.py|distill_rnd.py|distill_rnd_uncertainty.py) ;;
    *) echo "error: SCRIPTS may hold distill.py, distill_rnd.py and distill_rnd_uncertainty.py, not '$script'" >&2; exit 2 ;;
  esac
done
[[ "$WORKERS" =~ ^[1-9][0-9]*$ ]] || { echo "error: WORKERS must be a positive whole number, not '$WORKERS'" >&2; exit 2; }
[[ "$STEPS" =~ ^[1-9][0-9]*$ ]] || { echo "error: STEPS must be a positive whole number, not '$STEPS'" >&2; exit 2; }

# A run is finished once its script reached the closing summary: summary.json beside last.pt (or, from scripts
# older than summary.json, the summary as the last line of its log).
finished() { [ -e "$1/done" ] || compgen -G "$1/*/summary.json" >/dev/null; }

# One run "game level script seed": nothing if done, resume from last.pt if interrupted, else start.
run_one() {
  local game=$1 level=$2 script=$3 seed=$4 dir last status=0
  dir="$RUNS_DIR/$game/$level/${script%.py}/seed$seed"
  finished "$dir" && return 0
  last=$(ls "$dir"/*/last.pt 2>/dev/null | head -n 1 || true)
  if [ -n "$last" ]; then
    set -- $PYTHON "$script" --resume "$last"
  else
    set -- $PYTHON "$script" --env-id "$game" --teacher "$level" --seed "$seed" --total-timesteps "$STEPS" --runs-dir "$dir" $EXTRA_ARGS
  fi
  if [ "${DRY_RUN:-0}" = 1 ]; then echo "$*"; return 0; fi
  mkdir -p "$dir"
  echo "$*" >> "$dir/log.txt"
  "$@" >> "$dir/log.txt" 2>&1 || status=$?
  # An interrupted run exits 0 as well (after saving last.pt); only one that reached its summary is done.
  if finished "$dir" || tail -n 1 "$dir/log.txt" | grep -q "^student "; then touch "$dir/done"; return 0; fi
  if [ "$status" != 0 ]; then echo "error: $dir failed (exit $status); see its log.txt" >&2; return "$status"; fi
  echo "error: $dir stopped before its summary (interrupted); the next invocation resumes it" >&2
  return 3
}

if [ -n "${RUN_ONE:-}" ]; then run_one $RUN_ONE; exit; fi

tasks=()
for game in $GAMES; do for level in $LEVELS; do for script in $SCRIPTS; do for seed in $SEEDS; do
  finished "$RUNS_DIR/$game/$level/${script%.py}/seed$seed" || tasks+=("$game $level $script $seed")
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
# xargs exits non-zero when any task did (123), after running them all.
printf '%s\n' "${tasks[@]}" | xargs -P "$WORKERS" -I{} bash -c 'RUN_ONE="{}" bash benchmark/distill.sh; status=$?; echo "finished ($status): {}"; exit $status' \
  || { echo "error: some runs failed or stopped short (see 'finished (N)' above and their log.txt); run again to resume them" >&2; exit 1; }
