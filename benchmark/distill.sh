#!/usr/bin/env bash
# The distillation benchmark: games x teacher levels x the three scripts x seeds.
#
#   bash benchmark/distill.sh                          # PROFILE=quick: ~1 hour on 2 CPU cores
#   PROFILE=full WORKERS=4 bash benchmark/distill.sh   # the paper-scale grid (GPU machine advised)
#   DRY_RUN=1 bash benchmark/distill.sh                # print the commands only
#   python benchmark/plot.py                           # figures + table into docs/
#
# Each run writes runs/benchmark/<profile>/<game>/<level>/<script>/seed<k>/. A run that finished
# is marked `done` and skipped on re-run; an interrupted one (Ctrl-C saves last.pt) is resumed.
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

commands=()
for game in $GAMES; do for level in $LEVELS; do for script in $SCRIPTS; do for seed in $SEEDS; do
  dir="$RUNS_DIR/$game/$level/${script%.py}/seed$seed"
  [ -e "$dir/done" ] && continue
  last=$(ls "$dir"/*/last.pt 2>/dev/null | head -n 1 || true)
  if [ -n "$last" ]; then
    train="$PYTHON $script --resume $last"
  else
    train="$PYTHON $script --env-id $game --teacher $level --seed $seed --total-timesteps $STEPS --runs-dir $dir"
  fi
  commands+=("mkdir -p $dir && $train > $dir/log.txt 2>&1 && touch $dir/done")
done; done; done; done

if [ "${DRY_RUN:-0}" = 1 ]; then printf '%s\n' "${commands[@]}"; exit 0; fi
echo "$PROFILE profile: ${#commands[@]} runs to do, $WORKERS at a time, in $RUNS_DIR"
[ ${#commands[@]} -gt 0 ] || exit 0
printf '%s\0' "${commands[@]}" | xargs -0 -P "$WORKERS" -I{} bash -c '{}; echo "finished ($?): {}" | cut -c1-160'
