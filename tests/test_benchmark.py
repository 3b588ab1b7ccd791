"""Specification of benchmark/: the shell loop's dry run, the plots and the results table."""

import os
import subprocess

from torch.utils.tensorboard import SummaryWriter

from conftest import ROOT, run_script


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
