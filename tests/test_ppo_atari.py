"""Specification of the teacher trainer ppo_atari.py."""

import os
import shutil
import subprocess

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import ppo_atari
from conftest import ROOT, assert_one_line_error, assert_stops_with_one_error_line, run_script, step_of_the_first_periodic_last_pt


def scalars(run_dir, tag):
    events = EventAccumulator(str(run_dir)).Reload()
    return {e.step: e.value for e in events.Scalars(tag)}


def test_gae_matches_a_hand_computed_case():
    # One env, 3 steps, an episode boundary before step 2 (dones[2] = 1), gamma 0.5, lambda 0.5.
    rewards = torch.tensor([[1.0], [2.0], [3.0]])
    values = torch.tensor([[0.5], [1.0], [2.0]])
    dones = torch.tensor([[0.0], [0.0], [1.0]])
    next_value, next_done = torch.tensor([[4.0]]), torch.tensor([0.0])
    # t=2: delta = 3 + 0.5*4 - 2 = 3;                     A2 = 3
    # t=1: delta = 2 + 0 - 1 = 1 (cut by dones[2]);       A1 = 1
    # t=0: delta = 1 + 0.5*1.0 - 0.5 = 1;                 A0 = 1 + 0.25 * 1 = 1.25
    advantages, returns = ppo_atari.compute_gae(rewards, values, dones, next_value, next_done, 0.5, 0.5)
    assert torch.allclose(advantages, torch.tensor([[1.25], [1.0], [3.0]]))
    assert torch.allclose(returns, advantages + values)


def test_checkpoint_ladder_doubles_past_its_last_rung_and_stops_before_the_end():
    assert ppo_atari.ladder_steps((100, 200, 500), 3000) == [100, 200, 500, 1000, 2000]
    assert ppo_atari.ladder_steps((100, 200, 500), 150) == [100]


def test_checkpoint_round_trip_keeps_weights_and_metadata(tiny_teacher):
    checkpoint = ppo_atari.load_checkpoint(str(tiny_teacher))
    agent = ppo_atari.Agent(checkpoint["num_actions"])
    agent.load_state_dict(checkpoint["state_dict"])  # strict: every tensor present, right shapes
    assert checkpoint["env_id"] == "MsPacmanNoFrameskip-v4"
    assert checkpoint["num_actions"] == 9 and checkpoint["obs_shape"] == [4, 84, 84]
    assert checkpoint["architecture"]["name"] == "nature_cnn"
    assert checkpoint["global_step"] == 256 and checkpoint["args"]["num_steps"] == 32
    assert "optimizer" in checkpoint and "mean_episodic_return" in checkpoint


def test_checkpoints_are_written_on_the_ladder_and_at_the_end(tiny_teacher_run):
    assert sorted(p.name for p in tiny_teacher_run.glob("*.pt")) == ["last.pt", "step_128.pt"]
    assert not list(tiny_teacher_run.glob("*.tmp"))  # atomic writes leave no temp files


def test_resume_continues_the_global_step_and_learning_rate_schedule(tiny_teacher_run, tmp_path):
    import shutil

    resumed_dir = tmp_path / tiny_teacher_run.name
    shutil.copytree(tiny_teacher_run, resumed_dir)
    (resumed_dir / "last.pt").unlink()
    result = run_script("ppo_atari.py", "--resume", resumed_dir / "step_128.pt", "--runs-dir", tmp_path)
    assert result.returncode == 0, result.stderr
    resumed = ppo_atari.load_checkpoint(str(resumed_dir / "last.pt"))
    original = ppo_atari.load_checkpoint(str(tiny_teacher_run / "last.pt"))
    assert resumed["global_step"] == original["global_step"] == 256
    # The annealed learning rate of every iteration after the resume equals the uninterrupted run's.
    lr_resumed, lr_original = scalars(resumed_dir, "charts/learning_rate"), scalars(tiny_teacher_run, "charts/learning_rate")
    assert lr_resumed == lr_original and sorted(lr_resumed) == [64, 128, 192, 256]
    assert resumed["optimizer"]["state"][0]["step"] == original["optimizer"]["state"][0]["step"]


def test_a_checkpoint_that_records_its_iteration_still_resumes(tiny_teacher_run, tmp_path):
    # Checkpoints written before the iteration was derived from the global step record it; it is ignored.
    run_dir = tmp_path / "run"
    shutil.copytree(tiny_teacher_run, run_dir)
    (run_dir / "last.pt").unlink()
    checkpoint = torch.load(run_dir / "step_128.pt", weights_only=True)
    torch.save({**checkpoint, "iteration": 2}, run_dir / "step_128.pt")
    result = run_script("ppo_atari.py", "--resume", run_dir / "step_128.pt")
    assert result.returncode == 0, result.stderr
    assert ppo_atari.load_checkpoint(str(run_dir / "last.pt"))["global_step"] == 256


def test_bf16_update_runs_the_torso_in_bf16_and_the_heads_in_fp32():
    torch.manual_seed(0)
    agent = ppo_atari.Agent(9)
    obs, actions = torch.randint(0, 256, (16, 4, 84, 84), dtype=torch.uint8), torch.randint(0, 9, (16,))
    hidden_fp32, hidden_bf16 = agent.features(obs), agent.features(obs, bf16=True)
    assert hidden_bf16.dtype == torch.float32 and not torch.equal(hidden_bf16, hidden_fp32)
    assert torch.allclose(hidden_bf16, hidden_fp32, rtol=0.05, atol=0.02)
    _, logprob_fp32, _, _ = agent.get_action_and_value(obs, actions)
    _, logprob_bf16, _, value_bf16 = agent.get_action_and_value(obs, actions, bf16=True)
    assert logprob_bf16.dtype == value_bf16.dtype == torch.float32
    assert (logprob_bf16 - logprob_fp32).abs().max() < 0.01  # PPO's ratio moves by under 1% before any update


def test_bf16_update_can_be_switched_on_and_off_when_resuming(tiny_teacher_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(tiny_teacher_run, run_dir)
    assert run_script("ppo_atari.py", "--resume", run_dir / "step_128.pt", "--bf16-update").returncode == 0
    assert ppo_atari.load_checkpoint(str(run_dir / "last.pt"))["args"]["bf16_update"] is True
    assert run_script("ppo_atari.py", "--resume", run_dir / "last.pt", "--no-bf16-update", "--total-timesteps", 320).returncode == 0
    assert ppo_atari.load_checkpoint(str(run_dir / "last.pt"))["args"]["bf16_update"] is False


def test_logged_episodic_return_is_a_whole_game_score(tmp_path):
    # Random Breakout loses a life every ~25 steps: with life-episodes the logged returns would
    # come 5x as often as games. 2 envs x 600 steps are ~1200 steps, i.e. a handful of games.
    result = run_script("ppo_atari.py", "--env-id", "BreakoutNoFrameskip-v4", "--num-envs", 2, "--num-steps", 128,
                        "--total-timesteps", 1280, "--runs-dir", tmp_path)
    assert result.returncode == 0, result.stderr
    (run_dir,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    lengths = scalars(run_dir, "charts/episodic_length")
    assert lengths and min(lengths.values()) > 60  # a single life of random Breakout lasts ~20-40 steps


@pytest.mark.parametrize("bad_args, fragment", [
    (["--env-id", "MsPacmanNoFrameskp-v4"], "did you mean MsPacmanNoFrameskip-v4"),
    (["--total-timesteps", "0"], "--total-timesteps must be positive"),
    (["--num-envs", "3", "--num-steps", "5", "--num-minibatches", "4"], "must split into --num-minibatches 4"),
    (["--resume", "no/such/checkpoint.pt"], "does not exist"),
    (["--resume", os.path.join(ROOT, "README.md")], "is not a readable checkpoint (it is truncated or not a torch file)"),
    (["--learning-rate", "-1"], "--learning-rate must be positive and finite (default 0.00025), got -1.0"),
    (["--learning-rate", "nan"], "--learning-rate must be positive and finite (default 0.00025), got nan"),
    (["--max-grad-norm", "-1"], "--max-grad-norm must be positive and finite (default 0.5), got -1.0"),
    (["--max-grad-norm", "inf"], "--max-grad-norm must be positive and finite (default 0.5), got inf"),
    (["--ent-coef", "nan"], "--ent-coef must be finite and 0 or more"),
    (["--vf-coef", "inf"], "--vf-coef must be finite and 0 or more"),
    (["--gamma", "1.5"], "--gamma must be in (0, 1]"),
    (["--gae-lambda", "nan"], "--gae-lambda must be in [0, 1]"),
    (["--target-kl", "nan"], "--target-kl must be positive and finite, or not given, got nan"),
    (["--seed", "-1"], "--seed must be 0 or more, got -1"),
    (["--save-steps", "-5", "0"], "--save-steps must be positive agent steps"),
    (["--update-epochs", "0"], "--update-epochs must be positive, got 0"),
    (["--num-steps", "0"], "--num-steps must be positive, got 0"),
    (["--num-envs", "-2"], "--num-envs must be positive, got -2"),
    (["--num-envs", "100000"], "--num-envs 100000 x --num-steps 128 needs about"),
], ids=["unknown_env_id", "non_positive_timesteps", "indivisible_batch", "missing_resume_checkpoint", "text_file_to_resume",
        "negative_learning_rate", "nan_learning_rate", "negative_max_grad_norm", "infinite_max_grad_norm", "nan_ent_coef",
        "infinite_vf_coef", "gamma_above_one", "nan_gae_lambda", "nan_target_kl", "negative_seed", "non_positive_save_steps",
        "zero_update_epochs", "zero_num_steps", "negative_num_envs", "num_envs_beyond_memory"])
def test_bad_arguments_get_one_clear_line(bad_args, fragment, tmp_path):
    result = run_script("ppo_atari.py", *bad_args, "--runs-dir", tmp_path)
    assert_one_line_error(result, fragment)
    assert not list(tmp_path.iterdir())  # nothing half-made on disk


def test_capture_video_points_to_eval_teacher_which_records_any_checkpoint(tmp_path):
    result = run_script("ppo_atari.py", "--capture-video", "--runs-dir", tmp_path)
    assert_one_line_error(result, "python eval_teacher.py <run>/step_<N>.pt --capture-video")
    assert not list(tmp_path.iterdir())


def test_a_checkpoint_that_records_capture_video_still_resumes(tiny_teacher_run, tmp_path):
    # Checkpoints written while ppo_atari.py recorded videos carry the flag; it does not change learning, so it is dropped.
    run_dir = tmp_path / "run"
    shutil.copytree(tiny_teacher_run, run_dir)
    (run_dir / "last.pt").unlink()
    checkpoint = torch.load(run_dir / "step_128.pt", weights_only=True)
    torch.save({**checkpoint, "args": {**checkpoint["args"], "capture_video": True}}, run_dir / "step_128.pt")
    result = run_script("ppo_atari.py", "--resume", run_dir / "step_128.pt")
    assert result.returncode == 0, result.stderr
    assert ppo_atari.load_checkpoint(str(run_dir / "last.pt"))["global_step"] == 256


def test_a_shipped_rung_continues_in_a_new_folder_with_adams_moments_rebuilt(tiny_teacher, tmp_path):
    # A rung as teachers/ship_teacher.py writes it: fp16 weights (value head included), step and args, no optimizer.
    rung = torch.load(tiny_teacher, weights_only=True)
    rung = {k: v for k, v in rung.items() if k not in ("optimizer", "torch_rng_state", "run_name", "recent_returns")}
    rung["state_dict"] = {k: v.half() for k, v in rung["state_dict"].items()}
    torch.save(rung, tmp_path / "rung.pt")
    result = run_script("ppo_atari.py", "--resume", tmp_path / "rung.pt", "--total-timesteps", 512, "--runs-dir", tmp_path / "runs")
    assert result.returncode == 0, result.stderr
    assert "continuing the rung" in result.stdout and "value head starts untrained" not in result.stdout
    (run_dir,) = (tmp_path / "runs").iterdir()
    continued = ppo_atari.load_checkpoint(str(run_dir / "last.pt"))
    assert continued["global_step"] == 512 and continued["optimizer"]["state"][0]["step"] == 4 * 4 * 4  # iterations x epochs x minibatches
    learning_rates = scalars(run_dir, "charts/learning_rate")
    # The first update after the rung runs at learning rate 0 (it fills Adam's moments); then the schedule goes on.
    assert learning_rates[320] == 0.0 and learning_rates[384] > 0.0



def test_num_envs_beyond_memory_is_refused_with_the_estimate(tmp_path):
    result = run_script("ppo_atari.py", "--num-envs", 100_000, "--runs-dir", tmp_path)
    # 100,000 x 128 frame stacks of 28 KB are 361 GB before the update's minibatches.
    assert_one_line_error(result, "needs about 1511.1 GB of memory", "GB is available; use fewer --num-envs")


def test_resuming_a_distilled_student_is_refused(tiny_teacher, tmp_path):
    # distill*.py students share the checkpoint format; they record their teacher and distill flags.
    student = torch.load(tiny_teacher, weights_only=True)
    student["teacher"] = {"path": "teachers/MsPacmanNoFrameskip-v4/good.pt", "kind": "policy_logits"}
    student["args"] = dict(student["args"], exp_name="distill", temperature=1.0)
    torch.save(student, tmp_path / "last.pt")
    result = run_script("ppo_atari.py", "--resume", tmp_path / "last.pt")
    assert_one_line_error(result, "is not a ppo_atari.py checkpoint but a student of distill.py", "resume it with the script that wrote it")


def test_resuming_a_checkpoint_with_nan_weights_is_refused(tiny_teacher_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(tiny_teacher_run, run_dir)
    checkpoint = torch.load(run_dir / "step_128.pt", weights_only=True)
    next(iter(checkpoint["state_dict"].values()))[0] = float("nan")
    torch.save(checkpoint, run_dir / "step_128.pt")
    result = run_script("ppo_atari.py", "--resume", run_dir / "step_128.pt")
    assert_one_line_error(result, "holds non-finite (NaN or inf) weights")


def test_a_runs_dir_that_cannot_be_written_is_refused_before_training(tmp_path):
    read_only = tmp_path / "read_only"
    read_only.mkdir()
    read_only.chmod(0o555)
    # root writes through permissions, not through the immutable flag (as through a read-only mount)
    immutable = os.geteuid() == 0 and subprocess.run(["chattr", "+i", read_only], capture_output=True).returncode == 0
    if os.geteuid() == 0 and not immutable:
        pytest.skip("running as root without chattr: no folder is read-only to us")
    try:
        result = run_script("ppo_atari.py", "--env-id", "MsPacmanNoFrameskip-v4", "--num-envs", 2, "--num-steps", 32,
                            "--total-timesteps", 64, "--runs-dir", read_only / "runs")
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", read_only])
        read_only.chmod(0o755)
    assert_one_line_error(result, f"cannot write to '{read_only / 'runs'}/", "use a --runs-dir on a writable disk")
    assert not list(read_only.iterdir())


def test_a_full_disk_during_a_checkpoint_ends_in_one_line_and_keeps_the_previous_checkpoint(tiny_teacher_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(tiny_teacher_run, run_dir)
    before = (run_dir / "last.pt").read_bytes()
    # The temp file is a link to /dev/full: every write to it fails with ENOSPC, as on a full disk (no root needed).
    os.symlink("/dev/full", run_dir / "last.pt.tmp")
    result = run_script("ppo_atari.py", "--resume", run_dir / "step_128.pt")
    assert_stops_with_one_error_line(result, f"could not write {str(run_dir / 'last.pt')!r}", "the previous one is intact")
    assert (run_dir / "last.pt").read_bytes() == before
    assert not [p.name for p in run_dir.iterdir() if p.name.endswith(".tmp")]


def test_a_failed_checkpoint_write_removes_its_temp_file(tmp_path, monkeypatch, capsys):
    def no_space(payload, path):
        open(path, "wb").write(b"half a checkpoint")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", no_space)
    agent = ppo_atari.Agent(9)
    args = ppo_atari.Args()
    with pytest.raises(SystemExit) as exit_:
        ppo_atari.save_checkpoint(str(tmp_path / "step_128.pt"), agent, torch.optim.Adam(agent.parameters()), args, "run", 128, [])
    assert exit_.value.code == 2 and not list(tmp_path.iterdir())
    assert capsys.readouterr().err.strip().endswith("(No space left on device); it was not saved; free some space and resume")


def test_a_diverging_run_stops_at_once_and_keeps_the_last_good_checkpoint(tiny_teacher_run, tmp_path):
    # A learning rate of 1e30 is finite, so accepted, and blows the weights up in the first update.
    run_dir = tmp_path / "run"
    shutil.copytree(tiny_teacher_run, run_dir)
    checkpoint = torch.load(run_dir / "step_128.pt", weights_only=True)
    checkpoint["args"]["learning_rate"] = 1e30
    torch.save(checkpoint, run_dir / "step_128.pt")
    before = (run_dir / "last.pt").read_bytes()
    result = run_script("ppo_atari.py", "--resume", run_dir / "step_128.pt")
    assert_stops_with_one_error_line(result, "training diverged at step 192", "no longer finite",
                                     f"the last checkpoint, {run_dir / 'step_128.pt'}, is intact")
    assert (run_dir / "last.pt").read_bytes() == before
    assert sorted(p.name for p in run_dir.glob("*.pt*")) == ["last.pt", "step_128.pt"]


def test_a_run_saves_last_pt_periodically_so_a_kill_loses_little(tmp_path):
    step = step_of_the_first_periodic_last_pt("ppo_atari.py", tmp_path, "--env-id", "MsPacmanNoFrameskip-v4", "--num-envs", 2,
                                              "--num-steps", 32, total_timesteps=1_000_000)
    assert 0 < step < 1_000_000
