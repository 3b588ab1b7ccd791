"""Reward-free policy distillation (Rusu et al. 2016, arXiv 1511.06295), driven by the student: it plays, the frozen teacher
labels every state it visits, and the student minimises L = E_s[ KL( softmax(z_T(s) / T) || softmax(z_S(s)) ) ] over them
(z_T, z_S: the teacher's and student's logits). The score is only logged, never learned from. Method: docs/method.md."""

import collections
import csv
import dataclasses
import difflib
import json
import os
import pathlib
import random
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Optional

# torch's OpenMP threads busy-wait after each op by default, taking the cores the emulator's threads
# need between network calls; sleeping threads make this loop ~1.2x faster on 2 cores (docs/speed.md).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read once, when torch loads

import ale_py
import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import tyro
from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm

from eval_teacher import evaluate, ledger_score  # the closing evaluation is eval_teacher.py's: the same games, the same ledger
from policy_files import file_provenance, read_policy_file, teacher_env_id  # this project's, SB3's, RL Zoo's, CleanRL's, the Hub's

gym.register_envs(ale_py)
CHECKPOINT_FORMAT_VERSION = 1
TEACHERS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "teachers")
EVAL_SEED = 12345  # eval_teacher.py's game seeds: the closing ratio compares the games the teacher's score comes from
RETIRED_FLAGS = {"teacher_action_prob": 0.0, "anneal_curiosity": False}  # removed after commit 8f9d819; their defaults


@dataclass
class Args:
    exp_name: str = os.path.basename(__file__)[: -len(".py")]
    """the name of this experiment (part of the run name)"""
    seed: int = 1
    """seed of the experiment (torch, numpy, python and the environments)"""
    torch_deterministic: bool = True
    """if toggled, `torch.backends.cudnn.deterministic=True`"""
    cuda: bool = True
    """use CUDA when it is available"""
    env_id: Optional[str] = None
    """any Atari id gymnasium + ale-py know; the teacher must have been trained on it (default: the game an hf:
    teacher's repo name says, else MsPacmanNoFrameskip-v4)"""
    teacher: str = "best"
    """a shipped level (best, good, medium, bad), a teacher file (ppo_atari.py's .pt, an SB3 / RL Zoo zip, a CleanRL
    .cleanrl_model) or one on the Hugging Face Hub, hf:ORG/REPO[/FILE][@REVISION] (e.g. hf:sb3/ppo-QbertNoFrameskip-v4)"""
    total_timesteps: int = 1_000_000
    """total student steps over all environments (frames = 4x)"""
    learning_rate: float = 1e-3
    """learning rate of the Adam optimizer"""
    num_envs: int = 8
    """number of parallel game environments"""
    num_steps: int = 128
    """steps per environment per rollout"""
    num_minibatches: int = 4
    """number of minibatches per epoch"""
    update_epochs: int = 2
    """epochs over each rollout"""
    max_grad_norm: float = 0.5
    """global gradient-norm clip"""
    temperature: float = 0.5
    """temperature T of a policy teacher, p_T = softmax(z_T / T) (< 1 sharpens it; docs/findings.md says why 0.5)"""
    q_temperature: float = 0.01
    """temperature tau of a Q-value (DQN) teacher, p_T = softmax(Q / tau): Rusu et al. 2016's best, 0.01"""
    student_width: float = 1.0
    """scales the student's channels and hidden units (1.0: conv 16-32-32, fc 256)"""
    n_eval_episodes: int = 10
    """whole games played by the final student (compared with the teacher's score in the same mode)"""
    eval_greedy: bool = False
    """evaluate by argmax, not by sampling the distribution the student learnt (weak policies played greedily often loop forever)"""
    runs_dir: str = "runs"
    """where `runs/<run_name>/` (the student and TensorBoard events) is written"""
    resume: Optional[str] = None
    """a `last.pt` of this script to continue from (hyperparameters come from it); a finished run only reports"""
    checkpoint_minutes: float = 5.0
    """minutes of training between saves of `last.pt`: a run killed without warning loses at most this much"""


def fail(message: str) -> None:
    """Bad input ends the program with one clear line, never a traceback."""
    for bar in list(getattr(tqdm, "_instances", ())):
        bar.close()  # so that the error starts a line of its own, not the progress bar's
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def ale_settings(env_id: str) -> dict:
    """A gymnasium Atari id -> AtariVectorEnv settings (sticky actions from the id: docs/preprocessing.md)."""
    try:
        spec = gym.spec(env_id)
    except gym.error.Error:
        atari_ids = [k for k, s in gym.registry.items() if s.entry_point == "ale_py.env:AtariEnv"]
        close = difflib.get_close_matches(env_id, atari_ids, n=3, cutoff=0.6)
        hint = f"did you mean {', '.join(close)}?" if close else "e.g. BreakoutNoFrameskip-v4 or ALE/Pong-v5"
        fail(f"unknown --env-id {env_id!r}: {hint}")
    if spec.entry_point != "ale_py.env:AtariEnv" or spec.kwargs.get("obs_type", "rgb") != "rgb":
        fail(f"--env-id {env_id!r} is not an image-based Atari game; use e.g. BreakoutNoFrameskip-v4")
    return dict(game=spec.kwargs["game"], repeat_action_probability=spec.kwargs.get("repeat_action_probability", 0.25),
                max_num_frames_per_episode=spec.kwargs.get("max_num_frames_per_episode", 108_000))


class AtariWrapperVectorEnv:
    """SB3's `AtariWrapper` + `VecFrameStack`, the preprocessing SB3, RL Zoo and CleanRL teachers are trained on, played by
    ale_py's C++ emulator (one single-game env per game, all stepped in parallel), rewards unclipped. A lost life or a game
    over is `terminated` (truncated at the frame limit); the next episode's first observation comes in the same step, its
    stack zero-padded, after the steps SB3 forces (a no-op after a lost life, then FIRE and action 2 in games with FIRE),
    whose rewards count. Call reset() before the first step. Every step of it and why: docs/preprocessing.md."""

    autoreset_mode = gym.vector.AutoresetMode.SAME_STEP
    contract = "sb3_atari_wrapper"  # recorded beside every score (eval ledger, teachers.csv)

    def __init__(self, env_id: str, num_envs: int):
        settings = ale_settings(env_id)
        self.games = [
            ale_py.vector_env.AtariVectorEnv(
                num_envs=1, num_threads=1, frameskip=4, stack_num=1, img_height=84, img_width=84, grayscale=True,
                noop_max=30, use_fire_reset=False, episodic_life=False, life_loss_info=False,
                reward_clipping=False, autoreset_mode=self.autoreset_mode, **settings)
            for _ in range(num_envs)
        ]
        self.num_envs = num_envs
        self.single_action_space = self.games[0].single_action_space
        has_fire = ale_py.Action.FIRE in self.games[0].ale.get_action_set()
        self.new_game_actions = [1, 2] if has_fire else []  # FireResetEnv: FIRE (action 1), then action 2
        self.new_life_actions = [0] + self.new_game_actions  # EpisodicLifeEnv's no-op step first
        self.stack = np.zeros((num_envs, 4, 84, 84), dtype=np.uint8)
        self.lives = np.zeros(num_envs, dtype=np.int64)
        self.episode_frame_number = np.zeros(num_envs, dtype=np.int64)

    def reset(self, seed: Optional[int] = None):
        """New games (game i seeded with seed + i), each started as FireResetEnv does."""
        frames = np.zeros((self.num_envs, 84, 84), dtype=np.uint8)
        for i, game in enumerate(self.games):
            obs, info = game.reset(seed=None if seed is None else seed + i)
            frames[i], self.lives[i], self.episode_frame_number[i] = obs[0, -1], info["lives"][0], info["episode_frame_number"][0]
        forced = {i: list(self.new_game_actions) for i in range(self.num_envs) if self.new_game_actions}
        self._play(forced, frames, np.zeros(self.num_envs), np.zeros(self.num_envs, bool), np.zeros(self.num_envs, bool))
        self.stack[:] = 0
        self.stack[:, -1] = frames
        return self.stack.copy(), {"lives": self.lives.copy(), "episode_frame_number": self.episode_frame_number.copy()}

    def step(self, actions):
        frames = np.zeros((self.num_envs, 84, 84), dtype=np.uint8)
        rewards = np.zeros(self.num_envs)
        terminated, truncated = np.zeros(self.num_envs, bool), np.zeros(self.num_envs, bool)
        self._play({i: [int(a)] for i, a in enumerate(actions)}, frames, rewards, terminated, truncated)
        self.stack[:, :-1] = self.stack[:, 1:]
        self.stack[terminated | truncated, :-1] = 0  # a new episode: VecFrameStack's zero padding
        self.stack[:, -1] = frames
        info = {"lives": self.lives.copy(), "episode_frame_number": self.episode_frame_number.copy()}
        return self.stack.copy(), rewards, terminated, truncated, info

    def _play(self, pending, frames, rewards, terminated, truncated):
        """Play each game's pending actions, one 4-frame step per round, all games of a round in parallel;
        a round that ends a life or a game queues that game's forced steps."""
        while pending:
            for i, actions in pending.items():
                self.games[i].ale.send([actions.pop(0)], [1.0])
            for i in list(pending):
                obs, reward, game_over, time_limit, info = self.games[i].ale.recv()
                lives = info["lives"][0]
                life_lost = 0 < lives < self.lives[i]
                if game_over[0] or time_limit[0]:
                    pending[i] = list(self.new_game_actions)  # the emulator has reset the game already
                elif life_lost:
                    pending[i] = list(self.new_life_actions)
                frames[i], rewards[i] = obs[0, -1], rewards[i] + reward[0]
                terminated[i] |= game_over[0] or life_lost
                truncated[i] |= time_limit[0]
                self.lives[i], self.episode_frame_number[i] = lives, info["episode_frame_number"][0]
                if not pending[i]:
                    del pending[i]

    def close(self):
        for game in self.games:
            game.close()


def layer_init(layer, std=np.sqrt(2), bias_const=0.0):
    torch.nn.init.orthogonal_(layer.weight, std)
    torch.nn.init.constant_(layer.bias, bias_const)
    return layer


class PolicyCNN(nn.Module):
    """Nature-style CNN policy. The teacher is (32, 64, 64) + 512 (ppo_atari.Agent without its value
    head); the student defaults to (16, 32, 32) + 256, about a quarter of the parameters."""

    def __init__(self, num_actions: int, channels=(32, 64, 64), hidden=512):
        super().__init__()
        c1, c2, c3 = channels
        self.architecture = {"name": "nature_cnn", "channels": list(channels), "hidden": hidden}
        self.network = nn.Sequential(
            layer_init(nn.Conv2d(4, c1, 8, stride=4)), nn.ReLU(),
            layer_init(nn.Conv2d(c1, c2, 4, stride=2)), nn.ReLU(),
            layer_init(nn.Conv2d(c2, c3, 3, stride=1)), nn.ReLU(), nn.Flatten(),
            layer_init(nn.Linear(c3 * 7 * 7, hidden)), nn.ReLU(),
        )
        self.actor = layer_init(nn.Linear(hidden, num_actions), std=0.01)

    def features(self, x):
        # channels_last: oneDNN's preferred conv layout (a few % per PPO update here, docs/speed.md).
        return self.network(x.contiguous(memory_format=torch.channels_last) / 255.0)

    def forward(self, x):
        return self.actor(self.features(x))


def count_parameters(module):
    return sum(p.numel() for p in module.parameters())


def resolve_teacher(teacher: str, env_id: str, greedy: bool):
    """`--teacher` as a path, or as a level looked up in teachers/teachers.csv -> (path, score)."""
    if teacher not in ("best", "good", "medium", "bad"):
        return teacher, None
    rows = list(csv.DictReader(open(os.path.join(TEACHERS_DIR, "teachers.csv"))))
    shipped = [r for r in rows if r["env_id"] == env_id and teacher in ("best", r["level"])]  # best: of every level
    if not shipped:
        available = ", ".join(f"{r['env_id']}:{r['level']}" for r in rows) or "none"
        fail(f"no shipped {teacher!r} teacher for {env_id} (shipped: {available}); train one with "
             f"`python ppo_atari.py --env-id {env_id}` and pass --teacher runs/<run>/step_<N>.pt")
    score_column = "mean" if greedy else "sampled_mean"
    row = max(shipped, key=lambda r: float(r[score_column]))
    return os.path.join(TEACHERS_DIR, row["path"]), float(row[score_column])


def load_teacher(path: str, env_id: str, num_actions: int, q_temperature: float, device="cpu"):
    """A frozen teacher -> (network, kind, source); a file for another game is refused. A Q-value
    teacher's logits are Q / tau (its actor layer divided by tau), so p_T = softmax(Q / tau)."""
    checkpoint = read_policy_file(path)
    game = checkpoint["env_id"] or env_id  # SB3 and CleanRL files do not record their game
    if game != env_id or checkpoint["num_actions"] != num_actions:
        fail(f"teacher {path!r} plays {game} ({checkpoint['num_actions']} actions), not "
             f"{env_id} ({num_actions} actions); pass --env-id {game} or a teacher for {env_id}")
    arch = checkpoint["architecture"]
    teacher = PolicyCNN(num_actions, arch["channels"], arch["hidden"])
    state = {k: v.float() for k, v in checkpoint["state_dict"].items() if k.startswith(("network.", "actor."))}
    if checkpoint["kind"] == "q_values":
        state |= {k: v / q_temperature for k, v in state.items() if k.startswith("actor.")}
    teacher.load_state_dict(state)
    return teacher.to(device, memory_format=torch.channels_last).requires_grad_(False).eval(), checkpoint["kind"], checkpoint["source"]


def save_atomically(path, payload, save=torch.save):
    """Written aside, then renamed over `path`: a kill never leaves half a file."""
    try:
        save(payload, f"{path}.tmp")
        os.replace(f"{path}.tmp", path)
    except (OSError, RuntimeError) as e:  # a full disk: ENOSPC, or torch's zip writer's "unexpected pos"
        pathlib.Path(f"{path}.tmp").unlink(missing_ok=True)
        fail(f"could not write {path!r} ({getattr(e, 'strerror', None) or 'the write stopped short: is the disk full?'}); "
             f"{'the previous one is intact' if os.path.exists(path) else 'it was not saved'}; free some space and resume")


if __name__ == "__main__":
    args = tyro.cli(Args)
    checkpoint = None
    if args.resume:  # the run continues with the hyperparameters it was started with
        if not os.path.isfile(args.resume):
            fail(f"--resume {args.resume!r} does not exist; pass the last.pt of an earlier run of this script")
        try:
            checkpoint = torch.load(args.resume, map_location="cpu", weights_only=True)
            saved = dict(checkpoint["args"])
            retired = {name: saved.pop(name) for name in RETIRED_FLAGS if name in saved}
            args = dataclasses.replace(Args(**saved), resume=args.resume, cuda=args.cuda)
            ours = checkpoint.get("script", saved["exp_name"] + ".py") == os.path.basename(__file__) and "optimizer" in checkpoint
        except Exception:
            ours = False
        if not ours:
            fail(f"--resume {args.resume!r} is not a checkpoint of {os.path.basename(__file__)}; pass the last.pt it wrote")
        for name, value in retired.items():
            if value != RETIRED_FLAGS[name]:
                fail(f"{args.resume!r} was trained with --{name.replace('_', '-')} {value}, a retired flag; continue it with the "
                     f"last version that had it: git checkout 8f9d819 -- {os.path.basename(__file__)}")
        summary_path = os.path.join(os.path.dirname(os.path.abspath(args.resume)), "summary.json")
        batch = args.num_envs * args.num_steps
        if checkpoint["global_step"] >= max(1, args.total_timesteps // batch) * batch and os.path.exists(summary_path):
            print(json.load(open(summary_path))["line"])  # the run is complete: nothing is missing
            sys.exit(0)
    positive = ["total_timesteps", "learning_rate", "max_grad_norm", "update_epochs", "n_eval_episodes", "checkpoint_minutes",
                "temperature", "q_temperature", "student_width"]
    for name, value in vars(args).items():
        if isinstance(value, float) and not np.isfinite(value):
            fail(f"--{name.replace('_', '-')} must be a finite number, got {value}")
        if (name in positive and value <= 0) or (name == "seed" and value < 0):
            fail(f"--{name.replace('_', '-')} must be {'0 or more' if name == 'seed' else 'positive'}, got {value}")
    batch_size = args.num_envs * args.num_steps
    if args.num_envs <= 0 or args.num_steps <= 0 or args.num_minibatches <= 0 or batch_size % args.num_minibatches:
        fail(f"the batch (--num-envs {args.num_envs} x --num-steps {args.num_steps} = {batch_size}) must split "
             f"into --num-minibatches {args.num_minibatches} equal minibatches; pick a divisor of {batch_size}")
    minibatch_size = batch_size // args.num_minibatches
    num_iterations = max(1, args.total_timesteps // batch_size)
    # Memory, said up front rather than swapped for hours (ppo_atari.py's measured costs; Linux's MemAvailable only).
    need = 550e6 + args.num_envs * 1.5 * 2**20 + batch_size * 4 * 84 * 84 + minibatch_size * 310e3
    meminfo = open("/proc/meminfo").read().split() if os.path.exists("/proc/meminfo") else []
    if "MemAvailable:" in meminfo and need > int(meminfo[meminfo.index("MemAvailable:") + 1]) * 1024:
        fail(f"--num-envs {args.num_envs} x --num-steps {args.num_steps} needs about {need / 1e9:.1f} GB of memory, more than is "
             f"available; use fewer --num-envs (or --num-steps, or more --num-minibatches)")
    args.env_id = teacher_env_id(args.teacher, args.env_id) or "MsPacmanNoFrameskip-v4"
    envs = AtariWrapperVectorEnv(args.env_id, args.num_envs)  # validates --env-id first
    num_actions = int(envs.single_action_space.n)
    teacher_path, teacher_score = resolve_teacher(args.teacher, args.env_id, args.eval_greedy)

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.backends.cudnn.deterministic = args.torch_deterministic
    device = torch.device("cuda" if torch.cuda.is_available() and args.cuda else "cpu")

    teacher, teacher_kind, teacher_source = load_teacher(teacher_path, args.env_id, num_actions, args.q_temperature, device)
    # A policy teacher's distribution is softmax(z_T / T); a Q-value teacher's logits already are Q / tau.
    teacher_temperature = args.temperature if teacher_kind == "policy_logits" else 1.0
    teacher_record = {"path": teacher_path, "kind": teacher_kind, "source": teacher_source, **file_provenance(teacher_path)}  # the exact file
    teacher_score = teacher_score if teacher_score is not None else ledger_score(teacher_path, args.eval_greedy)
    width = lambda n: max(1, round(n * args.student_width))
    student = PolicyCNN(num_actions, (width(16), width(32), width(32)), width(256)).to(device, memory_format=torch.channels_last)
    optimizer = optim.Adam(student.parameters(), lr=args.learning_rate, eps=1e-5)
    student_params, teacher_params = count_parameters(student), count_parameters(teacher)
    kind = "policy logits" if teacher_kind == "policy_logits" else f"Q-values, tau {args.q_temperature}"
    print(f"teacher {teacher_path}: {teacher_params:,} parameters ({kind}, {teacher_source})")
    print(f"student: {student_params:,} parameters ({student_params / teacher_params:.0%} of the teacher)")

    run_name = checkpoint["run_name"] if checkpoint else f"{args.env_id.replace('/', '-')}__{args.exp_name}__{args.seed}__{int(time.time())}"
    run_dir = os.path.dirname(os.path.abspath(args.resume)) if checkpoint else os.path.join(args.runs_dir, run_name)
    last_pt = os.path.join(run_dir, "last.pt")
    resume_hint = f"resume with: python {Args.exp_name}.py --resume {last_pt}"
    try:  # a read-only disk: one line now, not a traceback at the first checkpoint
        os.makedirs(run_dir, exist_ok=True)
        tempfile.TemporaryFile(dir=run_dir).close()
    except OSError as e:
        fail(f"cannot write to {run_dir!r} ({e.strerror}); use a --runs-dir on a writable disk")
    global_step = checkpoint["global_step"] if checkpoint else 0
    recent_returns = collections.deque(checkpoint["recent_returns"] if checkpoint else [], maxlen=20)
    if checkpoint:
        student.load_state_dict(checkpoint["state_dict"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        torch.set_rng_state(checkpoint["torch_rng_state"])
    writer = SummaryWriter(run_dir, purge_step=global_step + 1 if checkpoint else None)
    hyperparameters = {**vars(args), **{f"teacher_{k}": v for k, v in teacher_record.items()}}
    writer.add_text("hyperparameters", "|param|value|\n|-|-|\n" + "\n".join(f"|{k}|{v}|" for k, v in hyperparameters.items()))

    def save_last():
        """last.pt, after the events up to it: the student in ppo_atari.py's format (eval_teacher.py scores it), all --resume needs."""
        global last_saved, saved_step
        writer.flush()
        save_atomically(last_pt, {
            "format_version": CHECKPOINT_FORMAT_VERSION, "script": os.path.basename(__file__), "env_id": args.env_id,
            "architecture": student.architecture, "num_actions": num_actions, "obs_shape": [4, 84, 84], "global_step": global_step,
            "mean_episodic_return": float(np.mean(recent_returns)) if recent_returns else None, "args": vars(args),
            "teacher": teacher_record, "state_dict": student.state_dict(), "optimizer": optimizer.state_dict(),
            "run_name": run_name, "recent_returns": [float(r) for r in recent_returns], "torch_rng_state": torch.get_rng_state(),
        })
        last_saved, saved_step = time.time(), global_step

    last_saved, saved_step = time.time(), global_step if checkpoint else None
    stop_requested = []  # SIGINT/SIGTERM finish the current iteration, save `last.pt` and exit cleanly
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: stop_requested.append(signum))

    # Rollout storage: uint8 observations, flat over (step, env) and channels_last (see PolicyCNN).
    obs = torch.zeros((batch_size, 4, 84, 84), dtype=torch.uint8, device=device).contiguous(memory_format=torch.channels_last)
    teacher_logits = torch.zeros((batch_size, num_actions), device=device)
    student_choices = torch.zeros(batch_size, dtype=torch.long, device=device)  # the student's argmax

    next_obs_np, info = envs.reset(seed=args.seed)
    next_obs = torch.from_numpy(next_obs_np).to(device)
    game_return = np.zeros(args.num_envs)
    last_frame_number = info["episode_frame_number"].copy()

    progress = tqdm(total=args.total_timesteps, initial=global_step, unit="step", dynamic_ncols=True)
    start_time, start_step = time.time(), global_step
    for iteration in range(global_step // batch_size + 1, num_iterations + 1):  # a resumed run goes on after its last one
        for step in range(args.num_steps):
            global_step += args.num_envs
            rows = slice(step * args.num_envs, (step + 1) * args.num_envs)
            obs[rows] = next_obs
            with torch.inference_mode():
                logits = student(next_obs)
                # Gumbel-max: argmax(z + g), g = -log(Exp(1)), is an exact sample of softmax(z), cheaper than Categorical.
                action = (logits - torch.empty_like(logits).exponential_().log()).argmax(dim=1)
                student_choices[rows] = logits.argmax(dim=1)

            # The reward is only logged, never learned from (see test_distill's reward-free test).
            next_obs_np, reward, terminations, truncations, info = envs.step(action.cpu().numpy())
            next_obs = torch.from_numpy(next_obs_np).to(device)

            game_return += reward
            for i in np.flatnonzero(info["episode_frame_number"] < last_frame_number):  # a new game: a real reset, not a lost life
                recent_returns.append(game_return[i])
                writer.add_scalar("charts/episodic_return", game_return[i], global_step)
                writer.add_scalar("charts/episodic_length", last_frame_number[i], global_step)  # frames: how far it got
                game_return[i] = 0.0
            last_frame_number = info["episode_frame_number"].copy()

        # The teacher labels the whole rollout in one gradient-free batched pass.
        with torch.inference_mode():
            for start in range(0, batch_size, minibatch_size):
                teacher_logits[start : start + minibatch_size] = teacher(obs[start : start + minibatch_size])
        teacher_probs = F.softmax(teacher_logits / teacher_temperature, dim=1)
        # Agreement on states the student has not trained on yet: honest imitation quality.
        agreement = (student_choices == teacher_logits.argmax(dim=1)).float().mean()

        for epoch in range(args.update_epochs):
            b_inds = torch.randperm(batch_size, device=device)
            for start in range(0, batch_size, minibatch_size):
                mb_inds = b_inds[start : start + minibatch_size]
                student_log_probs = F.log_softmax(student(obs[mb_inds]), dim=1)
                # KL(p_T || p_S) = sum_a p_T(a) (log p_T(a) - log p_S(a)), averaged over states.
                distill_loss = F.kl_div(student_log_probs, teacher_probs[mb_inds], reduction="batchmean")
                loss = distill_loss

                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(student.parameters(), args.max_grad_norm)
                optimizer.step()

        # Diagnostics, once per iteration (the only host syncs of the update).
        sps = int((global_step - start_step) / (time.time() - start_time))
        writer.add_scalar("losses/distill_kl", distill_loss.item(), global_step)
        writer.add_scalar("charts/teacher_agreement", agreement.item(), global_step)
        if teacher_score is not None:
            writer.add_scalar("charts/teacher_score", teacher_score, global_step)
        writer.add_scalar("charts/SPS", sps, global_step)
        progress.update(global_step - progress.n)
        progress.set_postfix(SPS=sps, ret=f"{np.mean(recent_returns):.0f}" if recent_returns else "-",
                             agree=f"{agreement.item():.2f}", kl=f"{distill_loss.item():.3f}")
        # One host sync: the last loss and every weight finite (a NaN anywhere spreads to all of them in an update or two).
        if not torch.stack([loss.detach().isfinite(), *(p.isfinite().all() for p in student.parameters())]).all().item():
            kept = f"{run_dir}/last.pt keeps step {saved_step:,}" if saved_step is not None else "no checkpoint was written"
            fail(f"training diverged at step {global_step:,} (loss {loss.item()}); {kept}, the last good one: lower --learning-rate")
        if stop_requested:
            break
        if time.time() - last_saved >= 60 * args.checkpoint_minutes:
            save_last()
    progress.close()
    envs.close()
    save_last()
    if stop_requested:
        print(f"interrupted at step {global_step}; {resume_hint}")
        sys.exit(0)

    # Final evaluation of the student, against the teacher's score (evaluated now if unknown). A stop here
    # leaves the trained student saved: --resume then plays the evaluation only.
    student_scores, _ = evaluate(student.eval(), args.env_id, args.n_eval_episodes, args.eval_greedy, EVAL_SEED, device,
                                 stop_requested=stop_requested)
    if teacher_score is None and student_scores is not None:
        teacher_scores, _ = evaluate(teacher, args.env_id, args.n_eval_episodes, args.eval_greedy, EVAL_SEED, device,
                                     stop_requested=stop_requested)
        teacher_score = None if teacher_scores is None else float(teacher_scores.mean())
    if stop_requested:
        print(f"interrupted during the closing evaluation (training is complete); {resume_hint}")
        sys.exit(0)
    writer.add_scalar("charts/eval_student_score", student_scores.mean(), global_step)
    writer.add_scalar("charts/eval_teacher_score", teacher_score, global_step)
    writer.close()
    ratio = student_scores.mean() / teacher_score if teacher_score else float("nan")
    line = (f"student {student_scores.mean():.1f} +- {student_scores.std():.1f} | teacher {teacher_score:.1f} | "
            f"student/teacher {ratio:.0%} | parameters {student_params:,}/{teacher_params:,} = "
            f"{student_params / teacher_params:.0%} | {global_step} steps | saved {last_pt}")
    # summary.json marks the run complete (benchmark/ skips it); --resume of a complete run prints `line` again.
    summary = {"line": line, "student_scores": student_scores.tolist(), "teacher_score": teacher_score, "global_step": global_step,
               "eval_seed": EVAL_SEED, "eval_greedy": args.eval_greedy, "teacher": teacher_record}
    save_atomically(os.path.join(run_dir, "summary.json"), summary, save=lambda obj, path: pathlib.Path(path).write_text(json.dumps(obj)))
    print(line)
