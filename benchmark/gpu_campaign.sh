#!/usr/bin/env bash
# The campaign's prepared call for what remains of a GPU lease (after benchmark/gpu_teachers.sh, which comes first):
# WORKERS runs at a time for BUDGET seconds, then every result written in the call, packed into one file
# under $OUT (the device tool brings back at most 8 files).
#
# On the device (one `run` call, carry [".wheels"], see gpu_teachers.sh for the wheels):
#   python3 -m pip install -q --no-index --no-deps --target /tmp/site .wheels/*.whl && PYTHONPATH=/tmp/site bash benchmark/gpu_campaign.sh
# Back here:  tar -xzf <files_at>/campaign_results.tar.gz && git add results/campaign && git commit -m "campaign results (GPU)"
# Dry run (its test): BUDGET=60 TIERS=smoke WORKERS=2 SCORE_GAMES=2 OUT=/tmp/out bash benchmark/gpu_campaign.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGET=${BUDGET:-480}
WORKERS=${WORKERS:-6}
THREADS=${THREADS:-2}
TIERS=${TIERS:-}  # empty: every tier of campaign.py, in its order
PYTHON=${PYTHON:-python3}
RESULTS_DIR=${RESULTS_DIR:-results/campaign}
SCORE_GAMES=${SCORE_GAMES:-30}
OUT=${OUT:?set OUT to the folder that comes back}
mkdir -p "$OUT"
marker=$(mktemp)
# At the budget, SIGINT: the runs in flight save checkpoints that this machine will not keep; finished ones are written.
timeout -s INT -k 120 "$BUDGET" $PYTHON benchmark/campaign.py run ${TIERS:+--tiers $TIERS} --workers "$WORKERS" --threads "$THREADS" \
  --score-games "$SCORE_GAMES" --results-dir "$RESULTS_DIR" --runs-root /tmp/campaign_runs 2>&1 | grep -v 'step/s' | tail -n 40 || true
new=$(find "$RESULTS_DIR" -name 'seed*.json' -newer "$marker" | sort)
if [ -z "$new" ]; then echo "no run finished within ${BUDGET}s"; exit 0; fi
tar -czf "$OUT/campaign_results.tar.gz" $new
echo "$(echo "$new" | wc -l) new results in $OUT/campaign_results.tar.gz ($(du -h "$OUT/campaign_results.tar.gz" | cut -f1))"
