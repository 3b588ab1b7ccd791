"""The preprocessing contract: ale_py's native vector env against the SB3-wrapper pipeline."""

import cv2
import gymnasium as gym
import numpy as np
from stable_baselines3.common.atari_wrappers import MaxAndSkipEnv

import ppo_atari


def sb3_pipeline(env_id):
    """gymnasium env + SB3's MaxAndSkipEnv, ALE's own grayscale, INTER_AREA resize to 84x84, stack 4.
    (SB3's WarpFrame converts RGB with OpenCV's luma weights, which differ from ALE's grey palette
    by a few levels; the resize and everything else are WarpFrame's.)"""
    env = MaxAndSkipEnv(gym.make(env_id, obs_type="grayscale"), skip=4)
    env = gym.wrappers.TransformObservation(
        env, lambda f: cv2.resize(f, (84, 84), interpolation=cv2.INTER_AREA), gym.spaces.Box(0, 255, (84, 84), np.uint8))
    # Zero padding at reset, like SB3's VecFrameStack (the ALE's stack starts from zeros too).
    return gym.wrappers.FrameStackObservation(env, 4, padding_type="zero")


def test_native_observations_equal_the_sb3_wrapper_pipeline_without_noop_reset():
    # Ms. Pac-Man has no FIRE action, so neither pipeline presses it at reset.
    native = ppo_atari.make_vector_env("MsPacmanNoFrameskip-v4", num_envs=1, seed=3, noop_max=0)
    reference = sb3_pipeline("MsPacmanNoFrameskip-v4")
    native_obs, _ = native.reset(seed=3)
    reference_obs, _ = reference.reset(seed=3)
    assert np.array_equal(native_obs[0], reference_obs)
    rng = np.random.default_rng(0)
    for _ in range(60):
        action = int(rng.integers(native.single_action_space.n))
        native_obs, native_reward, *_ = native.step(np.array([action]))
        reference_obs, reference_reward, *_ = reference.step(action)
        assert np.array_equal(native_obs[0], reference_obs)
        assert native_reward[0] == reference_reward


def test_autoreset_is_same_step_so_no_step_is_a_dead_reset_step():
    envs = ppo_atari.make_vector_env("BreakoutNoFrameskip-v4", num_envs=1, seed=0)
    assert envs.autoreset_mode == gym.vector.AutoresetMode.SAME_STEP
    _, info = envs.reset(seed=0)
    frame_numbers = [info["episode_frame_number"][0]]
    while True:
        _, _, terminated, truncated, info = envs.step(np.array([1]))
        frame_numbers.append(info["episode_frame_number"][0])
        if frame_numbers[-1] < frame_numbers[-2]:  # the game ended and was reset within this step
            break
    # The very next step already plays the new game (its frame counter advances by 4 frames).
    _, _, _, _, info = envs.step(np.array([1]))
    assert info["episode_frame_number"][0] == frame_numbers[-1] + 4


def test_a_life_loss_terminates_the_episode_but_the_game_goes_on():
    envs = ppo_atari.make_vector_env("BreakoutNoFrameskip-v4", num_envs=1, seed=0)
    _, info = envs.reset(seed=0)
    lives, life_loss_terminations = [info["lives"][0]], 0
    rng = np.random.default_rng(0)
    while len(lives) < 3000:
        _, _, terminated, _, info = envs.step(np.array([int(rng.integers(4))]))
        if info["lives"][0] > lives[-1]:
            break  # a fresh game: lives went back up
        life_loss_terminations += int(terminated[0])
        lives.append(info["lives"][0])
    # Breakout has 5 lives: 4 life losses inside one game, each a `terminated` for PPO's bootstrap.
    assert life_loss_terminations == 4
    assert sorted(set(lives), reverse=True) == [5, 4, 3, 2, 1]
