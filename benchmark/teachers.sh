#!/usr/bin/env bash
# Train and score the teacher ladder of the benchmark games (resumable: re-run to continue).
#
#   bash benchmark/teachers.sh                         # 10M steps each (10,002,432): a GPU job (hours on 2 CPU cores)
#   GAMES="QbertNoFrameskip-v4" STEPS=1000000 bash benchmark/teachers.sh
#   LAUNCHER=slurm SLURM_GPUS=1 bash benchmark/teachers.sh   # one Slurm array task per game
#   FROM_SHIPPED=1 GAMES="QbertNoFrameskip-v4" TEACHERS_DIR=~/runs/teachers nice bash benchmark/teachers.sh
#                                                      # continue the most-trained shipped file to STEPS (docs/teachers.md)
#   DRY_RUN=1 bash benchmark/teachers.sh               # print the commands (with LAUNCHER=slurm: the batch script)
#
# Each game trains in runs/teachers/<game>/; an interrupted run (Ctrl-C or SIGTERM saves last.pt) resumes,
# also when a preempted Slurm task is requeued. With FROM_SHIPPED=1 a game without a last.pt there continues its
# most-trained shipped file (teachers/resume_point.py: a rung or the run's continuation point; weights and step,
# Adam's moments are rebuilt) instead of starting from scratch: what a fresh machine needs to carry a long run on.
# Every ladder checkpoint is then scored into runs/eval_ledger.csv; ship the chosen ones with teachers/ship_teacher.py
# (docs/teachers.md).
set -euo pipefail
cd "$(dirname "$0")/.."
GAMES=${GAMES:-"MsPacmanNoFrameskip-v4 QbertNoFrameskip-v4 BeamRiderNoFrameskip-v4"}
# 10M steps, rounded up to a whole update: 1,221 of 64 x 128 samples (9,768 of 8 x 128); ppo_atari.py runs
# total // batch updates, so 10000000 would stop at 9,994,240, short of the field's 10M.
STEPS=${STEPS:-10002432}
PYTHON=${PYTHON:-python}
TEACHERS_DIR=${TEACHERS_DIR:-runs/teachers}
LAUNCHER=${LAUNCHER:-local}
FROM_SHIPPED=${FROM_SHIPPED:-0}
GRID_VARS="GAMES STEPS PYTHON TEACHERS_DIR EXTRA_ARGS FROM_SHIPPED"
EXTRA_ARGS=${EXTRA_ARGS:-}  # more ppo_atari.py flags, e.g. "--num-envs 64 --num-minibatches 32"
[[ "$STEPS" =~ ^[1-9][0-9]*$ ]] || { echo "error: STEPS must be a positive whole number, not '$STEPS'" >&2; exit 2; }
run() { if [ "${DRY_RUN:-0}" = 1 ]; then echo "$*"; else "$@"; fi; }

# One game: resume its run if it has a last.pt, else continue the most-trained shipped file (FROM_SHIPPED=1) or start it;
# then score its ladder.
run_one() {
  local game=$1 dir=$TEACHERS_DIR/$1 last rung=""
  last=$(ls -t "$dir"/*/last.pt 2>/dev/null | head -n 1 || true)
  [ -z "$last" ] && [ "$FROM_SHIPPED" = 1 ] && rung=$($PYTHON teachers/resume_point.py "$game")
  if [ -n "$last" ]; then
    run $PYTHON ppo_atari.py --resume "$last" --total-timesteps "$STEPS"
  elif [ -n "$rung" ]; then
    run $PYTHON ppo_atari.py --resume "$rung" --total-timesteps "$STEPS" --runs-dir "$dir" $EXTRA_ARGS
  else
    run $PYTHON ppo_atari.py --env-id "$game" --total-timesteps "$STEPS" --runs-dir "$dir" $EXTRA_ARGS
  fi
  run $PYTHON eval_teacher.py "$dir/*/step_*.pt" --n-eval-episodes 10
}

if [ -n "${RUN_ONE:-}" ]; then run_one $RUN_ONE; exit; fi
case "$LAUNCHER" in
  local) for game in $GAMES; do run_one "$game"; done ;;
  slurm) source benchmark/slurm_array.sh
         submit_array teachers "$TEACHERS_DIR/slurm" benchmark/teachers.sh $GAMES ;;
  *) echo "error: LAUNCHER must be local or slurm, not '$LAUNCHER'" >&2; exit 2 ;;
esac
