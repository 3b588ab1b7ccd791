"""Specification of eval_teacher.py: scoring checkpoints, the ledger, SB3 zips, bad input."""

import csv
import hashlib
import os

import pytest
import torch

import eval_teacher
from conftest import ImageEnv, assert_one_line_error, run_script


def test_sb3_ppo_zip_gives_the_same_logits_as_sb3s_own_policy(tmp_path):
    from stable_baselines3 import PPO

    model = PPO("CnnPolicy", ImageEnv(), n_steps=16, batch_size=16, n_epochs=1, device="cpu", seed=0)
    model.learn(16)  # move the weights off their initialisation
    model.save(tmp_path / "sb3_teacher.zip")
    policy, env_id, _ = eval_teacher.load_policy(str(tmp_path / "sb3_teacher.zip"), "MsPacmanNoFrameskip-v4")
    obs = torch.randint(0, 256, (5, 4, 84, 84), dtype=torch.uint8)
    with torch.no_grad():
        ours = policy(obs).log_softmax(dim=1)
        theirs = model.policy.get_distribution(obs.float()).distribution.logits
    assert env_id == "MsPacmanNoFrameskip-v4"
    assert torch.allclose(ours, theirs, atol=1e-5)


def test_scores_a_checkpoint_over_whole_games_and_appends_to_the_ledger(tiny_teacher, tmp_path):
    ledger = tmp_path / "ledger.csv"
    for _ in range(2):
        result = run_script("eval_teacher.py", tiny_teacher, "--n-eval-episodes", 2, "--ledger", ledger)
        assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(open(ledger)))
    assert len(rows) == 2 and rows[0]["env_id"] == "MsPacmanNoFrameskip-v4" and rows[0]["steps"] == "256"
    assert rows[0]["mean"] == rows[1]["mean"]  # evaluation is seeded: same games, same score
    assert "score" in result.stdout and str(tiny_teacher) in result.stdout


def test_evaluate_plays_exactly_one_whole_game_per_episode():
    policy = eval_teacher.PolicyCNN(9)
    scores, cut = eval_teacher.evaluate(policy, "MsPacmanNoFrameskip-v4", 3, greedy=False, seed=0, device="cpu")
    # A random Ms. Pac-Man eats dozens of 10-point dots per game, not just those of its first life.
    assert scores.shape == (3,) and (scores >= 100).all() and not cut.any()


class ExecutesCode:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def make_bad_file(kind, tiny_teacher, tmp_path):
    path = tmp_path / f"{kind}.pt"
    if kind == "not_a_checkpoint":
        path.write_text("# A README\n\nnot a checkpoint, though torch's unpickler reads its first byte as an opcode\n")
    elif kind == "foreign_torch_file":
        torch.save({"weights": torch.zeros(3)}, path)
    elif kind == "truncated":
        data = tiny_teacher.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif kind == "executes_code":
        torch.save({"format_version": 1, "payload": ExecutesCode()}, path)
    elif kind == "wrong_obs_shape":
        checkpoint = torch.load(tiny_teacher, weights_only=True)
        checkpoint["obs_shape"] = [3, 84, 84]
        torch.save(checkpoint, path)
    return path


@pytest.mark.parametrize("kind, fragment", [
    ("not_a_checkpoint", "not a readable checkpoint (it is truncated or not a torch file)"),
    ("foreign_torch_file", "not a curious-distill checkpoint"),
    ("truncated", "truncated"),
    ("executes_code", "could run code, refused"),
    ("wrong_obs_shape", "expects observations of shape [3, 84, 84]"),
])
def test_bad_checkpoint_files_get_one_clear_line_and_leave_the_ledger_intact(kind, fragment, tiny_teacher, tmp_path):
    bad = make_bad_file(kind, tiny_teacher, tmp_path)
    ledger = tmp_path / "ledger.csv"
    ledger.write_text("checkpoint,env_id,steps,mean,std,episodes,greedy,date\nold.pt,X,1,2,3,4,True,2026-01-01\n")
    before = ledger.read_bytes()
    result = run_script("eval_teacher.py", tiny_teacher, bad, "--ledger", ledger, cwd=tmp_path)
    assert_one_line_error(result, fragment)
    assert ledger.read_bytes() == before
    assert not (tmp_path / "pwned").exists()


def test_a_file_for_another_action_count_is_refused(tmp_path):
    from stable_baselines3 import PPO

    PPO("CnnPolicy", ImageEnv(), n_steps=16, batch_size=16, device="cpu").save(tmp_path / "sb3_teacher.zip")
    result = run_script("eval_teacher.py", tmp_path / "sb3_teacher.zip", "--env-id", "BreakoutNoFrameskip-v4")
    assert_one_line_error(result, "has 9 actions but BreakoutNoFrameskip-v4 has 4")


def test_a_missing_checkpoint_and_an_unknown_game_are_refused(tiny_teacher):
    assert_one_line_error(run_script("eval_teacher.py", "no/such.pt"), "does not exist")
    assert_one_line_error(run_script("eval_teacher.py", tiny_teacher, "--env-id", "Qbert-v99"), "unknown --env-id")


def test_capture_video_records_the_first_scored_game_in_colour(tiny_teacher, tmp_path):
    import cv2

    result = run_script("eval_teacher.py", tiny_teacher, "--n-eval-episodes", 2, "--capture-video", "--video-dir", tmp_path,
                        "--ledger", tmp_path / "ledger.csv")
    assert result.returncode == 0, result.stderr
    (video,) = tmp_path.glob("*.mp4")
    assert f"recorded in {video}" in result.stdout
    capture = cv2.VideoCapture(str(video))
    frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    capture.set(cv2.CAP_PROP_POS_FRAMES, frames // 2)
    ok, frame = capture.read()
    assert ok and frame.shape == (420, 320, 3) and frames > 100  # whole game, full screen doubled
    assert (frame[:, :, 0].astype(int) - frame[:, :, 2].astype(int)).any()  # colour, not grey


def test_evaluate_returns_nothing_once_a_stop_is_requested():
    # The distill scripts' closing evaluation is this one: a SIGINT there must end it at once.
    scores, cut = eval_teacher.evaluate(eval_teacher.PolicyCNN(9), "MsPacmanNoFrameskip-v4", 2, greedy=True, seed=0, device="cpu",
                                        stop_requested=[2])
    assert scores is None and cut is None


def test_a_checkpoints_ledger_score_is_its_newest_row_in_the_same_mode_and_contract(tmp_path):
    ledger = tmp_path / "ledger.csv"
    ledger.write_text("checkpoint,greedy,mean,contract\n" + "".join(
        f"{tmp_path / name},{greedy},{mean},{contract}\n" for name, greedy, mean, contract in [
            ("a.pt", False, 1.0, "sb3_atari_wrapper"), ("a.pt", True, 2.0, "sb3_atari_wrapper"), ("a.pt", False, 3.0, "another"),
            ("a.pt", False, 4.0, "sb3_atari_wrapper"), ("b.pt", False, 5.0, "sb3_atari_wrapper")]))
    score = lambda name, greedy: eval_teacher.ledger_score(str(tmp_path / name), greedy, str(ledger))
    assert (score("a.pt", False), score("a.pt", True), score("c.pt", False)) == (4.0, 2.0, None)


def test_a_ledger_row_of_an_overwritten_file_is_not_its_score(tmp_path):
    (tmp_path / "a.pt").write_bytes(b"the file now at this path")
    now = hashlib.sha256(b"the file now at this path").hexdigest()
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(f"checkpoint,greedy,mean,contract,sha256\n{tmp_path / 'a.pt'},False,7.0,sb3_atari_wrapper,{now}\n"
                      f"{tmp_path / 'a.pt'},False,9.0,sb3_atari_wrapper,{'0' * 64}\n")
    assert eval_teacher.ledger_score(str(tmp_path / "a.pt"), False, str(ledger)) == 7.0
