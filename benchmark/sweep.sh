#!/usr/bin/env bash
# The experiments behind the distill scripts' defaults: one game, one teacher, a few settings each.
#
#   bash benchmark/sweep.sh                              # STEPS=50000 per run, 1 seed
#   python benchmark/plot.py --runs-dir runs/sweep --out-dir docs/sweep
#
# Each setting is "label|script and flags"; runs land in runs/sweep/<game>/<teacher>/<label>/seed<k>/,
# the layout plot.py reads (its "script" column is then the label). Finished runs are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
GAME=${GAME:-MsPacmanNoFrameskip-v4}
TEACHER=${TEACHER:-best}
STEPS=${STEPS:-50000}
SEEDS=${SEEDS:-1}
PYTHON=${PYTHON:-python}
RUNS_DIR=${RUNS_DIR:-runs/sweep}
SETTINGS=${SETTINGS:-"
distill_lr1e-3_T1_ep2|distill.py --learning-rate 1e-3 --temperature 1 --update-epochs 2
distill_lr3e-4_T1_ep2|distill.py --learning-rate 3e-4 --temperature 1 --update-epochs 2
distill_lr1e-3_T0.5_ep2|distill.py --learning-rate 1e-3 --temperature 0.5 --update-epochs 2
distill_lr1e-3_T1_ep4|distill.py --learning-rate 1e-3 --temperature 1 --update-epochs 4
rnd_coef0.1|distill_rnd.py --temperature 1 --curiosity-coef 0.1
rnd_coef0.03|distill_rnd.py --temperature 1 --curiosity-coef 0.03
rnd_coef0.3|distill_rnd.py --temperature 1 --curiosity-coef 0.3
"}
teacher_path=$TEACHER
echo "$SETTINGS" | while IFS='|' read -r label command; do
  [ -n "$label" ] || continue
  for seed in $SEEDS; do
    dir="$RUNS_DIR/$GAME/$(basename "$TEACHER" .pt)/$label/seed$seed"
    [ -e "$dir/done" ] && continue
    line="$PYTHON $command --env-id $GAME --teacher $teacher_path --seed $seed --total-timesteps $STEPS --runs-dir $dir"
    if [ "${DRY_RUN:-0}" = 1 ]; then echo "$line"; continue; fi
    rm -rf "$dir" && mkdir -p "$dir"
    echo "$label seed $seed: $line"
    $line > "$dir/log.txt" 2>&1 && touch "$dir/done"
    tail -n 1 "$dir/log.txt"
  done
done
