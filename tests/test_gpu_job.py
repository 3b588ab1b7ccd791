"""The prepared GPU calls, dry-run on this machine. The teacher job continues a shipped rung, stops at its
budget, and exports what comes back from the device (files under 16 MiB, without optimizer, resumable); the
campaign call runs what it can in its budget and packs the new results into one file."""

import csv
import os
import subprocess
import sys
import tarfile

import torch

from conftest import ROOT, run_script


def strongest_shipped_steps(game):
    with open(os.path.join(ROOT, "teachers", "teachers.csv")) as table:
        return max(int(row["steps"]) for row in csv.DictReader(table) if row["env_id"] == game)


def gpu_job(tmp_path, budget):
    env = dict(os.environ, BUDGET=str(budget), GAMES="QbertNoFrameskip-v4", NUM_ENVS="4", NUM_MINIBATCHES="2",
               OUT=str(tmp_path / "out"), WORK=str(tmp_path / "work"), PYTHON=sys.executable)
    result = subprocess.run(["bash", "benchmark/gpu_teachers.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return torch.load(tmp_path / "out" / "QbertNoFrameskip-v4.pt", weights_only=True)


def test_the_gpu_job_continues_the_shipped_rung_and_exports_a_resumable_checkpoint(tmp_path):
    checkpoint = gpu_job(tmp_path, budget=15)
    exported = tmp_path / "out" / "QbertNoFrameskip-v4.pt"
    assert exported.stat().st_size < 16 * 2**20
    assert "optimizer" not in checkpoint and checkpoint["args"]["total_timesteps"] == 10_000_000
    assert checkpoint["global_step"] > strongest_shipped_steps("QbertNoFrameskip-v4")  # past the rung it continued
    assert checkpoint["args"]["num_envs"] == 4  # the job's rollout shape replaced the rung's 64 envs
    # What comes back is itself a rung: ppo_atari.py continues it.
    more = run_script("ppo_atari.py", "--resume", exported, "--total-timesteps", checkpoint["global_step"] + 1024,
                      "--runs-dir", tmp_path / "runs")
    assert more.returncode == 0, more.stderr
    assert "continuing the rung" in more.stdout


def test_a_rerun_of_the_gpu_job_on_the_same_machine_continues_its_own_run_exactly(tmp_path):
    first = gpu_job(tmp_path, budget=15)
    second = gpu_job(tmp_path, budget=10)
    assert second["run_name"] == first["run_name"]  # the same run folder, optimizer and curves, not the shipped rung again
    assert second["global_step"] > first["global_step"]
    assert (tmp_path / "work" / "QbertNoFrameskip-v4.log").read_text().count("continuing the rung") == 1


def test_the_gpu_campaign_call_packs_the_results_it_made_into_one_file(tmp_path):
    env = dict(os.environ, BUDGET="120", TIERS="smoke", WORKERS="2", SCORE_GAMES="2", OUT=str(tmp_path / "out"),
               RESULTS_DIR=str(tmp_path / "results"), PYTHON=sys.executable)
    result = subprocess.run(["bash", "benchmark/gpu_campaign.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "2 new results" in result.stdout
    (packed,) = (tmp_path / "out").iterdir()
    with tarfile.open(packed) as archive:
        assert sorted(os.path.basename(name) for name in archive.getnames()) == ["seed1.json", "seed2.json"]
