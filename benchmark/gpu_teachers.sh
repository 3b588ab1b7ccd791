#!/usr/bin/env bash
# The prepared teacher job for a lent GPU machine: the three games' teachers side by side for BUDGET seconds,
# then what the next step needs, under $OUT (the device tool brings back files under 16 MiB, 8 at most).
#
# On the device (one `run` call, 600 s; the wheels of ale-py, gymnasium and tyro travel in .wheels/,
# fetched here once by `bash benchmark/gpu_teachers.sh fetch-wheels`):
#   python3 -m pip install -q --no-index --no-deps --target /tmp/site .wheels/*.whl && PYTHONPATH=/tmp/site bash benchmark/gpu_teachers.sh
# Dry run on any machine (its test): BUDGET=20 NUM_ENVS=4 NUM_MINIBATCHES=2 OUT=/tmp/out bash benchmark/gpu_teachers.sh
#
# A rerun of the same command while the machine is still warm (30 s after a call) continues each game's own last.pt
# exactly (optimizer, schedule, TensorBoard curves); set BUDGET to what the lease has left.
# Otherwise each game continues from its most-trained shipped file (teachers/resume_point.py: a rung or the run's
# continuation point; weights and step, Adam's moments rebuilt, see ppo_atari.py --resume), or starts if none ships,
# towards TOTAL steps with NUM_ENVS x 128-step rollouts in NUM_MINIBATCHES minibatches (64 x 128 in 32: CleanRL's
# 256-sample minibatches and gradient steps per sample, 8x fewer model calls per step). At BUDGET, SIGINT makes each
# save last.pt.
# Back come, per game, <game>.pt (last.pt without its optimizer: 6.8 MB, resumable and shippable), the newest
# ladder rung this call crossed if any, and a log. Then here: score and ship them (docs/teachers.md):
#   python eval_teacher.py <game>.pt --n-eval-episodes 30 ; ... --no-greedy ; python teachers/ship_teacher.py ...
set -euo pipefail
cd "$(dirname "$0")/.."
GAMES=${GAMES:-"MsPacmanNoFrameskip-v4 QbertNoFrameskip-v4 BeamRiderNoFrameskip-v4"}
BUDGET=${BUDGET:-450}          # seconds of training in a 600 s call: start-up, export and transfer need the rest
TOTAL=${TOTAL:-10002432}    # 10M rounded up to a whole update of 64 x 128 (benchmark/teachers.sh)
NUM_ENVS=${NUM_ENVS:-64}
NUM_MINIBATCHES=${NUM_MINIBATCHES:-32}
PYTHON=${PYTHON:-python3}
WORK=${WORK:-runs/gpu_teachers}

if [ "${1:-}" = fetch-wheels ]; then  # on this machine, once: what the device's Python 3.12 lacks
  grep -qx '/.wheels/' .git/info/exclude 2>/dev/null || echo '/.wheels/' >> .git/info/exclude
  for package in ale-py==0.12.1 gymnasium==1.4.0 farama-notifications==0.0.6 tyro==1.0.17 docstring-parser==0.18.0 \
                 typeguard==4.6.1 typing-extensions==4.16.0; do
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
      --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .wheels "$package"
  done
  ls -la .wheels
  exit 0
fi

OUT=${OUT:?set OUT to the folder that comes back}
mkdir -p "$OUT" "$WORK"
games=($GAMES)
threads=$(( $(nproc) / ${#games[@]} > 0 ? $(nproc) / ${#games[@]} : 1 ))
echo "$(date -u +%FT%TZ) ${#games[@]} games, $threads threads each, ${BUDGET}s of training on $(nproc) cores$(command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name --format=csv,noheader | sed 's/^/, /')"
for game in "${games[@]}"; do
  # A rerun on the same (still warm) machine continues its own last.pt exactly, optimizer and all;
  # a fresh machine continues the most-trained shipped file (Adam's moments rebuilt), or starts the game.
  last=$(ls -t "$WORK/$game"/*/last.pt 2>/dev/null | head -n 1 || true)
  if [ -n "$last" ]; then
    start=(--resume "$last")
  else
    rung=$($PYTHON teachers/resume_point.py "$game")
    if [ -n "$rung" ]; then
      start=(--resume "$rung" --runs-dir "$WORK/$game")
    else
      start=(--env-id "$game" --runs-dir "$WORK/$game")
    fi
  fi
  OMP_NUM_THREADS=$threads PYTHONUNBUFFERED=1 timeout -s INT -k 120 "$BUDGET" \
    $PYTHON ppo_atari.py "${start[@]}" --total-timesteps "$TOTAL" --num-envs "$NUM_ENVS" --num-minibatches "$NUM_MINIBATCHES" \
    >> "$WORK/$game.log" 2>&1 &
done
wait || true

# Export: last.pt and the newest ladder rung of this call, without the optimizer (a rung resumes with rebuilt moments).
$PYTHON - "$OUT" "$WORK" $GAMES <<'EOF'
import glob, os, sys, torch
out, work, games = sys.argv[1], sys.argv[2], sys.argv[3:]
for game in games:
    runs = sorted(glob.glob(os.path.join(work, game, "*", "last.pt")), key=os.path.getmtime)
    if not runs:
        print(f"{game}: no last.pt (see {work}/{game}.log)")
        continue
    run_dir = os.path.dirname(runs[-1])
    rungs = sorted(glob.glob(os.path.join(run_dir, "step_*.pt")), key=lambda p: int(p.split("_")[-1][:-3]))
    for path, name in [(runs[-1], f"{game}.pt")] + ([(rungs[-1], f"{game}_{os.path.basename(rungs[-1])}")] if rungs else []):
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        checkpoint.pop("optimizer", None)
        torch.save(checkpoint, os.path.join(out, name))
        print(f"{game}: {name} at step {checkpoint['global_step']:,}, recent return {checkpoint['mean_episodic_return']}, "
              f"{os.path.getsize(os.path.join(out, name)) / 2**20:.1f} MiB")
EOF
tail -q -n 2 "$WORK"/*.log | tr '\r' '\n' | grep -v '^$' | tail -n 6 > "$OUT/gpu_teachers.log" || true
cat "$OUT/gpu_teachers.log"
