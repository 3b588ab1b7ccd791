"""Specification of teachers/ship_teacher.py: what a shipped teacher holds, whose scores its row records, what it
never does to a teacher that already ships, and the continuation point a long run leaves between two rungs."""

import csv
import os
import shutil
import sys

import pytest
import torch

from conftest import ROOT, assert_one_line_error, run_script

sys.path.insert(0, os.path.join(ROOT, "teachers"))
from resume_point import resume_point  # noqa: E402

GAME = "MsPacmanNoFrameskip-v4"


def ship(checkpoint, teachers, *extra):
    return run_script("teachers/ship_teacher.py", checkpoint, "--level", "bad", "--train-wall-time", "1 min",
                      "--teachers-dir", teachers, *extra)


@pytest.fixture(scope="module")
def shipped(tiny_teacher_run, tmp_path_factory):
    """The tiny teacher shipped once as `bad` (scoring 2 x 30 whole games takes a while) over the continuation point its
    run left at step 128: its teachers folder, and what shipping printed."""
    teachers = tmp_path_factory.mktemp("teachers")
    continuation = run_script("teachers/ship_teacher.py", tiny_teacher_run / "step_128.pt", "--continuation", "--teachers-dir", teachers)
    assert continuation.returncode == 0, continuation.stderr
    result = ship(tiny_teacher_run / "last.pt", teachers)
    assert result.returncode == 0, result.stderr
    return teachers, result.stdout


def copy_of(shipped, tmp_path):
    shutil.copytree(shipped[0], tmp_path / "teachers")
    return tmp_path / "teachers"


def test_a_shipped_teacher_is_fp16_with_its_value_head_and_a_row_under_the_contract(shipped):
    teachers, _ = shipped
    teacher = torch.load(teachers / GAME / "bad.pt", weights_only=True)
    assert "optimizer" not in teacher and teacher["global_step"] == 256
    assert {v.dtype for v in teacher["state_dict"].values()} == {torch.float16}
    assert "critic.weight" in teacher["state_dict"]  # so ppo_atari.py --resume continues it without re-learning values
    (row,) = csv.DictReader(open(teachers / "teachers.csv"))
    assert (row["level"], row["contract"], row["train_wall_time"], row["episodes"]) == ("bad", "sb3_atari_wrapper", "1 min", "30")
    assert not list(teachers.rglob("*.tmp"))


def test_a_shipped_level_is_not_replaced_without_replace(shipped, tiny_teacher, tmp_path):
    teachers = copy_of(shipped, tmp_path)
    before = (teachers / GAME / "bad.pt").read_bytes(), (teachers / "teachers.csv").read_bytes()
    assert_one_line_error(ship(tiny_teacher, teachers), "already ships", "--replace")
    assert ((teachers / GAME / "bad.pt").read_bytes(), (teachers / "teachers.csv").read_bytes()) == before


def test_replace_says_what_it_replaces(shipped, tiny_teacher_run, tmp_path):
    teachers = copy_of(shipped, tmp_path)
    result = ship(tiny_teacher_run / "step_128.pt", teachers, "--replace")
    assert result.returncode == 0, result.stderr
    assert f"replacing {teachers / GAME / 'bad.pt'}: 256 steps" in result.stdout
    (row,) = csv.DictReader(open(teachers / "teachers.csv"))
    assert row["steps"] == "128"


def test_the_row_holds_the_scores_of_the_fp16_file_and_rescore_replaces_only_them(shipped, tmp_path):
    # Re-scoring the shipped file itself (30 games each way on eval_teacher.py's seeds) gives the row it shipped with.
    teachers = copy_of(shipped, tmp_path)
    with open(teachers / "teachers.csv") as f:
        (row,) = csv.DictReader(f)
    rows = [{**row, "mean": "1.0", "sampled_mean": "2.0"}]  # stale scores, as after a change of contract
    with open(teachers / "teachers.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(row))
        writer.writeheader()
        writer.writerows(rows)
    weights = (teachers / GAME / "bad.pt").read_bytes()
    result = run_script("teachers/ship_teacher.py", teachers / GAME / "bad.pt", "--level", "bad", "--rescore", "--teachers-dir", teachers)
    assert result.returncode == 0, result.stderr
    (rescored,) = csv.DictReader(open(teachers / "teachers.csv"))
    assert (rescored["mean"], rescored["sampled_mean"]) == (row["mean"], row["sampled_mean"])
    assert (rescored["train_wall_time"], rescored["command"]) == (row["train_wall_time"], row["command"])
    assert (teachers / GAME / "bad.pt").read_bytes() == weights


def test_a_distilled_student_is_not_shipped_as_a_teacher(tmp_path):
    student = run_script("distill.py", "--total-timesteps", 256, "--num-envs", 4, "--num-steps", 64, "--num-minibatches", 2,
                         "--n-eval-episodes", 1, "--runs-dir", tmp_path / "runs")
    assert student.returncode == 0, student.stderr
    (last,) = (tmp_path / "runs").glob("*/last.pt")
    assert_one_line_error(ship(last, tmp_path / "teachers"), "not a ppo_atari.py teacher")
    assert not (tmp_path / "teachers").exists()


def test_fewer_than_30_games_are_refused(tiny_teacher, tmp_path):
    assert_one_line_error(ship(tiny_teacher, tmp_path / "teachers", "--n-eval-episodes", 10), "--n-eval-episodes", "at least 30")


def test_a_continuation_point_is_the_run_in_fp16_with_its_step_and_no_row(tiny_teacher_run, tmp_path):
    result = run_script("teachers/ship_teacher.py", tiny_teacher_run / "step_128.pt", "--continuation", "--teachers-dir", tmp_path)
    assert result.returncode == 0, result.stderr
    point = torch.load(tmp_path / GAME / "continuation.pt", weights_only=True)
    assert point["global_step"] == 128 and "optimizer" not in point and "critic.weight" in point["state_dict"]
    assert {v.dtype for v in point["state_dict"].values()} == {torch.float16}
    assert not (tmp_path / "teachers.csv").exists()  # no teacher: nothing scored, no row
    assert resume_point(GAME, tmp_path) == (str(tmp_path / GAME / "continuation.pt"), 128)
    more = run_script("ppo_atari.py", "--resume", tmp_path / GAME / "continuation.pt", "--total-timesteps", 256,
                      "--runs-dir", tmp_path / "runs")  # what it is for: the run goes on from it
    assert more.returncode == 0, more.stderr
    assert "from step 128" in more.stdout


def test_a_continuation_point_behind_a_shipped_file_is_refused(shipped, tiny_teacher_run, tmp_path):
    teachers = copy_of(shipped, tmp_path)
    result = run_script("teachers/ship_teacher.py", tiny_teacher_run / "step_128.pt", "--continuation", "--teachers-dir", teachers)
    assert_one_line_error(result, "step 128", "ships 256 steps", "nothing was written")
    assert not (teachers / GAME / "continuation.pt").exists()


def test_a_second_continuation_point_is_refused_without_replace_and_replace_says_what_it_replaces(tiny_teacher_run, tmp_path):
    point = tmp_path / GAME / "continuation.pt"
    first = run_script("teachers/ship_teacher.py", tiny_teacher_run / "step_128.pt", "--continuation", "--teachers-dir", tmp_path)
    assert first.returncode == 0, first.stderr
    before = point.read_bytes()
    again = run_script("teachers/ship_teacher.py", tiny_teacher_run / "last.pt", "--continuation", "--teachers-dir", tmp_path)
    assert_one_line_error(again, "already holds step 128", "history", "--replace")
    assert point.read_bytes() == before
    replaced = run_script("teachers/ship_teacher.py", tiny_teacher_run / "last.pt", "--continuation", "--replace",
                          "--teachers-dir", tmp_path)
    assert replaced.returncode == 0, replaced.stderr
    assert f"replacing {point}: step 128" in replaced.stdout
    assert torch.load(point, weights_only=True)["global_step"] == 256


def test_a_rung_shipped_past_the_continuation_point_removes_it(shipped):
    teachers, printed = shipped
    assert not (teachers / GAME / "continuation.pt").exists()
    assert f"removed {teachers / GAME / 'continuation.pt'}" in printed
    assert resume_point(GAME, teachers) == (str(teachers / GAME / "bad.pt"), 256)


def test_a_fresh_machine_goes_on_from_the_most_trained_shipped_file(tmp_path):
    with open(tmp_path / "teachers.csv", "w") as table:
        table.write(f"env_id,level,path,steps\n{GAME},bad,{GAME}/bad.pt,1000\n{GAME},medium,{GAME}/medium.pt,5000\n")
    (tmp_path / GAME).mkdir()
    torch.save({"global_step": 7000}, tmp_path / GAME / "continuation.pt")
    assert resume_point(GAME, tmp_path) == (str(tmp_path / GAME / "continuation.pt"), 7000)
    torch.save({"global_step": 3000}, tmp_path / GAME / "continuation.pt")
    assert resume_point(GAME, tmp_path) == (str(tmp_path / GAME / "medium.pt"), 5000)
    assert resume_point("PongNoFrameskip-v4", tmp_path) is None


def test_a_continuation_point_takes_no_level(tiny_teacher, tmp_path):
    result = run_script("teachers/ship_teacher.py", tiny_teacher, "--continuation", "--level", "good", "--teachers-dir", tmp_path)
    assert_one_line_error(result, "--continuation", "takes no --level")
    assert not list(tmp_path.iterdir())
