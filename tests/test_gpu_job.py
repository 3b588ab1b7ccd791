"""The prepared GPU calls, dry-run on this machine. The teacher job continues a shipped rung, stops at its
budget, and exports what comes back from the device (files under 16 MiB, without optimizer, resumable); the
campaign call runs what it can in its budget and packs the new results into one file."""

import os
import subprocess
import sys
import tarfile

import torch

from conftest import ROOT, run_script


def test_the_gpu_job_continues_the_shipped_rung_and_exports_a_resumable_checkpoint(tmp_path):
    env = dict(os.environ, BUDGET="15", GAMES="QbertNoFrameskip-v4", NUM_ENVS="4", NUM_MINIBATCHES="2",
               OUT=str(tmp_path / "out"), WORK=str(tmp_path / "work"), PYTHON=sys.executable)
    result = subprocess.run(["bash", "benchmark/gpu_teachers.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    exported = tmp_path / "out" / "QbertNoFrameskip-v4.pt"
    assert exported.stat().st_size < 16 * 2**20
    checkpoint = torch.load(exported, weights_only=True)
    assert "optimizer" not in checkpoint and checkpoint["args"]["total_timesteps"] == 10_000_000
    assert checkpoint["global_step"] > 1_769_472  # past the shipped medium rung it continued
    assert checkpoint["args"]["num_envs"] == 4  # the job's rollout shape replaced the rung's 64 envs
    # What comes back is itself a rung: ppo_atari.py continues it.
    more = run_script("ppo_atari.py", "--resume", exported, "--total-timesteps", checkpoint["global_step"] + 1024,
                      "--runs-dir", tmp_path / "runs")
    assert more.returncode == 0, more.stderr
    assert "continuing the rung" in more.stdout


def test_the_gpu_campaign_call_packs_the_results_it_made_into_one_file(tmp_path):
    env = dict(os.environ, BUDGET="120", TIERS="smoke", WORKERS="2", SCORE_GAMES="2", OUT=str(tmp_path / "out"),
               RESULTS_DIR=str(tmp_path / "results"), PYTHON=sys.executable)
    result = subprocess.run(["bash", "benchmark/gpu_campaign.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "2 new results" in result.stdout
    (packed,) = (tmp_path / "out").iterdir()
    with tarfile.open(packed) as archive:
        assert sorted(os.path.basename(name) for name in archive.getnames()) == ["seed1.json", "seed2.json"]
