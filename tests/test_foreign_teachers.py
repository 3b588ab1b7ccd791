"""Teachers made elsewhere: SB3 / RL Zoo PPO and DQN zips, CleanRL dqn_atari.py's `.cleanrl_model`.

Each is built here (no training needed: the weights only have to be someone's), saved the way its
library saves it, and must give the same action distribution through our loaders as in its library:
softmax of the logits for a policy, softmax(Q / tau) for a Q-value teacher (Rusu et al. 2016)."""

import csv
import hashlib
import importlib
import inspect

import pytest
import torch
import torch.nn as nn

import distill
import eval_teacher
import policy_files
from conftest import ImageEnv, assert_one_line_error, run_script

OBS = torch.randint(0, 256, (6, 4, 84, 84), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
SHORT_RUN = ["--env-id", "MsPacmanNoFrameskip-v4", "--total-timesteps", 128, "--num-envs", 2, "--num-steps", 32,
             "--num-minibatches", 2, "--n-eval-episodes", 1]


class CleanRLQNetwork(nn.Module):
    """CleanRL dqn_atari.py's QNetwork, layer for layer (its `.cleanrl_model` is this state_dict)."""

    def __init__(self, num_actions):
        super().__init__()
        self.network = nn.Sequential(
            nn.Conv2d(4, 32, 8, stride=4), nn.ReLU(), nn.Conv2d(32, 64, 4, stride=2), nn.ReLU(),
            nn.Conv2d(64, 64, 3, stride=1), nn.ReLU(), nn.Flatten(), nn.Linear(3136, 512), nn.ReLU(), nn.Linear(512, num_actions),
        )

    def forward(self, x):
        return self.network(x / 255.0)


@pytest.fixture(scope="module")
def sb3_ppo_zip(tmp_path_factory):
    from stable_baselines3 import PPO

    model = PPO("CnnPolicy", ImageEnv(), n_steps=16, batch_size=16, n_epochs=1, device="cpu", seed=0)
    model.learn(16)  # move the weights off their initialisation
    path = tmp_path_factory.mktemp("sb3") / "ppo_teacher.zip"
    model.save(path)
    with torch.no_grad():
        probs = model.policy.get_distribution(OBS.float()).distribution.probs
    return path, probs


@pytest.fixture(scope="module")
def sb3_dqn_zip(tmp_path_factory):
    from stable_baselines3 import DQN

    model = DQN("CnnPolicy", ImageEnv(), buffer_size=64, learning_starts=0, device="cpu", seed=0)
    path = tmp_path_factory.mktemp("sb3") / "dqn_teacher.zip"
    model.save(path)
    with torch.no_grad():
        q_values = model.q_net(OBS.float())
    return path, q_values


@pytest.fixture(scope="module")
def cleanrl_model(tmp_path_factory):
    torch.manual_seed(0)
    q_network = CleanRLQNetwork(9)
    path = tmp_path_factory.mktemp("cleanrl") / "MsPacmanNoFrameskip-v4__dqn_atari__1.cleanrl_model"
    torch.save(q_network.state_dict(), path)  # what dqn_atari.py --save-model writes
    with torch.no_grad():
        q_values = q_network(OBS)
    return path, q_values


def test_an_sb3_ppo_zip_gives_sb3s_own_action_probabilities(sb3_ppo_zip):
    path, sb3_probs = sb3_ppo_zip
    teacher, kind, source = distill.load_teacher(str(path), "MsPacmanNoFrameskip-v4", 9, q_temperature=0.01)
    with torch.no_grad():
        ours = teacher(OBS).softmax(dim=1)
    assert (kind, source) == ("policy_logits", "sb3_ppo")
    assert torch.allclose(ours, sb3_probs, atol=1e-6)


@pytest.mark.parametrize("fixture, source", [("sb3_dqn_zip", "sb3_dqn"), ("cleanrl_model", "cleanrl_dqn")])
def test_a_q_value_teacher_gives_softmax_of_q_over_tau(fixture, source, request):
    path, q_values = request.getfixturevalue(fixture)
    for tau in (0.01, 0.5):
        teacher, kind, found = distill.load_teacher(str(path), "MsPacmanNoFrameskip-v4", 9, q_temperature=tau)
        with torch.no_grad():
            ours = teacher(OBS).softmax(dim=1)
        assert (kind, found) == ("q_values", source)
        assert torch.allclose(ours, (q_values / tau).softmax(dim=1), atol=1e-5)


def test_eval_teacher_plays_a_q_value_teacher_greedily_by_its_largest_q(cleanrl_model):
    path, q_values = cleanrl_model
    policy, env_id, checkpoint = eval_teacher.load_policy(str(path), "MsPacmanNoFrameskip-v4")
    with torch.no_grad():
        assert torch.equal(policy(OBS).argmax(dim=1), q_values.argmax(dim=1))
    assert checkpoint["kind"] == "q_values" and env_id == "MsPacmanNoFrameskip-v4"


@pytest.mark.parametrize("fixture, kind, source", [
    ("sb3_ppo_zip", "policy_logits", "sb3_ppo"), ("sb3_dqn_zip", "q_values", "sb3_dqn"), ("cleanrl_model", "q_values", "cleanrl_dqn"),
])
def test_distill_learns_from_a_foreign_teacher_and_records_its_kind(fixture, kind, source, request, tmp_path):
    path, _ = request.getfixturevalue(fixture)
    result = run_script("distill.py", "--teacher", path, *SHORT_RUN, "--runs-dir", tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"({'policy logits' if kind == 'policy_logits' else 'Q-values, tau 0.01'}, {source})" in result.stdout
    (checkpoint_path,) = tmp_path.glob("*/last.pt")
    checkpoint = torch.load(checkpoint_path, weights_only=True)
    sha256 = hashlib.sha256(open(path, "rb").read()).hexdigest()  # the exact file, for provenance
    assert checkpoint["teacher"] == {"path": str(path), "kind": kind, "source": source, "sha256": sha256}
    assert checkpoint["global_step"] == 128


def test_a_foreign_file_does_not_record_its_game_so_eval_teacher_asks_for_it(sb3_dqn_zip):
    assert_one_line_error(run_script("eval_teacher.py", sb3_dqn_zip[0]), "(sb3_dqn) does not record its game; pass --env-id")


def test_a_checkpoint_is_refused_on_another_game_with_the_same_actions_and_the_ledger_is_kept(tmp_path):
    # Qbert and Pong both have 6 actions: the action count alone would let this through.
    ledger = tmp_path / "ledger.csv"
    result = run_script("eval_teacher.py", "teachers/QbertNoFrameskip-v4/bad.pt", "--env-id", "PongNoFrameskip-v4", "--ledger", ledger)
    assert_one_line_error(result, "was trained on QbertNoFrameskip-v4, not PongNoFrameskip-v4")
    assert not ledger.exists()


def test_a_directory_as_teacher_is_named_a_directory(tmp_path):
    assert_one_line_error(run_script("distill.py", "--teacher", tmp_path, "--runs-dir", tmp_path / "runs"), "is a directory")


def test_a_zip_that_is_not_a_nature_cnn_policy_is_refused(tmp_path):
    from stable_baselines3 import PPO

    PPO("MlpPolicy", "CartPole-v1", n_steps=16, batch_size=16, device="cpu").save(tmp_path / "mlp.zip")
    result = run_script("distill.py", "--teacher", tmp_path / "mlp.zip", "--runs-dir", tmp_path / "runs")
    assert_one_line_error(result, "nor a Nature-CNN policy of SB3 (PPO, A2C, DQN) or CleanRL")


def test_an_old_ledger_gains_the_new_columns_and_keeps_its_rows(tiny_teacher, tmp_path):
    ledger = tmp_path / "ledger.csv"
    ledger.write_text("checkpoint,env_id,steps,mean,std,episodes,greedy,date\nold.pt,X,1,2,3,4,True,2026-01-01\n")
    result = run_script("eval_teacher.py", tiny_teacher, "--n-eval-episodes", 1, "--ledger", ledger)
    assert result.returncode == 0, result.stderr
    old, new = list(csv.DictReader(open(ledger)))
    assert (old["checkpoint"], old["mean"], old["contract"]) == ("old.pt", "2", "")
    assert (new["contract"], new["frame_limit"], new["games_cut"]) == ("sb3_atari_wrapper", "108000", "0")


def test_games_cut_by_max_frames_are_counted_and_said(tiny_teacher, tmp_path):
    ledger = tmp_path / "ledger.csv"
    result = run_script("eval_teacher.py", tiny_teacher, "--n-eval-episodes", 2, "--max-frames", 400, "--ledger", ledger)
    assert result.returncode == 0, result.stderr
    assert "(2 cut short by the 400-frame limit, scored as they stood)" in result.stdout
    (row,) = csv.DictReader(open(ledger))
    assert (row["frame_limit"], row["games_cut"]) == ("400", "2")


def test_a_game_without_events_is_reported_and_its_score_kept(monkeypatch, capsys):
    policy = eval_teacher.PolicyCNN(9)
    play = lambda: eval_teacher.evaluate(policy, "MsPacmanNoFrameskip-v4", 2, greedy=True, seed=0, device="cpu", max_frames=4000)[0]
    quiet_scores = play()
    monkeypatch.setattr(eval_teacher, "STUCK_FRAMES", 40)  # any 10 steps without a reward or a lost life
    scores = play()
    assert "without a reward or a lost life; it plays on to the 4,000-frame limit" in capsys.readouterr().err
    assert (scores == quiet_scores).all()


@pytest.mark.parametrize("script", ["distill", "distill_rnd", "distill_rnd_uncertainty", "eval_teacher"])
def test_every_script_reads_policy_files_through_the_one_module_that_knows_their_formats(script):
    module = importlib.import_module(script)
    assert module.read_policy_file is policy_files.read_policy_file
    assert not hasattr(module, "FOREIGN_KEY_MAPS")


@pytest.mark.parametrize("script", ["distill_rnd", "distill_rnd_uncertainty"])
def test_every_distill_script_builds_its_teacher_the_same_way(script):
    assert inspect.getsource(importlib.import_module(script).load_teacher) == inspect.getsource(distill.load_teacher)
