"""Specification of what distill_rnd.py adds: Random Network Distillation."""

import numpy as np
import torch

import distill_rnd
from conftest import run_script
from test_distill import SHORT, the_run_dir


def test_intrinsic_reward_is_larger_on_novel_observations_than_on_trained_ones():
    torch.manual_seed(0)
    rnd = distill_rnd.RNDModel()
    optimizer = torch.optim.Adam(rnd.predictor.parameters(), lr=1e-3)
    familiar = torch.randn(32, 1, 84, 84).clip(-5, 5)  # "visited states"
    novel = torch.randn(32, 1, 84, 84).clip(-5, 5) + 2.0  # states never trained on
    novelty = lambda frames: ((rnd.predict(frames) - rnd.embed(frames)) ** 2).sum(1) / 2
    for _ in range(50):
        loss = ((rnd.predict(familiar) - rnd.embed(familiar)) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        assert novelty(novel).mean() > 5 * novelty(familiar).mean()


def test_the_target_network_is_never_trained():
    rnd = distill_rnd.RNDModel()
    assert not any(p.requires_grad for p in rnd.target.parameters())
    assert all(p.requires_grad for p in rnd.predictor.parameters())


def test_running_normalisation_matches_a_hand_computation():
    rms = distill_rnd.RunningMeanStd(())
    first, second = torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([10.0, 20.0])
    rms.update(first)
    rms.update(second)
    everything = np.array([1.0, 2.0, 3.0, 4.0, 10.0, 20.0])
    # The initial pseudo-count 1e-4 at mean 0, var 1 shifts the result by ~1e-5 only.
    assert abs(rms.mean.item() - everything.mean()) < 1e-3
    assert abs(rms.var.item() - everything.var()) < 1e-2
    assert abs(rms.count - 6) < 1e-3


def test_the_intrinsic_value_head_is_not_counted_as_student_parameters(tmp_path):
    result = run_script("distill_rnd.py", "--total-timesteps", 256, *SHORT, "--runs-dir", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "student: 425,561 parameters" in result.stdout
    assert "intrinsic value head 257" in result.stdout and "RND predictor" in result.stdout


def test_curiosity_coef_zero_gives_distill_pys_student(tmp_path):
    students = {}
    for script, extra in (("distill.py", []), ("distill_rnd.py", ["--curiosity-coef", 0])):
        runs_dir = tmp_path / script
        result = run_script(script, "--total-timesteps", 512, *SHORT, *extra, "--runs-dir", runs_dir)
        assert result.returncode == 0, result.stderr
        students[script] = torch.load(the_run_dir(runs_dir) / "last.pt", weights_only=True)["state_dict"]
    plain, curious = students["distill.py"], students["distill_rnd.py"]
    assert set(curious) - set(plain) == {"critic_int.weight", "critic_int.bias"}
    # Equal to float rounding, not bit for bit: once the gradient clip engages, its global norm also
    # sums the intrinsic value head's (zero) gradients, which moves the clip factor in its last bits.
    for name, tensor in plain.items():
        torch.testing.assert_close(curious[name], tensor, rtol=0, atol=1e-6, msg=name)


def test_curiosity_changes_the_student(tmp_path):
    students = {}
    for coef in (0, 1):
        runs_dir = tmp_path / str(coef)
        assert run_script("distill_rnd.py", "--total-timesteps", 512, *SHORT, "--curiosity-coef", coef,
                          "--runs-dir", runs_dir).returncode == 0
        students[coef] = torch.load(the_run_dir(runs_dir) / "last.pt", weights_only=True)["state_dict"]
    assert not torch.equal(students[0]["actor.weight"], students[1]["actor.weight"])


def test_a_negative_curiosity_coef_is_refused(tmp_path):
    from conftest import assert_one_line_error

    assert_one_line_error(run_script("distill_rnd.py", "--curiosity-coef", -1, "--runs-dir", tmp_path), "--curiosity-coef must be >= 0")
