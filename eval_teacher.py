"""Score Atari policies over whole games and keep a CSV ledger of the results.

Takes checkpoints of this project (ppo_atari.py teachers, distill*.py students) and
stable-baselines3 / RL-Zoo PPO `CnnPolicy` .zip files (the seed project's teachers), as paths,
directories or globs. Each is played for `--n-eval-episodes` whole games (all lives) on the
same preprocessing as training (ppo_atari.make_vector_env's contract, rewards unclipped), greedy
by default. A table sorted by score is printed and one row per checkpoint is appended to the
ledger, which the distill scripts read as the teacher's reference score.

SB3 zips are read without SB3 or cloudpickle: the zip's `policy.pth` is a plain state_dict,
loaded with `weights_only=True` and renamed onto the same Nature CNN, so no file can run code.
"""

import csv
import datetime
import difflib
import glob
import io
import os
import sys
import zipfile
from dataclasses import dataclass
from typing import Optional

# Sleeping (not spinning) OpenMP threads leave the cores to the emulator between network calls.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read once, when torch loads

import ale_py
import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import tyro

gym.register_envs(ale_py)
CHECKPOINT_FORMAT_VERSION = 1
# SB3's ActorCriticCnnPolicy state_dict names -> ours (features_extractor = NatureCNN).
SB3_KEY_MAP = {
    "features_extractor.cnn.0.": "network.0.",
    "features_extractor.cnn.2.": "network.2.",
    "features_extractor.cnn.4.": "network.4.",
    "features_extractor.linear.0.": "network.7.",
    "action_net.": "actor.",
}


@dataclass
class Args:
    checkpoints: tyro.conf.Positional[tuple[str, ...]]
    """checkpoint files (.pt of this project, SB3 .zip), directories of them, or globs"""
    env_id: Optional[str] = None
    """game to play; defaults to each checkpoint's own (required for SB3 zips, which do not record it)"""
    n_eval_episodes: int = 10
    """whole games per checkpoint"""
    greedy: bool = True
    """act by argmax; `--no-greedy` samples from the policy"""
    seed: int = 12345
    """seed of the evaluation games (kept apart from training seeds)"""
    ledger: str = "runs/eval_ledger.csv"
    """CSV file the results are appended to (created with a header if absent)"""
    cuda: bool = True
    """use CUDA when it is available"""


def fail(message: str) -> None:
    """Bad input ends the program with one clear line, never a traceback."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def ale_settings(env_id: str) -> dict:
    """A gymnasium Atari id -> AtariVectorEnv settings (see ppo_atari.py)."""
    try:
        spec = gym.spec(env_id)
    except gym.error.Error:
        atari_ids = [k for k, s in gym.registry.items() if s.entry_point == "ale_py.env:AtariEnv"]
        close = difflib.get_close_matches(env_id, atari_ids, n=3, cutoff=0.6)
        hint = f"did you mean {', '.join(close)}?" if close else "e.g. BreakoutNoFrameskip-v4 or ALE/Pong-v5"
        fail(f"unknown --env-id {env_id!r}: {hint}")
    if spec.entry_point != "ale_py.env:AtariEnv" or spec.kwargs.get("obs_type", "rgb") != "rgb":
        fail(f"--env-id {env_id!r} is not an image-based Atari game; use e.g. BreakoutNoFrameskip-v4")
    return dict(
        game=spec.kwargs["game"],
        repeat_action_probability=spec.kwargs.get("repeat_action_probability", 0.25),
        max_num_frames_per_episode=spec.kwargs.get("max_num_frames_per_episode", 108_000),
    )


def make_vector_env(env_id: str, num_envs: int, seed: int):
    """The project's preprocessing contract (ppo_atari.py), rewards unclipped."""
    envs = ale_py.vector_env.AtariVectorEnv(
        num_envs=num_envs, frameskip=4, stack_num=4, img_height=84, img_width=84, grayscale=True,
        noop_max=30, use_fire_reset=True, episodic_life=False, life_loss_info=True, reward_clipping=False,
        autoreset_mode=gym.vector.AutoresetMode.SAME_STEP, **ale_settings(env_id),
    )
    envs.reset(seed=seed)
    return envs


class PolicyCNN(nn.Module):
    """The policy part of any Nature-style CNN of this project: teacher (32-64-64, 512) or
    student (16-32-32, 256 at width 1). Layer names match ppo_atari.Agent and the students."""

    def __init__(self, num_actions: int, channels=(32, 64, 64), hidden=512):
        super().__init__()
        c1, c2, c3 = channels
        self.network = nn.Sequential(
            nn.Conv2d(4, c1, 8, stride=4), nn.ReLU(),
            nn.Conv2d(c1, c2, 4, stride=2), nn.ReLU(),
            nn.Conv2d(c2, c3, 3, stride=1), nn.ReLU(),
            nn.Flatten(), nn.Linear(c3 * 7 * 7, hidden), nn.ReLU(),
        )
        self.actor = nn.Linear(hidden, num_actions)

    def forward(self, x):
        return self.actor(self.network(x / 255.0))


def read_checkpoint_file(path: str) -> dict:
    """Either kind of file -> {"state_dict", "num_actions", "obs_shape", "architecture", "env_id", "global_step"}."""
    if not os.path.isfile(path):
        fail(f"checkpoint {path!r} does not exist; pass a .pt file of ppo_atari.py/distill*.py or an SB3 .zip")
    try:
        if zipfile.is_zipfile(path) and "policy.pth" in zipfile.ZipFile(path).namelist():
            with zipfile.ZipFile(path) as archive:
                sb3_state = torch.load(io.BytesIO(archive.read("policy.pth")), map_location="cpu", weights_only=True)
            state_dict = {}
            for key, value in sb3_state.items():
                for sb3_prefix, our_prefix in SB3_KEY_MAP.items():
                    if key.startswith(sb3_prefix):
                        state_dict[our_prefix + key[len(sb3_prefix):]] = value
            if "actor.weight" not in state_dict or "network.7.weight" not in state_dict:
                fail(f"{path!r} is an SB3 zip but not a PPO CnnPolicy (Nature CNN); only those can be loaded")
            return {"state_dict": state_dict, "num_actions": state_dict["actor.weight"].shape[0],
                    "obs_shape": [state_dict["network.0.weight"].shape[1], 84, 84], "env_id": None, "global_step": None,
                    "architecture": {"name": "nature_cnn", "channels": [32, 64, 64], "hidden": 512}}
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except SystemExit:
        raise
    except Exception as e:  # truncated zip, foreign pickle, code-executing pickle (refused)
        reason = "it holds objects that could run code, refused" if "weights_only" in str(e) else "it is truncated or not a torch file"
        fail(f"{path!r} is not a readable checkpoint ({reason}); re-save it with ppo_atari.py")
    if not isinstance(checkpoint, dict) or checkpoint.get("format_version") != CHECKPOINT_FORMAT_VERSION:
        fail(f"{path!r} is not a curious-distill checkpoint (format {CHECKPOINT_FORMAT_VERSION}); use one written by ppo_atari.py")
    return checkpoint


def load_policy(path: str, env_id: Optional[str]):
    """Rebuild a checkpoint's policy for `env_id` (default: its own), refusing mismatches."""
    checkpoint = read_checkpoint_file(path)
    env_id = env_id or checkpoint["env_id"]
    if env_id is None:
        fail(f"{path!r} is an SB3 zip, which does not record its game; pass --env-id")
    num_actions = make_vector_env(env_id, 1, 0).single_action_space.n
    if checkpoint["num_actions"] != num_actions:
        fail(f"{path!r} has {checkpoint['num_actions']} actions but {env_id} has {num_actions}; pass the --env-id it was trained on")
    if list(checkpoint["obs_shape"]) != [4, 84, 84]:
        fail(f"{path!r} expects observations of shape {checkpoint['obs_shape']}, not [4, 84, 84]; it was trained on other preprocessing")
    arch = checkpoint["architecture"]
    policy = PolicyCNN(num_actions, arch["channels"], arch["hidden"])
    policy.load_state_dict({k: v.float() for k, v in checkpoint["state_dict"].items() if k.startswith(("network.", "actor."))})
    return policy.eval(), env_id, checkpoint


def evaluate(policy, env_id, n_episodes, greedy, seed, device):
    """Play `n_episodes` whole games, one per environment (taking the first games to finish
    would favour short games), and return their unclipped scores."""
    envs = make_vector_env(env_id, n_episodes, seed)
    obs, info = envs.reset(seed=seed)
    scores, finished = np.zeros(n_episodes), np.zeros(n_episodes, dtype=bool)
    last_frame_number = info["episode_frame_number"].copy()
    generator = torch.Generator(device=device).manual_seed(seed)
    while not finished.all():
        with torch.inference_mode():
            logits = policy(torch.from_numpy(obs).to(device))
            if greedy:
                action = logits.argmax(dim=1)
            else:
                action = torch.multinomial(logits.softmax(dim=1), 1, generator=generator).squeeze(1)
        obs, reward, _, _, info = envs.step(action.cpu().numpy())
        scores += np.where(finished, 0.0, reward)
        # A real reset (game over or time limit) restarts the ALE's episode frame counter.
        finished |= info["episode_frame_number"] < last_frame_number
        last_frame_number = info["episode_frame_number"].copy()
    envs.close()
    return scores


def play_frames(policy, env_id, num_envs=8, steps=64, seed=0):
    """Observations from the policy's own (sampled) play: the states where its decisions matter."""
    envs = make_vector_env(env_id, num_envs, seed)
    obs, _ = envs.reset(seed=seed)
    frames = []
    for _ in range(steps):
        with torch.no_grad():
            action = torch.distributions.Categorical(logits=policy(torch.from_numpy(obs))).sample()
        obs, *_ = envs.step(action.numpy())
        frames.append(torch.from_numpy(obs))
    envs.close()
    return torch.cat(frames)


def expand_paths(patterns):
    paths = []
    for pattern in patterns:
        if os.path.isdir(pattern):
            paths += sorted(glob.glob(os.path.join(pattern, "*.pt")) + glob.glob(os.path.join(pattern, "*.zip")))
        elif any(ch in pattern for ch in "*?["):
            matches = sorted(glob.glob(pattern))
            if not matches:
                fail(f"no checkpoint matches {pattern!r}; check the pattern (quote it so the shell does not expand it)")
            paths += matches
        else:
            paths.append(pattern)
    if not paths:
        fail(f"no .pt or .zip checkpoints found in {', '.join(patterns)}")
    return paths


LEDGER_FIELDS = ["checkpoint", "env_id", "steps", "mean", "std", "episodes", "greedy", "date"]


def append_to_ledger(ledger_path, rows):
    """Append-only: earlier rows are never rewritten, so an interrupted run loses nothing."""
    os.makedirs(os.path.dirname(ledger_path) or ".", exist_ok=True)
    new_file = not os.path.exists(ledger_path)
    with open(ledger_path, "a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=LEDGER_FIELDS)
        if new_file:
            writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    args = tyro.cli(Args)
    if args.n_eval_episodes <= 0:
        fail(f"--n-eval-episodes must be positive, got {args.n_eval_episodes}")
    device = torch.device("cuda" if torch.cuda.is_available() and args.cuda else "cpu")
    paths = expand_paths(args.checkpoints)
    policies = [load_policy(path, args.env_id) for path in paths]  # all inputs checked before any game
    rows = []
    for path, (policy, env_id, checkpoint) in zip(paths, policies):
        scores = evaluate(policy.to(device), env_id, args.n_eval_episodes, args.greedy, args.seed, device)
        rows.append({"checkpoint": path, "env_id": env_id, "steps": checkpoint.get("global_step"),
                     "mean": round(float(scores.mean()), 2), "std": round(float(scores.std()), 2),
                     "episodes": args.n_eval_episodes, "greedy": args.greedy,
                     "date": datetime.date.today().isoformat()})
        print(f"{path}: {scores.mean():.1f} +- {scores.std():.1f} over {args.n_eval_episodes} games", flush=True)
        append_to_ledger(args.ledger, rows[-1:])
    print(f"\n{'score':>10} {'std':>9} {'steps':>10}  {'env_id':<28} checkpoint")
    for row in sorted(rows, key=lambda r: -r["mean"]):
        print(f"{row['mean']:>10.1f} {row['std']:>9.1f} {str(row['steps']):>10}  {row['env_id']:<28} {row['checkpoint']}")
    print(f"appended {len(rows)} row(s) to {args.ledger}")
