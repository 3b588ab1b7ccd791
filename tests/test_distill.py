"""Specification of distill.py, and of what all three distill scripts share."""

import csv
import importlib
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
import torch.nn.functional as F
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import distill
import eval_teacher
from conftest import ROOT, assert_one_line_error, run_script

SCRIPTS = ["distill.py", "distill_rnd.py", "distill_rnd_uncertainty.py"]
SHIPPED_TEACHER = os.path.join(ROOT, "teachers", "MsPacmanNoFrameskip-v4", "bad.pt")
SHORT = ["--num-envs", 4, "--num-steps", 64, "--num-minibatches", 2, "--n-eval-episodes", 1]


def the_run_dir(runs_dir):
    (run_dir,) = [p for p in runs_dir.iterdir() if p.is_dir()]
    return run_dir


def scalars(run_dir, tag):
    return [e.value for e in EventAccumulator(str(run_dir)).Reload().Scalars(tag)]


def test_the_student_learns_the_teacher_far_above_chance(tmp_path):
    # 10k steps against the shipped 1M-step Ms. Pac-Man teacher, with half-length rollouts (twice the
    # updates per step of the defaults): 20 iterations, about 30 s on 2 CPU cores.
    result = run_script("distill.py", "--teacher", SHIPPED_TEACHER, "--total-timesteps", 10240, "--num-steps", 64,
                        "--n-eval-episodes", 1, "--runs-dir", tmp_path)
    assert result.returncode == 0, result.stderr
    agreement, chance = scalars(the_run_dir(tmp_path), "charts/teacher_agreement"), 1 / 9
    assert agreement[0] < 2 * chance  # the first rollout, before any update: chance only...
    assert sum(agreement[-3:]) / 3 > 4 * chance  # ...after it, on states it has not trained on yet

    # The KL falls: on the same real states (the teacher's own play), trained student vs untrained one.
    teacher, _, _ = distill.load_teacher(SHIPPED_TEACHER, "MsPacmanNoFrameskip-v4", 9, q_temperature=0.01)
    frames = eval_teacher.play_frames(teacher, "MsPacmanNoFrameskip-v4")
    trained, untrained = distill.PolicyCNN(9, (16, 32, 32), 256), distill.PolicyCNN(9, (16, 32, 32), 256)
    trained.load_state_dict(torch.load(the_run_dir(tmp_path) / "last.pt", weights_only=True)["state_dict"])
    with torch.no_grad():
        teacher_probs = torch.softmax(teacher(frames) / 0.5, dim=1)  # the default --temperature
        kl = lambda student: F.kl_div(F.log_softmax(student(frames), dim=1), teacher_probs, reduction="batchmean").item()
        assert kl(trained) < kl(untrained) / 2


def test_prints_both_parameter_counts_and_a_summary_line(tmp_path):
    result = run_script("distill.py", "--total-timesteps", 256, *SHORT, "--runs-dir", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1,688,745 parameters" in result.stdout and "student: 425,561 parameters (25% of the teacher)" in result.stdout
    summary = result.stdout.strip().splitlines()[-1]
    shipped = [r for r in csv.DictReader(open(os.path.join(ROOT, "teachers", "teachers.csv"))) if r["env_id"] == "MsPacmanNoFrameskip-v4"]
    best = max(float(r["sampled_mean"]) for r in shipped)  # --teacher best, scored by sampling like the student
    assert summary.startswith("student ") and "student/teacher" in summary
    assert f"| teacher {best:.1f} |" in summary


def test_student_width_scales_the_student(tmp_path):
    result = run_script("distill.py", "--total-timesteps", 256, *SHORT, "--student-width", 0.5, "--runs-dir", tmp_path)
    assert result.returncode == 0, result.stderr
    checkpoint = torch.load(the_run_dir(tmp_path) / "last.pt", weights_only=True)
    assert checkpoint["architecture"] == {"name": "nature_cnn", "channels": [8, 16, 16], "hidden": 128}


ZERO_REWARDS_THEN_RUN = """
import runpy, sys, ale_py.vector_env as vector_env
class ZeroRewards(vector_env.AtariVectorEnv):
    def step(self, actions):
        obs, reward, terminated, truncated, info = super().step(actions)
        return obs, reward * 0, terminated, truncated, info
if sys.argv[1] == "zeroed":
    vector_env.AtariVectorEnv = ZeroRewards
sys.argv = sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@pytest.mark.parametrize("script", SCRIPTS)
def test_learning_is_reward_free_zeroed_rewards_give_bit_identical_students(script, tmp_path):
    students = {}
    for rewards in ("real", "zeroed"):
        runs_dir = tmp_path / rewards
        result = subprocess.run([sys.executable, "-c", ZERO_REWARDS_THEN_RUN, rewards, os.path.join(ROOT, script),
                                 "--total-timesteps", "512", *map(str, SHORT), "--runs-dir", str(runs_dir)],
                                cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        students[rewards] = torch.load(the_run_dir(runs_dir) / "last.pt", weights_only=True)
    real, zeroed = students["real"], students["zeroed"]
    assert real["recent_returns"] != zeroed["recent_returns"] or not real["recent_returns"]  # the wrapper did act
    for name, tensor in real["state_dict"].items():
        assert torch.equal(tensor, zeroed["state_dict"][name]), name


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_closing_evaluation_and_the_teachers_ledger_score_are_eval_teacher_pys(script):
    module = importlib.import_module(script[: -len(".py")])
    assert module.evaluate is eval_teacher.evaluate and module.ledger_score is eval_teacher.ledger_score


def test_the_closing_score_is_eval_teacher_pys_score_of_the_saved_student_on_the_same_games(tmp_path):
    # The last line's ratio compares the student with the teacher's score on eval_teacher.py's games, so those must be the
    # games the student was scored on: eval_teacher.py scoring last.pt the same way gives the same scores.
    assert run_script("distill.py", "--total-timesteps", 256, *SHORT[:-2], "--n-eval-episodes", 2, "--runs-dir", tmp_path).returncode == 0
    summary = json.load(open(the_run_dir(tmp_path) / "summary.json"))
    result = run_script("eval_teacher.py", the_run_dir(tmp_path) / "last.pt", "--n-eval-episodes", 2, "--no-greedy",
                        "--ledger", tmp_path / "ledger.csv")
    assert result.returncode == 0, result.stderr
    (row,) = csv.DictReader(open(tmp_path / "ledger.csv"))
    assert row["env_id"] == "MsPacmanNoFrameskip-v4" and summary["eval_seed"] == eval_teacher.Args.seed
    assert float(row["mean"]) == pytest.approx(sum(summary["student_scores"]) / 2)


def test_interrupt_saves_a_checkpoint_and_resume_finishes_the_run(tmp_path):
    command = [sys.executable, os.path.join(ROOT, "distill.py"), "--total-timesteps", "200000", *map(str, SHORT),
               "--runs-dir", str(tmp_path)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not list(tmp_path.glob("*/events.out.tfevents.*")):
        time.sleep(0.5)
    time.sleep(5)  # a few iterations in
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert "interrupted at step" in stdout
    interrupted = torch.load(the_run_dir(tmp_path) / "last.pt", weights_only=True)
    assert 0 < interrupted["global_step"] < 200_000
    # Resume with a short horizon: it continues from the saved step, not from zero.
    checkpoint = the_run_dir(tmp_path) / "last.pt"
    saved = dict(interrupted)
    saved["args"] = dict(saved["args"], total_timesteps=interrupted["global_step"] + 512)
    torch.save(saved, checkpoint)
    result = run_script("distill.py", "--resume", checkpoint)
    assert result.returncode == 0, result.stderr
    assert torch.load(checkpoint, weights_only=True)["global_step"] == interrupted["global_step"] + 512


BAD_INPUTS = [
    (["--teacher", "no/such/teacher.pt"], "does not exist"),
    (["--env-id", "BreakoutNoFrameskip-v4"], "no shipped 'best' teacher for BreakoutNoFrameskip-v4 (shipped: "),
    (["--env-id", "BreakoutNoFrameskip-v4", "--teacher", SHIPPED_TEACHER], "plays MsPacmanNoFrameskip-v4 (9 actions), not BreakoutNoFrameskip-v4"),
    (["--env-id", "Breakout"], "unknown --env-id"),
    (["--total-timesteps", -5], "--total-timesteps must be positive"),
    (["--num-minibatches", 7], "must split into --num-minibatches 7"),
    (["--teacher", os.path.join(ROOT, "teachers")], "is a directory; pass one policy file in it"),
    (["--q-temperature", 0], "--q-temperature must be positive"),
]
BAD_INPUT_IDS = ["missing_teacher", "unshipped_game", "teacher_of_another_game", "unknown_env", "negative_steps", "indivisible_batch",
                 "teacher_is_a_directory", "zero_q_temperature"]


@pytest.mark.parametrize("bad_args, fragment", BAD_INPUTS, ids=BAD_INPUT_IDS)
def test_bad_input_gets_one_clear_line(bad_args, fragment, tmp_path):
    result = run_script("distill.py", *bad_args, "--runs-dir", tmp_path)
    assert_one_line_error(result, fragment)
    assert not list(tmp_path.iterdir())  # nothing half-made on disk


@pytest.mark.parametrize("script", SCRIPTS[1:])
@pytest.mark.parametrize("bad_args, fragment", BAD_INPUTS[1:3], ids=BAD_INPUT_IDS[1:3])
def test_the_variants_share_distill_pys_input_checks(script, bad_args, fragment, tmp_path):
    assert_one_line_error(run_script(script, *bad_args, "--runs-dir", tmp_path), fragment)


def test_a_truncated_teacher_is_refused_and_left_as_it_was(tmp_path):
    data = open(SHIPPED_TEACHER, "rb").read()
    truncated = tmp_path / "teacher.pt"
    truncated.write_bytes(data[: len(data) // 3])
    result = run_script("distill.py", "--teacher", truncated, "--runs-dir", tmp_path)
    assert_one_line_error(result, "is not a readable checkpoint (it is truncated or not a torch file)")
    assert truncated.read_bytes() == data[: len(data) // 3]


def write_teacher_table(directory, rows):
    with open(directory / "teachers.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["env_id", "level", "path", "mean", "sampled_mean"])
        writer.writeheader()
        writer.writerows(rows)


TABLE = [
    {"env_id": "PongNoFrameskip-v4", "level": "bad", "path": "Pong/bad.pt", "mean": 5, "sampled_mean": 3},
    {"env_id": "PongNoFrameskip-v4", "level": "medium", "path": "Pong/medium.pt", "mean": 4, "sampled_mean": 9},
    {"env_id": "QbertNoFrameskip-v4", "level": "good", "path": "Qbert/good.pt", "mean": 99, "sampled_mean": 99},
]


def test_best_picks_the_highest_scoring_shipped_teacher_of_the_game_in_the_scoring_mode(tmp_path, monkeypatch):
    write_teacher_table(tmp_path, TABLE)
    monkeypatch.setattr(distill, "TEACHERS_DIR", str(tmp_path))
    assert distill.resolve_teacher("best", "PongNoFrameskip-v4", greedy=False) == (str(tmp_path / "Pong/medium.pt"), 9.0)
    assert distill.resolve_teacher("best", "PongNoFrameskip-v4", greedy=True) == (str(tmp_path / "Pong/bad.pt"), 5.0)
    assert distill.resolve_teacher("bad", "PongNoFrameskip-v4", greedy=False) == (str(tmp_path / "Pong/bad.pt"), 3.0)
    assert distill.resolve_teacher("some/file.pt", "PongNoFrameskip-v4", greedy=False) == ("some/file.pt", None)


def test_a_missing_level_names_what_is_shipped(tmp_path, monkeypatch, capsys):
    write_teacher_table(tmp_path, TABLE)
    monkeypatch.setattr(distill, "TEACHERS_DIR", str(tmp_path))
    with pytest.raises(SystemExit):
        distill.resolve_teacher("good", "PongNoFrameskip-v4", greedy=False)
    message = capsys.readouterr().err
    assert "no shipped 'good' teacher for PongNoFrameskip-v4" in message
    assert "PongNoFrameskip-v4:bad, PongNoFrameskip-v4:medium, QbertNoFrameskip-v4:good" in message
    assert "python ppo_atari.py --env-id PongNoFrameskip-v4" in message


def test_kl_is_zero_for_a_student_equal_to_the_teacher():
    teacher, _, _ = distill.load_teacher(SHIPPED_TEACHER, "MsPacmanNoFrameskip-v4", 9, q_temperature=0.01)
    obs = torch.randint(0, 256, (16, 4, 84, 84), dtype=torch.uint8)
    with torch.no_grad():
        logits = teacher(obs)
        kl = torch.nn.functional.kl_div(logits.log_softmax(1), logits.softmax(1), reduction="batchmean")
    assert abs(kl.item()) < 1e-6


@pytest.mark.parametrize("script", SCRIPTS)
def test_resume_restores_every_piece_of_state_and_extends_the_run(script, tmp_path):
    assert run_script(script, "--total-timesteps", 256, *SHORT, "--runs-dir", tmp_path).returncode == 0
    checkpoint_path = the_run_dir(tmp_path) / "last.pt"
    saved = torch.load(checkpoint_path, weights_only=True)
    saved["args"] = dict(saved["args"], total_timesteps=512)
    torch.save(saved, checkpoint_path)
    result = run_script(script, "--resume", checkpoint_path)
    assert result.returncode == 0, result.stderr
    resumed = torch.load(checkpoint_path, weights_only=True)
    assert resumed["global_step"] == 512
    assert set(resumed) == set(saved)  # RND statistics, uncertainty scale, ... all carried on


def test_each_finished_game_logs_its_score_and_how_many_frames_it_lasted(tmp_path):
    result = run_script("distill.py", "--total-timesteps", 4096, *SHORT, "--runs-dir", tmp_path)
    assert result.returncode == 0, result.stderr
    returns, lengths = scalars(the_run_dir(tmp_path), "charts/episodic_return"), scalars(the_run_dir(tmp_path), "charts/episodic_length")
    assert len(returns) == len(lengths) > 0
    assert all(4 * 100 < length < 4 * 4096 for length in lengths)  # frames: 4 per step, a game of at least a life
