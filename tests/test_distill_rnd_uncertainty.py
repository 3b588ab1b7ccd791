"""Specification of what distill_rnd_uncertainty.py adds: teacher uncertainty under augmentation."""

import pytest
import torch

import distill_rnd_uncertainty as unc
import eval_teacher
from test_distill import SHIPPED_TEACHER


@pytest.fixture(scope="module")
def teacher():
    return unc.load_teacher(SHIPPED_TEACHER, "MsPacmanNoFrameskip-v4", 9, q_temperature=0.01)[0]


@pytest.fixture(scope="module")
def game_frames(teacher):
    """Real Ms. Pac-Man states, visited by the teacher itself."""
    return eval_teacher.play_frames(teacher, "MsPacmanNoFrameskip-v4", steps=40)


def test_augmentation_keeps_shape_dtype_and_value_range(game_frames):
    augmented = unc.augment(game_frames, torch.Generator().manual_seed(0))
    assert augmented.shape == game_frames.shape and augmented.dtype == torch.uint8
    assert augmented.min() >= 0 and augmented.max() <= 255
    assert not torch.equal(augmented, game_frames)


def test_augmentation_applies_the_same_shift_to_every_frame_of_a_stack():
    frame = torch.randint(0, 256, (1, 1, 84, 84), dtype=torch.uint8)
    stack = frame.repeat(3, 4, 1, 1)  # 3 stacks of 4 identical frames
    augmented = unc.augment(stack, torch.Generator().manual_seed(1), brightness=0.0)
    for frames in augmented:
        assert all(torch.equal(frames[0], frames[k]) for k in range(1, 4))
    # ...and it is a shift: the shifted interior is a crop of the original frame.
    out = augmented[0, 0].int()
    matches = [(dy, dx) for dy in range(-4, 5) for dx in range(-4, 5)
               if torch.equal(out[8:76, 8:76], frame[0, 0, 8 + dy : 76 + dy, 8 + dx : 76 + dx].int())]
    assert len(matches) == 1


def test_uncertainty_is_zero_when_the_views_are_identical(teacher, game_frames, monkeypatch):
    monkeypatch.setattr(unc, "augment", lambda obs, generator: obs)
    u, _ = unc.teacher_uncertainty(teacher, game_frames[:32], 2, torch.Generator())
    assert torch.allclose(u, torch.zeros_like(u), atol=1e-6)


def test_uncertainty_is_zero_for_a_teacher_that_ignores_its_input(game_frames):
    blind = unc.PolicyCNN(9)
    torch.nn.init.zeros_(blind.actor.weight)
    torch.nn.init.normal_(blind.actor.bias)
    u, _ = unc.teacher_uncertainty(blind, game_frames[:32], 2, torch.Generator().manual_seed(0))
    assert torch.allclose(u, torch.zeros_like(u), atol=1e-6)


def test_uncertainty_is_larger_where_a_shift_changes_the_teachers_action(teacher, game_frames):
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        u, logits = unc.teacher_uncertainty(teacher, game_frames, 1, generator)
        shifted = teacher(unc.augment(game_frames, torch.Generator().manual_seed(0)))
    changed = logits.argmax(1) != shifted.argmax(1)
    assert 0 < changed.sum() < len(changed)
    assert u[changed].mean() > 2 * u[~changed].mean()


def test_zero_augmentations_are_refused(tmp_path):
    from conftest import assert_one_line_error, run_script

    result = run_script("distill_rnd_uncertainty.py", "--num-augmentations", 0, "--runs-dir", tmp_path)
    assert_one_line_error(result, "--num-augmentations must be positive")


def test_distill_kl_is_logged_unweighted_as_the_other_scripts_log_it_beside_the_weighted_loss(tmp_path):
    from conftest import run_script
    from test_distill import SHORT, scalars, the_run_dir

    result = run_script("distill_rnd_uncertainty.py", "--total-timesteps", 512, *SHORT, "--runs-dir", tmp_path)
    assert result.returncode == 0, result.stderr
    kl, weighted = (scalars(the_run_dir(tmp_path), tag) for tag in ("losses/distill_kl", "losses/weighted_distill_kl"))
    assert len(kl) == len(weighted) == 2  # one of each per iteration
    # Each state's KL is weighed by 1 - 0.5 u_n(s) <= 1: the weighted loss is the smaller, the plain KL the one to compare.
    assert all(w < k for w, k in zip(weighted, kl))
