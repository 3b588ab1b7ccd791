"""Specification of what users' data and interrupted runs can count on: a ledger is only ever appended to, a
broken teacher is refused, and a distill run stopped at any moment (signal or kill -9) resumes to its summary."""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch

from conftest import ROOT, assert_one_line_error, assert_stops_with_one_error_line, run_script, step_of_the_first_periodic_last_pt

SCRIPTS = ["distill.py", "distill_rnd.py", "distill_rnd_uncertainty.py"]
SHORT = ["--num-envs", 4, "--num-steps", 64, "--num-minibatches", 2, "--n-eval-episodes", 1]
BEFORE_SHA256 = "checkpoint,env_id,steps,mean,std,episodes,greedy,date,contract,frame_limit,games_cut"
OURS = f"{BEFORE_SHA256},sha256,hub_commit"
OLD_ROW = "old.pt,PongNoFrameskip-v4,1,2.0,3.0,4,True,2026-01-01,sb3_atari_wrapper,108000,0,5e3a,"


def score_into(ledger, checkpoint, *extra):
    return run_script("eval_teacher.py", checkpoint, "--n-eval-episodes", 1, "--max-frames", 400, "--ledger", ledger, *extra)


# The ledger: a user's data.

@pytest.mark.parametrize("header", ["a;b;c", "name,score", "checkpoint;env_id;steps"])
def test_a_ledger_with_a_foreign_header_is_left_as_it_is_and_refused_before_any_game(header, tiny_teacher, tmp_path):
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(f"{header}\n1;2;3\n")
    before = ledger.read_bytes()
    assert_one_line_error(score_into(ledger, tiny_teacher), "is not an eval_teacher.py ledger", "left as it is")
    assert ledger.read_bytes() == before


def test_a_ledger_saved_with_a_utf8_bom_keeps_every_column_of_every_row(tiny_teacher, tmp_path):
    ledger = tmp_path / "ledger.csv"
    ledger.write_bytes(b"\xef\xbb\xbf" + f"{OURS}\n{OLD_ROW}\n".encode())
    assert score_into(ledger, tiny_teacher).returncode == 0
    lines = ledger.read_bytes().decode("utf-8-sig").splitlines()
    assert lines[:2] == [OURS, OLD_ROW] and len(lines) == 3


def test_a_users_extra_column_is_kept_and_left_empty_in_new_rows(tiny_teacher, tmp_path):
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(f"{OURS},note\n{OLD_ROW},mine\n")
    assert score_into(ledger, tiny_teacher).returncode == 0
    lines = ledger.read_text().splitlines()
    assert lines[:2] == [f"{OURS},note", f"{OLD_ROW},mine"] and lines[2].endswith(",") and len(lines) == 3


def test_an_older_ledger_with_a_users_column_gains_the_new_columns_after_it_and_keeps_its_rows(tmp_path):
    import eval_teacher

    ledger = tmp_path / "ledger.csv"
    old_row = OLD_ROW.rsplit(",", 2)[0]  # a row from before the sha256 and hub_commit columns
    ledger.write_text(f"{BEFORE_SHA256},note\n{old_row},mine\n")
    eval_teacher.append_to_ledger(str(ledger), [{"checkpoint": "new.pt", "sha256": "9f2c", "hub_commit": ""}])
    lines = ledger.read_text().splitlines()
    assert lines[:2] == [f"{BEFORE_SHA256},note,sha256,hub_commit", f"{old_row},mine,,"]
    assert lines[2].startswith("new.pt,") and lines[2].endswith(",,9f2c,") and len(lines) == 3


def test_a_ledger_that_is_a_directory_is_refused_before_any_game(tiny_teacher, tmp_path):
    assert_one_line_error(score_into(tmp_path, tiny_teacher), "is a directory")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders")
def test_a_ledger_in_a_read_only_folder_is_refused_before_any_game(tiny_teacher, tmp_path):
    tmp_path.chmod(0o500)
    try:
        assert_one_line_error(score_into(tmp_path / "ledger.csv", tiny_teacher), "not writable")
    finally:
        tmp_path.chmod(0o700)


def test_a_frame_limit_shorter_than_a_games_forced_start_is_refused(tiny_teacher, tmp_path):
    # Every game would be cut during its own start, and the evaluation would never end.
    assert_one_line_error(score_into(tmp_path / "ledger.csv", tiny_teacher, "--max-frames", 8), "--max-frames", "at least")


def test_distill_reads_a_garbage_ledger_as_no_score(tmp_path):
    os.makedirs(tmp_path / "runs")
    (tmp_path / "runs" / "eval_ledger.csv").write_text("a;b;c\n1;2;3\n")
    teacher = os.path.join(ROOT, "teachers", "MsPacmanNoFrameskip-v4", "bad.pt")
    result = run_script("distill.py", "--teacher", teacher, "--total-timesteps", 256, *SHORT, "--runs-dir", "runs", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


# Broken teachers and flags.

@pytest.mark.parametrize("script", ["eval_teacher.py", *SCRIPTS])
def test_a_teacher_with_a_non_finite_weight_is_refused(script, tiny_teacher, tmp_path):
    checkpoint = torch.load(tiny_teacher, weights_only=True)
    checkpoint["state_dict"]["actor.bias"][0] = float("nan")
    torch.save(checkpoint, tmp_path / "nan.pt")
    flags = ["--ledger", tmp_path / "ledger.csv"] if script == "eval_teacher.py" else ["--teacher", tmp_path / "nan.pt", "--runs-dir", tmp_path]
    result = run_script(script, *([tmp_path / "nan.pt"] if script == "eval_teacher.py" else []), *flags)
    assert_one_line_error(result, "non-finite weights")


@pytest.mark.parametrize("script, flag, value, fragment", [
    ("distill.py", "--max-grad-norm", -1, "must be positive"),  # it trained by gradient ascent
    ("distill.py", "--learning-rate", "nan", "finite"), ("distill.py", "--temperature", "nan", "finite"),
    ("distill.py", "--student-width", "inf", "finite"), ("distill.py", "--seed", -1, "0 or more"),
    ("distill.py", "--update-epochs", 0, "must be positive"),
    ("distill.py", "--n-eval-episodes", 0, "must be positive"),  # it was refused only after all the training
    ("distill.py", "--checkpoint-minutes", 0, "must be positive"),
    ("distill_rnd.py", "--curiosity-coef", "nan", "finite"), ("distill_rnd_uncertainty.py", "--curiosity-coef", "inf", "finite"),
])
def test_a_bad_flag_is_refused_before_any_work(script, flag, value, fragment, tmp_path):
    assert_one_line_error(run_script(script, flag, value, "--runs-dir", tmp_path), flag, fragment)
    assert not any(tmp_path.iterdir())


# Runs that always finish.

def start(script, tmp_path, *extra, steps=512):
    return [sys.executable, os.path.join(ROOT, script), "--total-timesteps", str(steps), *map(str, SHORT), "--runs-dir",
            str(tmp_path), *extra]


def the_last_pt(tmp_path):
    (last,) = tmp_path.glob("*/last.pt")
    return last


@pytest.mark.parametrize("script", SCRIPTS)
def test_resuming_a_finished_run_reports_its_summary_and_exits_0(script, tmp_path):
    first = run_script(script, "--total-timesteps", 256, *SHORT, "--runs-dir", tmp_path)
    assert first.returncode == 0, first.stderr
    again = run_script(script, "--resume", the_last_pt(tmp_path))
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[-1] == first.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def finished_rnd_run(tmp_path_factory):
    """A finished 256-step distill_rnd.py run (tests change copies of it)."""
    runs_dir = tmp_path_factory.mktemp("rnd")
    assert run_script("distill_rnd.py", "--total-timesteps", 256, *SHORT, "--runs-dir", runs_dir).returncode == 0
    return the_last_pt(runs_dir).parent


def as_written_by_8f9d819(checkpoint, **retired):
    """The checkpoint in commit 8f9d819's format: the retired flags in its args, its `iteration`, RND's statistics beside the model."""
    checkpoint["args"] = {**checkpoint["args"], "teacher_action_prob": 0.0, "anneal_curiosity": False, **retired}
    checkpoint["iteration"] = checkpoint["global_step"] // (checkpoint["args"]["num_envs"] * checkpoint["args"]["num_steps"])
    for name in ("obs_rms", "return_rms"):
        mean, var, count = (checkpoint["rnd_model"].pop(f"{name}.{key}") for key in ("mean", "var", "count"))
        checkpoint[name] = [mean, var, count.item()]
    return checkpoint


def test_a_checkpoint_of_8f9d819_resumes_and_carries_its_rnd_statistics_on(finished_rnd_run, tmp_path):
    run_dir = shutil.copytree(finished_rnd_run, tmp_path / "run")
    old = as_written_by_8f9d819(torch.load(run_dir / "last.pt", weights_only=True))
    old["args"]["total_timesteps"] = 512  # one more iteration of 256 states
    torch.save(old, run_dir / "last.pt")
    result = run_script("distill_rnd.py", "--resume", run_dir / "last.pt")
    assert result.returncode == 0, result.stderr
    resumed = torch.load(run_dir / "last.pt", weights_only=True)
    assert resumed["global_step"] == 512 and not {"teacher_action_prob", "anneal_curiosity"} & resumed["args"].keys()
    assert resumed["rnd_model"]["obs_rms.count"].item() == old["obs_rms"][2] + 256  # continued, not started afresh


@pytest.mark.parametrize("flag, value", [("teacher_action_prob", 0.25), ("anneal_curiosity", True)])
def test_a_run_that_used_a_retired_flag_is_refused_with_the_version_that_continues_it(flag, value, finished_rnd_run, tmp_path):
    torch.save(as_written_by_8f9d819(torch.load(finished_rnd_run / "last.pt", weights_only=True), **{flag: value}), tmp_path / "last.pt")
    result = run_script("distill_rnd.py", "--resume", tmp_path / "last.pt")
    assert_one_line_error(result, f"--{flag.replace('_', '-')} {value}", "retired", "git checkout 8f9d819 -- distill_rnd.py")
    assert result.returncode == 2


def test_a_run_whose_training_is_complete_but_unsummarised_plays_only_its_evaluation(tmp_path):
    # As after a stop during the closing evaluation: last.pt is at the end of training, summary.json is missing.
    assert run_script("distill.py", "--total-timesteps", 256, *SHORT, "--runs-dir", tmp_path).returncode == 0
    os.remove(the_last_pt(tmp_path).parent / "summary.json")
    result = run_script("distill.py", "--resume", the_last_pt(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("student ")
    assert json.load(open(the_last_pt(tmp_path).parent / "summary.json"))["global_step"] == 256


def interrupt_once_training(command, tmp_path):
    """Run `command` until it trains (its events file exists), then Ctrl-C it -> its last line."""
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    events = len(list(tmp_path.glob("*/events.*")))
    while len(list(tmp_path.glob("*/events.*"))) == events and process.poll() is None:
        time.sleep(0.5)
    time.sleep(3)
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=120)
    return out.strip().splitlines()[-1]


def test_an_interrupted_run_with_its_own_exp_name_resumes_with_the_command_it_prints(tmp_path):
    last_line = interrupt_once_training(start("distill.py", tmp_path, "--exp-name", "myexp", steps=200_000), tmp_path)
    script, resume, path = last_line.split("resume with: python ")[1].split()
    assert (script, resume) == ("distill.py", "--resume")
    resumed = interrupt_once_training([sys.executable, os.path.join(ROOT, script), resume, path], tmp_path)
    assert resumed.startswith("interrupted at step"), resumed


def test_a_run_saves_last_pt_periodically_so_a_kill_loses_little(tmp_path):
    step = step_of_the_first_periodic_last_pt("distill.py", tmp_path, *SHORT, total_timesteps=50_000)
    assert 0 < step < 50_000


def test_a_run_killed_at_random_moments_resumes_to_a_valid_summary(tmp_path):
    # Chaos: five stops at random moments, each a SIGKILL (no chance to save) or a SIGINT, through start-up, training,
    # checkpoint writes and the closing evaluation; then resumes until the run reports. It must end with its summary,
    # a valid last.pt and no stray file.
    rng, total = random.Random(0), 4096
    command = start("distill.py", tmp_path, "--checkpoint-minutes", "0.02", steps=total)
    for attempt in range(20):
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            out, _ = process.communicate(timeout=rng.uniform(2, 10) if attempt < 5 else 600)
        except subprocess.TimeoutExpired:
            process.send_signal(rng.choice([signal.SIGKILL, signal.SIGINT]))
            out, _ = process.communicate(timeout=120)
        if process.returncode == 0 and out.strip().splitlines()[-1:] and out.strip().splitlines()[-1].startswith("student "):
            break
        last = list(tmp_path.glob("*/last.pt"))
        command = [sys.executable, os.path.join(ROOT, "distill.py"), "--resume", str(last[0])] if last else command
    else:
        pytest.fail("the run never reached its summary")
    run_dir = the_last_pt(tmp_path).parent
    assert json.load(open(run_dir / "summary.json"))["global_step"] == total
    assert torch.load(run_dir / "last.pt", weights_only=True)["global_step"] == total
    assert not list(tmp_path.rglob("*.tmp"))


def test_more_envs_than_memory_holds_are_refused_with_the_estimate(tmp_path):
    assert_one_line_error(run_script("distill.py", "--num-envs", 100_000, "--runs-dir", tmp_path), "--num-envs 100000", "GB of memory")


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_runs_dir_that_cannot_be_written_is_refused_before_training(script, tmp_path):
    (tmp_path / "a_file").write_text("")
    result = run_script(script, "--total-timesteps", 256, *SHORT, "--runs-dir", tmp_path / "a_file" / "runs")
    assert_one_line_error(result, "cannot write to")


def test_a_full_disk_at_a_checkpoint_ends_in_one_line_keeps_the_previous_one_and_leaves_no_tmp(tmp_path):
    assert run_script("distill.py", "--total-timesteps", 256, *SHORT, "--runs-dir", tmp_path).returncode == 0
    last = the_last_pt(tmp_path)
    saved = torch.load(last, weights_only=True)
    torch.save({**saved, "args": dict(saved["args"], total_timesteps=512)}, last)  # one more iteration to train
    before = last.read_bytes()
    os.symlink("/dev/full", f"{last}.tmp")  # every write of the next checkpoint fails: "No space left on device"
    assert_stops_with_one_error_line(run_script("distill.py", "--resume", last), "could not write", "the previous one is intact")
    assert last.read_bytes() == before and not os.path.lexists(f"{last}.tmp")


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_diverging_run_stops_at_once_and_writes_no_non_finite_checkpoint(script, tmp_path):
    result = run_script(script, "--learning-rate", 1e30, "--total-timesteps", 2048, *SHORT, "--runs-dir", tmp_path)
    assert_stops_with_one_error_line(result, "training diverged at step", "no checkpoint was written")
    assert not list(tmp_path.glob("*/last.pt"))


def test_more_games_at_once_than_memory_holds_are_refused_before_any_is_played(tiny_teacher, tmp_path):
    assert_one_line_error(score_into(tmp_path / "ledger.csv", tiny_teacher, "--n-eval-episodes", 1_000_000), "GB of memory")


def test_a_non_finite_fp16_tolerance_is_refused(tiny_teacher, tmp_path):
    result = run_script("teachers/ship_teacher.py", tiny_teacher, "--level", "bad", "--train-wall-time", "1 min",
                        "--logit-tolerance", "nan", "--teachers-dir", tmp_path)
    assert_one_line_error(result, "--logit-tolerance")


@pytest.mark.parametrize("tool, args, fragment", [
    ("benchmark/speed.py", ["--rounds", 0], "--rounds"),  # it was a ValueError after the timing
    ("benchmark/clip.py", ["a.pt", "b.pt", "--seconds", "nan"], "--seconds"),
])
def test_the_benchmark_tools_refuse_bad_flags_in_one_line(tool, args, fragment):
    assert_one_line_error(run_script(tool, *args), fragment)
