"""Specification of teachers/ship_teacher.py: what a shipped teacher holds, and re-scoring it in place."""

import csv

import torch

from conftest import assert_one_line_error, run_script


def score(checkpoint, ledger, *mode):
    result = run_script("eval_teacher.py", checkpoint, "--n-eval-episodes", 2, "--ledger", ledger, *mode)
    assert result.returncode == 0, result.stderr


def test_a_shipped_teacher_is_fp16_with_its_value_head_and_a_row_under_the_contract(tiny_teacher, tmp_path):
    ledger = tmp_path / "ledger.csv"
    score(tiny_teacher, ledger)
    score(tiny_teacher, ledger, "--no-greedy")
    result = run_script("teachers/ship_teacher.py", tiny_teacher, "--level", "bad", "--train-wall-time", "1 min",
                        "--ledger", ledger, "--teachers-dir", tmp_path / "teachers")
    assert result.returncode == 0, result.stderr
    shipped = torch.load(tmp_path / "teachers" / "MsPacmanNoFrameskip-v4" / "bad.pt", weights_only=True)
    assert "optimizer" not in shipped and shipped["global_step"] == 256
    assert {v.dtype for v in shipped["state_dict"].values()} == {torch.float16}
    assert "critic.weight" in shipped["state_dict"]  # so ppo_atari.py --resume continues it without re-learning values
    (row,) = csv.DictReader(open(tmp_path / "teachers" / "teachers.csv"))
    assert (row["level"], row["contract"], row["train_wall_time"]) == ("bad", "sb3_atari_wrapper", "1 min")


def test_rescore_replaces_only_the_scores_of_a_shipped_teacher(tiny_teacher, tmp_path):
    ledger, teachers = tmp_path / "ledger.csv", tmp_path / "teachers"
    score(tiny_teacher, ledger)
    score(tiny_teacher, ledger, "--no-greedy")
    assert run_script("teachers/ship_teacher.py", tiny_teacher, "--level", "bad", "--train-wall-time", "1 min",
                      "--ledger", ledger, "--teachers-dir", teachers).returncode == 0
    shipped = teachers / "MsPacmanNoFrameskip-v4" / "bad.pt"
    weights = shipped.read_bytes()
    with open(ledger, "a") as f:  # newer scores of the shipped file, as after a change of contract
        f.write(f"{shipped},MsPacmanNoFrameskip-v4,256,123.0,4.0,30,True,2026-12-01,sb3_atari_wrapper,108000,0\n")
        f.write(f"{shipped},MsPacmanNoFrameskip-v4,256,456.0,7.0,30,False,2026-12-01,sb3_atari_wrapper,108000,0\n")
    result = run_script("teachers/ship_teacher.py", shipped, "--level", "bad", "--rescore", "--ledger", ledger, "--teachers-dir", teachers)
    assert result.returncode == 0, result.stderr
    (row,) = csv.DictReader(open(teachers / "teachers.csv"))
    assert (row["mean"], row["sampled_mean"], row["episodes"], row["train_wall_time"]) == ("123.0", "456.0", "30", "1 min")
    assert shipped.read_bytes() == weights


def test_a_teacher_without_a_sampled_score_is_not_shipped(tiny_teacher, tmp_path):
    ledger = tmp_path / "ledger.csv"
    score(tiny_teacher, ledger)
    result = run_script("teachers/ship_teacher.py", tiny_teacher, "--level", "bad", "--train-wall-time", "1 min",
                        "--ledger", ledger, "--teachers-dir", tmp_path / "teachers")
    assert_one_line_error(result, "lacks a sampled score", "--no-greedy")
    assert not (tmp_path / "teachers").exists()
