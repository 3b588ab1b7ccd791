"""A foreign teacher to try the project on: SB3 PPO with RL Zoo's Atari hyperparameters.

    python benchmark/sb3_teacher.py train --env-id BreakoutNoFrameskip-v4 --total-timesteps 500000 --out runs/sb3
    python benchmark/sb3_teacher.py score runs/sb3/BreakoutNoFrameskip-v4_500000_steps.zip --env-id BreakoutNoFrameskip-v4

`train` is RL Zoo's `atari` recipe for PPO (8 envs x 128 steps, 4 epochs, minibatch 256, linear
learning rate 2.5e-4 and clip 0.1, entropy 0.01, frame stack 4) on SB3's own `make_atari_env`,
i.e. with `AtariWrapper`: it presses FIRE after every lost life, so the teacher never learns to.
It saves a zip at every `--save-every` steps. `score` plays a zip with SB3's own `evaluate_policy`
(whole games, as SB3's Monitor counts them), the reference that `eval_teacher.py` must agree with.
"""

import os
import sys
from dataclasses import dataclass
from typing import Literal

import tyro


@dataclass
class Args:
    mode: tyro.conf.Positional[Literal["train", "score"]]
    """train a teacher, or score a zip with SB3's evaluate_policy"""
    zip_path: tyro.conf.Positional[str] = ""
    """(score) the SB3 zip to score"""
    env_id: str = "BreakoutNoFrameskip-v4"
    """a `*NoFrameskip-v4` Atari game"""
    total_timesteps: int = 500_000
    """(train) agent steps over all environments"""
    save_every: int = 100_000
    """(train) a zip every this many steps"""
    out: str = "runs/sb3"
    """(train) where the zips go"""
    n_eval_episodes: int = 10
    """(score) whole games"""
    greedy: bool = True
    """(score) argmax actions (SB3's `deterministic=True`); `--no-greedy` samples"""
    seed: int = 1
    """seed of training or of the scored games"""


if __name__ == "__main__":
    args = tyro.cli(Args)
    import ale_py
    import gymnasium as gym
    import numpy as np
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import CheckpointCallback
    from stable_baselines3.common.env_util import make_atari_env
    from stable_baselines3.common.evaluation import evaluate_policy
    from stable_baselines3.common.vec_env import VecFrameStack

    gym.register_envs(ale_py)
    if args.mode == "score":
        if not os.path.isfile(args.zip_path):
            sys.exit(f"error: {args.zip_path!r} does not exist; pass an SB3 zip")
        # n_envs=1: evaluate_policy then plays games one after the other, never favouring short ones.
        env = VecFrameStack(make_atari_env(args.env_id, n_envs=1, seed=args.seed), n_stack=4)
        model = PPO.load(args.zip_path, device="cpu")
        scores, lengths = evaluate_policy(model, env, n_eval_episodes=args.n_eval_episodes,
                                          deterministic=args.greedy, return_episode_rewards=True)
        print(f"{args.zip_path}: SB3 evaluate_policy {np.mean(scores):.1f} +- {np.std(scores):.1f} over "
              f"{len(scores)} games ({'greedy' if args.greedy else 'sampled'}), mean length {np.mean(lengths):.0f} steps")
    else:
        os.makedirs(args.out, exist_ok=True)
        env = VecFrameStack(make_atari_env(args.env_id, n_envs=8, seed=args.seed), n_stack=4)
        linear = lambda start: (lambda progress_remaining: progress_remaining * start)  # noqa: E731
        model = PPO("CnnPolicy", env, n_steps=128, n_epochs=4, batch_size=256, learning_rate=linear(2.5e-4),
                    clip_range=linear(0.1), vf_coef=0.5, ent_coef=0.01, seed=args.seed, device="cpu", verbose=0)
        name = args.env_id.replace("/", "-")
        checkpoints = CheckpointCallback(save_freq=max(1, args.save_every // 8), save_path=args.out, name_prefix=name)
        model.learn(total_timesteps=args.total_timesteps, callback=checkpoints, progress_bar=False)
        model.save(os.path.join(args.out, f"{name}_{args.total_timesteps}_steps.zip"))
        print(f"saved {os.path.join(args.out, f'{name}_{args.total_timesteps}_steps.zip')}")
