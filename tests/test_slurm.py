"""The benchmark on a real Slurm: a single-node cluster on this machine runs a tiny grid as a job array.

Slurm is brought up by benchmark/slurm_local.sh (Debian's slurm-wlm and munge, as root; .ci/run installs
them). Where it cannot be, the test is skipped and says why."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch

from conftest import ROOT

TINY = "--num-envs 2 --num-steps 64 --num-minibatches 2 --n-eval-episodes 1"


@pytest.fixture(scope="module")
def slurm():
    if shutil.which("sbatch") is None or shutil.which("slurmctld") is None:
        pytest.skip("Slurm is not installed (Debian: apt-get install slurm-wlm munge)")
    if subprocess.run(["sinfo", "-h"], capture_output=True).returncode != 0:
        if os.geteuid() != 0:
            pytest.skip("Slurm is not running and starting its daemons needs root")
        up = subprocess.run(["bash", "benchmark/slurm_local.sh", "up"], cwd=ROOT, capture_output=True, text=True)
        if up.returncode != 0:
            pytest.fail(f"benchmark/slurm_local.sh up failed: {up.stderr}")


def submit(runs_dir, seeds, steps):
    env = dict(os.environ, LAUNCHER="slurm", RUNS_DIR=str(runs_dir), SEEDS=seeds, SCRIPTS="distill.py", STEPS=str(steps),
               EXTRA_ARGS=TINY, PYTHON=sys.executable, SLURM_CPUS="1", SLURM_MEM="2G", SLURM_TIME="00:10:00")
    result = subprocess.run(["bash", "benchmark/distill.sh"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    job = result.stdout.split("submitted job array ")[1].split(":")[0] if "submitted job array" in result.stdout else None
    return job, result.stdout


def wait_for(job, timeout=240):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not subprocess.run(["squeue", "-h", "-j", job], capture_output=True, text=True).stdout.strip():
            return
        time.sleep(2)
    pytest.fail(f"job array {job} did not finish in {timeout} s")


def run_dir(runs_dir, seed):
    return runs_dir / "MsPacmanNoFrameskip-v4" / "best" / "distill" / f"seed{seed}"


def test_a_grid_runs_as_an_array_resubmitting_does_nothing_and_a_killed_task_resumes(slurm, tmp_path):
    job, output = submit(tmp_path, "1 2", 256)
    assert "2 task(s)" in output and f"squeue -j {job}" in output
    wait_for(job)
    assert all((run_dir(tmp_path, seed) / "done").exists() for seed in (1, 2))

    job, output = submit(tmp_path, "1 2", 256)
    assert job is None and "nothing to do" in output

    # A longer run, killed mid-way as a preemption would (SIGTERM): it saves last.pt and is not done...
    steps = 20_480
    job, _ = submit(tmp_path, "3", steps)
    deadline = time.time() + 120
    while time.time() < deadline and not list(run_dir(tmp_path, 3).glob("*/events.out.tfevents.*")):
        time.sleep(1)
    time.sleep(5)
    pids = subprocess.run(["pgrep", "-f", f"distill.py .*{run_dir(tmp_path, 3)}"], capture_output=True, text=True).stdout.split()
    assert pids, "the task's training process was not found"
    for pid in pids:
        os.kill(int(pid), signal.SIGTERM)
    wait_for(job)
    (last,) = run_dir(tmp_path, 3).glob("*/last.pt")
    interrupted_at = torch.load(last, weights_only=True)["global_step"]
    assert 0 < interrupted_at < steps and not (run_dir(tmp_path, 3) / "done").exists()
    # ...and re-submitting resumes it from there to the end.
    job, output = submit(tmp_path, "3", steps)
    assert "1 task(s)" in output
    wait_for(job)
    assert (run_dir(tmp_path, 3) / "done").exists()
    assert torch.load(last, weights_only=True)["global_step"] == steps
    assert f"--resume {last}" in (run_dir(tmp_path, 3) / "log.txt").read_text()
