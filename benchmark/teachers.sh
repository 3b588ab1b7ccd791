#!/usr/bin/env bash
# Train and score the teacher ladder of the benchmark games (resumable: re-run to continue).
#
#   bash benchmark/teachers.sh                         # 10M steps each: a GPU job (hours on 2 CPU cores)
#   GAMES="QbertNoFrameskip-v4" STEPS=1000000 bash benchmark/teachers.sh
#   DRY_RUN=1 bash benchmark/teachers.sh               # print the commands only
#
# Each game trains in runs/teachers/<game>/; an interrupted run (Ctrl-C saves last.pt) resumes.
# Every ladder checkpoint is then scored into runs/eval_ledger.csv; ship the chosen ones with
# teachers/ship_teacher.py (see README, "Teachers").
set -euo pipefail
cd "$(dirname "$0")/.."
GAMES=${GAMES:-"MsPacmanNoFrameskip-v4 QbertNoFrameskip-v4 BeamRiderNoFrameskip-v4"}
STEPS=${STEPS:-10000000}
PYTHON=${PYTHON:-python}
run() { if [ "${DRY_RUN:-0}" = 1 ]; then echo "$*"; else "$@"; fi; }

for game in $GAMES; do
  dir=runs/teachers/$game
  last=$(ls -t "$dir"/*/last.pt 2>/dev/null | head -n 1 || true)
  if [ -n "$last" ]; then
    run "$PYTHON" ppo_atari.py --resume "$last" --total-timesteps "$STEPS"
  else
    run "$PYTHON" ppo_atari.py --env-id "$game" --total-timesteps "$STEPS" --runs-dir "$dir"
  fi
  run "$PYTHON" eval_teacher.py "$dir/*/step_*.pt" --n-eval-episodes 10
done
