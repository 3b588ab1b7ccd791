"""The preprocessing contract: SB3's AtariWrapper + VecFrameStack, frame for frame, on ale_py's emulator.

Every script of the project plays through `AtariWrapperVectorEnv` (a copy in each script: the four training scripts'
identical, eval_teacher.py's with a colour twin for videos and a frame limit), so a teacher trained by SB3, RL
Zoo or CleanRL sees here exactly the observations it was trained on, including the steps after a lost life that no
agent chooses (a no-op, then FIRE and action 2)."""

import importlib
import inspect

import ale_py
import cv2
import gymnasium as gym
import numpy as np
import pytest
import stable_baselines3.common.atari_wrappers as sb3_atari
from stable_baselines3.common.vec_env import DummyVecEnv, VecFrameStack

import distill
import eval_teacher
import ppo_atari


class ResizeOnly(gym.ObservationWrapper):
    """SB3's WarpFrame without its colour conversion, for a game already played in ALE grey."""

    def __init__(self, env, width=84, height=84):
        super().__init__(env)
        self.observation_space = gym.spaces.Box(0, 255, (height, width, 1), np.uint8)

    def observation(self, frame):
        return cv2.resize(frame, (84, 84), interpolation=cv2.INTER_AREA)[:, :, None]


def sb3_pipeline(env_id, monkeypatch=None):
    """SB3's own AtariWrapper (no-op reset off, rewards unclipped) in a DummyVecEnv + VecFrameStack(4).

    Grey: SB3 max-pools the last two RGB frames of a step, then converts with OpenCV's luma; the ALE
    max-pools two frames already converted by its grey palette. Wherever the two pooled frames agree,
    the two greys agreed exactly in every frame compared; they differ only where the pooled frames differ in colour:
    measured over 1,500 random steps, 0.5% of Ms. Pac-Man's pixels (up to 38 levels), 0.08% of
    BeamRider's, 0.01% of Qbert's, none of Breakout's. With `monkeypatch`, the pipeline plays in ALE
    grey and WarpFrame only resizes: then the two agree exactly."""

    def make():
        if monkeypatch is None:
            return sb3_atari.AtariWrapper(gym.make(env_id), noop_max=0, clip_reward=False)
        with monkeypatch.context() as patch:
            patch.setattr(sb3_atari, "WarpFrame", ResizeOnly)
            return sb3_atari.AtariWrapper(gym.make(env_id, obs_type="grayscale"), noop_max=0, clip_reward=False)

    return VecFrameStack(DummyVecEnv([make]), n_stack=4)


def play_both(env_id, steps, monkeypatch=None, actions=None):
    """The same random actions in both pipelines -> per step (ours, SB3's) observations, rewards, episode ends."""
    ours = eval_teacher.AtariWrapperVectorEnv(env_id, num_envs=1, noop_max=0)
    theirs = sb3_pipeline(env_id, monkeypatch)
    theirs.seed(0)
    our_obs, info = ours.reset(seed=0)
    their_obs = theirs.reset()
    rng = np.random.default_rng(0)
    record = [(our_obs[0], their_obs[0].transpose(2, 0, 1), 0.0, 0.0, False, False, info["lives"][0])]
    for _ in range(steps):
        action = int(rng.choice(actions or ours.single_action_space.n))
        our_obs, our_reward, terminated, truncated, info = ours.step(np.array([action]))
        their_obs, their_reward, their_done, _ = theirs.step(np.array([action]))
        record.append((our_obs[0], their_obs[0].transpose(2, 0, 1), our_reward[0], their_reward[0],
                       bool(terminated[0] or truncated[0]), bool(their_done[0]), info["lives"][0]))
    return record


def test_breakout_equals_sb3s_atari_wrapper_through_lost_lives_and_a_game_over(monkeypatch):
    record = play_both("BreakoutNoFrameskip-v4", 1200, monkeypatch)
    for t, (our_obs, their_obs, our_reward, their_reward, our_end, their_end, _) in enumerate(record):
        assert np.array_equal(our_obs, their_obs), f"observations differ at step {t}"
        assert (our_reward, our_end) == (their_reward, their_end), f"step {t}"
    lives = [r[-1] for r in record]
    lost_lives = sum(1 for a, b in zip(lives, lives[1:]) if 0 < b < a)
    games_over = sum(1 for a, b in zip(lives, lives[1:]) if b > a)
    assert lost_lives >= 2 and games_over >= 1, (lost_lives, games_over)


def test_sb3s_rgb_pipeline_differs_only_in_the_grey_of_pooled_pixels():
    record = play_both("MsPacmanNoFrameskip-v4", 600)
    assert all(r[2] == r[3] and r[4] == r[5] for r in record), "rewards and episode ends must agree"
    differing = np.mean([np.mean(r[0] != r[1]) for r in record])
    assert differing < 0.01, f"{differing:.2%} of pixels differ"


def test_a_policy_that_never_presses_fire_still_serves_after_each_lost_life():
    # Breakout's actions: NOOP, FIRE, RIGHT, LEFT. Without FIRE after a lost life the ball would never
    # come back and the game would idle to the 108,000-frame limit: SB3-trained teachers never learned it.
    envs = ppo_atari.AtariWrapperVectorEnv("BreakoutNoFrameskip-v4", num_envs=1)
    _, info = envs.reset(seed=0)
    rng = np.random.default_rng(1)
    for _ in range(5000):
        frame_number = info["episode_frame_number"][0]
        _, _, terminated, truncated, info = envs.step(np.array([int(rng.choice([0, 2, 3]))]))
        if info["episode_frame_number"][0] < frame_number:
            break  # a new game: all five lives were lost
    else:
        pytest.fail("five lives were not lost in 5,000 steps: the ball was not served")
    assert terminated[0] and not truncated[0]


def test_a_new_episode_starts_from_a_zero_padded_stack():
    envs = ppo_atari.AtariWrapperVectorEnv("BreakoutNoFrameskip-v4", num_envs=2)
    obs, _ = envs.reset(seed=0)
    assert not obs[:, :3].any() and obs[:, 3].any()
    rng = np.random.default_rng(0)
    while True:
        obs, _, terminated, _, _ = envs.step(rng.integers(4, size=2))
        if terminated.any():
            break
    ended = np.flatnonzero(terminated)
    assert not obs[ended, :3].any() and obs[ended, 3].any()


def test_autoreset_is_same_step_so_no_step_is_a_dead_reset_step():
    envs = ppo_atari.AtariWrapperVectorEnv("BreakoutNoFrameskip-v4", num_envs=1)
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
    envs = ppo_atari.AtariWrapperVectorEnv("BreakoutNoFrameskip-v4", num_envs=1)
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


@pytest.mark.parametrize("script", ["ppo_atari", "distill_rnd", "distill_rnd_uncertainty"])
def test_the_training_scripts_carry_the_same_env(script):
    module = importlib.import_module(script)
    assert inspect.getsource(module.AtariWrapperVectorEnv) == inspect.getsource(distill.AtariWrapperVectorEnv)


@pytest.mark.parametrize("module", [distill, eval_teacher], ids=["training_scripts", "eval_teacher"])
def test_each_game_is_reset_once_by_reset_and_never_by_the_constructor(module, monkeypatch):
    calls, original = [], ale_py.vector_env.AtariVectorEnv.reset
    monkeypatch.setattr(ale_py.vector_env.AtariVectorEnv, "reset", lambda self, **kwargs: calls.append(kwargs) or original(self, **kwargs))
    envs = module.AtariWrapperVectorEnv("BreakoutNoFrameskip-v4", 2)
    assert calls == []
    envs.reset(seed=5)
    assert calls == [{"seed": 5}, {"seed": 6}]
    envs.close()


def same(ours, theirs):
    """Equal arrays, or dicts of equal arrays (a step's infos)."""
    if isinstance(ours, dict):
        return ours.keys() == theirs.keys() and all(np.array_equal(ours[k], theirs[k]) for k in ours)
    return np.array_equal(ours, theirs)


def test_the_training_scripts_env_plays_exactly_as_eval_teacher_pys():
    # Breakout has FIRE, so its lost lives and game overs bring forced steps; random play loses a life every ~25 steps.
    ours, full = distill.AtariWrapperVectorEnv("BreakoutNoFrameskip-v4", 2), eval_teacher.AtariWrapperVectorEnv("BreakoutNoFrameskip-v4", 2)
    first = ours.reset(seed=3)
    assert all(map(same, first, full.reset(seed=3)))
    rng, lives, lost_lives, games_over = np.random.default_rng(0), first[1]["lives"], 0, 0
    for t in range(300):
        actions = rng.integers(4, size=2)
        step = ours.step(actions)
        assert all(map(same, step, full.step(actions))), f"step {t}"  # obs, rewards, terminated, truncated, infos
        lost_lives += int(((0 < step[4]["lives"]) & (step[4]["lives"] < lives)).sum())
        games_over += int((step[4]["lives"] > lives).sum())
        lives = step[4]["lives"]
    assert lost_lives >= 4 and games_over >= 1, (lost_lives, games_over)


def test_the_colour_twin_plays_the_same_game_as_game_0():
    envs = eval_teacher.AtariWrapperVectorEnv("BreakoutNoFrameskip-v4", num_envs=2, colour_video=True)
    envs.reset(seed=7)
    rng = np.random.default_rng(0)
    for _ in range(300):  # through lost lives: the twin takes the forced steps too
        obs, *_ = envs.step(rng.integers(4, size=2))
        grey = cv2.resize(cv2.cvtColor(envs.colour_frames[-1], cv2.COLOR_RGB2GRAY), (84, 84), interpolation=cv2.INTER_AREA)
        assert np.array_equal(grey, obs[0, -1])
