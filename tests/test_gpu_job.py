"""The prepared GPU calls, dry-run on this machine. The teacher job continues a shipped rung, stops at its
budget, and exports what comes back from the device (files under 16 MiB, without optimizer, resumable); the
campaign call runs what it can in its budget and packs the new results into one file."""

import os
import shutil
import subprocess
import sys
import tarfile

import pytest
import torch

from conftest import ROOT, run_script

sys.path.insert(0, os.path.join(ROOT, "teachers"))
from resume_point import resume_point  # noqa: E402


def strongest_shipped_steps(game):
    return resume_point(game)[1]


def gpu_job(tmp_path, budget):
    # TOTAL past any shipped rung (the default, 10M, is where the retrained `good` rungs stop: nothing would be left to do).
    env = dict(os.environ, BUDGET=str(budget), GAMES="QbertNoFrameskip-v4", TOTAL="20000000", NUM_ENVS="4", NUM_MINIBATCHES="2",
               OUT=str(tmp_path / "out"), WORK=str(tmp_path / "work"), PYTHON=sys.executable)
    result = subprocess.run(["bash", "benchmark/gpu_teachers.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return torch.load(tmp_path / "out" / "QbertNoFrameskip-v4.pt", weights_only=True)


@pytest.fixture(scope="module")
def first_job(tmp_path_factory):
    """One 15-second GPU job on this CPU: its folder, and a copy of the checkpoint it exported."""
    job_dir = tmp_path_factory.mktemp("gpu_job")
    checkpoint = gpu_job(job_dir, budget=15)
    shutil.copy(job_dir / "out" / "QbertNoFrameskip-v4.pt", job_dir / "first_export.pt")
    return job_dir, checkpoint


def test_the_gpu_job_continues_the_shipped_rung_and_exports_a_resumable_checkpoint(first_job, tmp_path):
    job_dir, checkpoint = first_job
    exported = job_dir / "first_export.pt"
    assert exported.stat().st_size < 16 * 2**20
    assert "optimizer" not in checkpoint and checkpoint["args"]["total_timesteps"] == 20_000_000
    assert checkpoint["global_step"] > strongest_shipped_steps("QbertNoFrameskip-v4")  # past the rung it continued
    assert checkpoint["args"]["num_envs"] == 4  # the job's rollout shape replaced the rung's 64 envs
    # What comes back is itself a rung: ppo_atari.py continues it.
    more = run_script("ppo_atari.py", "--resume", exported, "--total-timesteps", checkpoint["global_step"] + 1024,
                      "--runs-dir", tmp_path / "runs")
    assert more.returncode == 0, more.stderr
    assert "continuing the rung" in more.stdout


def test_a_rerun_of_the_gpu_job_on_the_same_machine_continues_its_own_run_exactly(first_job):
    job_dir, first = first_job
    second = gpu_job(job_dir, budget=10)
    assert second["run_name"] == first["run_name"]  # the same run folder, optimizer and curves, not the shipped rung again
    assert second["global_step"] > first["global_step"]
    assert (job_dir / "work" / "QbertNoFrameskip-v4.log").read_text().count("continuing the rung") == 1


def test_the_gpu_campaign_call_packs_the_results_it_made_into_one_file(tmp_path):
    env = dict(os.environ, BUDGET="120", TIERS="smoke", WORKERS="2", SCORE_GAMES="2", OUT=str(tmp_path / "out"),
               RESULTS_DIR=str(tmp_path / "results"), PYTHON=sys.executable)
    result = subprocess.run(["bash", "benchmark/gpu_campaign.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "2 new results" in result.stdout
    (packed,) = (tmp_path / "out").iterdir()
    with tarfile.open(packed) as archive:
        assert sorted(os.path.basename(name) for name in archive.getnames()) == ["seed1.json", "seed2.json"]
