"""Specification of benchmark/: the shell loop's dry run, the plots and the results table."""

import csv
import os
import re
import subprocess
import sys

import numpy as np

from torch.utils.tensorboard import SummaryWriter

from conftest import ROOT, assert_one_line_error, run_script


def write_run(runs_dir, script, seed, returns, final, teacher=1000.0, sps=500.0):
    run_dir = runs_dir / "PongNoFrameskip-v4" / "bad" / script / f"seed{seed}" / "run"
    writer = SummaryWriter(str(run_dir))
    for step, value in returns:
        writer.add_scalar("charts/episodic_return", value, step)
    writer.add_scalar("charts/teacher_score", teacher, returns[-1][0])
    writer.add_scalar("charts/SPS", sps, returns[-1][0])
    writer.add_scalar("charts/eval_student_score", final, returns[-1][0])
    writer.close()


def test_plot_draws_the_figure_and_tabulates_the_right_numbers(tmp_path):
    runs = tmp_path / "runs"
    write_run(runs, "distill", 1, [(100, 10.0), (200, 30.0)], final=400.0)
    write_run(runs, "distill", 2, [(100, 30.0), (200, 50.0)], final=600.0)
    write_run(runs, "distill_rnd", 1, [(100, 0.0), (200, 100.0)], final=800.0, sps=300.0)
    result = run_script("benchmark/plot.py", "--runs-dir", runs, "--out-dir", tmp_path / "docs", "--points", 2)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "docs" / "PongNoFrameskip-v4_bad.png").stat().st_size > 10_000
    table = (tmp_path / "docs" / "results.md").read_text().splitlines()
    # final 500 +- 100 over two seeds, 50% of the teacher's 1000; the curve's mean is (20 + 40) / 2 = 30.
    assert "| PongNoFrameskip-v4 | bad | distill | 2 | 500 +- 100 | 50% | 30 | - | 500 |" in table
    assert "| PongNoFrameskip-v4 | bad | distill_rnd | 1 | 800 +- 0 | 80% | 50 | - | 300 |" in table


def test_plot_without_runs_says_what_to_do(tmp_path):
    result = run_script("benchmark/plot.py", "--runs-dir", tmp_path)
    assert result.returncode != 0 and "run benchmark/distill.sh first" in result.stderr


def test_distill_sh_dry_run_prints_every_run_of_the_grid(tmp_path):
    env = dict(os.environ, DRY_RUN="1", RUNS_DIR=str(tmp_path))
    quick = subprocess.run(["bash", "benchmark/distill.sh"], cwd=ROOT, env=env, capture_output=True, text=True)
    lines = quick.stdout.strip().splitlines()
    assert quick.returncode == 0 and len(lines) == 3 * 2  # 3 scripts x 2 seeds, one game and level
    assert "python distill_rnd_uncertainty.py --env-id MsPacmanNoFrameskip-v4 --teacher best --seed 2" in quick.stdout
    full = subprocess.run(["bash", "benchmark/distill.sh"], cwd=ROOT, env=dict(env, PROFILE="full"), capture_output=True, text=True)
    assert len(full.stdout.strip().splitlines()) == 3 * 2 * 3 * 3  # games x levels x scripts x seeds
    assert "--total-timesteps 1000000" in full.stdout


def test_distill_sh_skips_finished_runs(tmp_path):
    done = tmp_path / "MsPacmanNoFrameskip-v4" / "best" / "distill" / "seed1"
    done.mkdir(parents=True)
    (done / "done").touch()
    env = dict(os.environ, DRY_RUN="1", RUNS_DIR=str(tmp_path))
    result = subprocess.run(["bash", "benchmark/distill.sh"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert len(result.stdout.strip().splitlines()) == 5 and "distill/seed1 " not in result.stdout


def test_distill_sh_refuses_an_unknown_profile():
    result = subprocess.run(["bash", "benchmark/distill.sh"], cwd=ROOT, env=dict(os.environ, PROFILE="huge"),
                            capture_output=True, text=True)
    assert result.returncode == 2 and "PROFILE must be quick or full" in result.stderr


def distill_sh(tmp_path, **env):
    """benchmark/distill.sh on a one-run grid (distill.py, seed 1) in tmp_path/runs."""
    env = dict(os.environ, **{"RUNS_DIR": str(tmp_path / "runs"), "SCRIPTS": "distill.py", "SEEDS": "1", "PYTHON": sys.executable, **env})
    return subprocess.run(["bash", "benchmark/distill.sh"], cwd=ROOT, env=env, capture_output=True, text=True)


# A stand-in for the distill scripts: a fresh run saves last.pt and is interrupted (exit 0, no summary, as after
# SIGINT); resuming it reaches the summary and writes summary.json. Every call is appended to calls.txt.
FAKE_SCRIPT = """#!/usr/bin/env bash
echo "$*" >> "$CALLS"
if [ "$2" = --resume ]; then
  touch "$(dirname "$3")/summary.json"; echo "student 1.0 +- 0.0 | teacher 1.0"
else
  while [ "$1" != --runs-dir ]; do shift; done
  mkdir -p "$2/run" && touch "$2/run/last.pt"; echo "interrupted at step 64; resume with: ..."
fi
"""


def test_distill_sh_refuses_a_script_that_is_not_one_of_the_three(tmp_path):
    result = distill_sh(tmp_path, SCRIPTS="foo.py")
    assert_one_line_error(result, "SCRIPTS may hold distill.py, distill_rnd.py and distill_rnd_uncertainty.py, not 'foo.py'")
    assert result.returncode == 2 and not (tmp_path / "runs").exists()


def test_distill_sh_refuses_zero_workers(tmp_path):
    assert_one_line_error(distill_sh(tmp_path, WORKERS="0"), "WORKERS must be a positive whole number, not '0'")


def test_distill_sh_counts_a_run_that_wrote_its_summary_as_done(tmp_path):
    (tmp_path / "runs" / "MsPacmanNoFrameskip-v4" / "best" / "distill" / "seed1" / "run").mkdir(parents=True)
    (tmp_path / "runs" / "MsPacmanNoFrameskip-v4" / "best" / "distill" / "seed1" / "run" / "summary.json").write_text("{}")
    result = distill_sh(tmp_path, DRY_RUN="1")
    assert result.returncode == 0 and result.stdout == ""


def test_a_failed_task_makes_distill_sh_exit_non_zero(tmp_path):
    result = distill_sh(tmp_path, EXTRA_ARGS="--num-envs 0")  # distill.py refuses it: exit 2
    assert result.returncode == 1 and "finished (2): MsPacmanNoFrameskip-v4 best distill.py 1" in result.stdout
    assert "failed (exit 2)" in result.stderr and result.stderr.strip().splitlines()[-1].startswith("error: some runs failed")
    assert not (tmp_path / "runs" / "MsPacmanNoFrameskip-v4" / "best" / "distill" / "seed1" / "done").exists()


def test_an_interrupted_run_is_resumed_by_the_next_invocation_not_retried_in_the_same_one(tmp_path):
    fake = tmp_path / "fake_python"
    fake.write_text(FAKE_SCRIPT)
    fake.chmod(0o755)
    calls, run_dir = tmp_path / "calls.txt", tmp_path / "runs" / "MsPacmanNoFrameskip-v4" / "best" / "distill" / "seed1"
    first = distill_sh(tmp_path, PYTHON=str(fake), CALLS=str(calls))
    assert first.returncode == 1 and "finished (3)" in first.stdout and "the next invocation resumes it" in first.stderr
    assert len(calls.read_text().splitlines()) == 1 and not (run_dir / "done").exists()
    second = distill_sh(tmp_path, PYTHON=str(fake), CALLS=str(calls))
    assert second.returncode == 0 and "finished (0)" in second.stdout
    assert calls.read_text().splitlines()[1] == f"distill.py --resume {run_dir}/run/last.pt" and (run_dir / "done").exists()
    third = distill_sh(tmp_path, PYTHON=str(fake), CALLS=str(calls))
    assert third.returncode == 0 and "0 runs to do" in third.stdout and len(calls.read_text().splitlines()) == 2


def test_teachers_sh_refuses_a_step_count_that_is_not_positive():
    result = subprocess.run(["bash", "benchmark/teachers.sh"], cwd=ROOT, env=dict(os.environ, STEPS="-5"), capture_output=True, text=True)
    assert_one_line_error(result, "STEPS must be a positive whole number, not '-5'")


def test_teachers_sh_continues_the_most_trained_shipped_rung_when_asked_and_no_run_exists(tmp_path):
    env = dict(os.environ, DRY_RUN="1", FROM_SHIPPED="1", GAMES="QbertNoFrameskip-v4", TEACHERS_DIR=str(tmp_path), PYTHON=sys.executable)
    result = subprocess.run(["bash", "benchmark/teachers.sh"], cwd=ROOT, env=env, capture_output=True, text=True)
    rows = [r for r in csv.DictReader(open(os.path.join(ROOT, "teachers", "teachers.csv"))) if r["env_id"] == "QbertNoFrameskip-v4"]
    rung = "teachers/" + max(rows, key=lambda r: int(r["steps"]))["path"]
    assert f"ppo_atari.py --resume {rung} --total-timesteps 10002432 --runs-dir {tmp_path}/QbertNoFrameskip-v4" in result.stdout


def test_teachers_sh_default_run_ends_at_or_past_10M_steps_on_both_recipes(tmp_path):
    env = dict(os.environ, DRY_RUN="1", GAMES="QbertNoFrameskip-v4", TEACHERS_DIR=str(tmp_path), PYTHON=sys.executable)
    result = subprocess.run(["bash", "benchmark/teachers.sh"], cwd=ROOT, env=env, capture_output=True, text=True)
    total = int(result.stdout.split("--total-timesteps ")[1].split()[0])
    for batch in (8 * 128, 64 * 128):  # ppo_atari.py runs total // batch whole updates
        assert total // batch * batch >= 10_000_000


def test_the_bf16_benchmark_refuses_zero_rounds_in_one_line():
    assert_one_line_error(run_script("benchmark/ppo_update_bf16.py", "--rounds", 0), "--rounds and --threads must be positive")


def write_curve(run_dir, returns_by_step):
    writer = SummaryWriter(str(run_dir))
    for step, value in returns_by_step:
        writer.add_scalar("charts/episodic_return", value, step)
    writer.close()


def test_continuations_measures_the_difference_over_the_window_only(tmp_path):
    sys.path.insert(0, os.path.join(ROOT, "benchmark"))
    import continuations

    rng = np.random.default_rng(0)
    write_curve(tmp_path / "a", [(1000 + i, 100 + rng.normal()) for i in range(200)] + [(5000, 1e6)])  # 5000: past the window
    write_curve(tmp_path / "b", [(1000 + i, 150 + rng.normal()) for i in range(200)])
    row = [line for line in continuations.table({"a": tmp_path / "a", "b": tmp_path / "b"}, 999, 1000).splitlines()
           if "episodic_return" in line][0]
    assert "(200/200 games)" in row
    difference, low, high = (float(x) for x in re.findall(r"([+-][\d.]+)", row.split("|")[-2]))
    assert 49 < difference < 51 and 48 < low < high < 52


def test_continuations_without_events_is_one_line(tmp_path):
    result = run_script("benchmark/continuations.py", "--runs", "a", tmp_path, "b", tmp_path / "b", "--start", 0, "--steps", 10)
    assert_one_line_error(result, "no events in")
