"""PPO teacher for Atari (Schulman et al. 2017, arXiv 1707.06347): CleanRL's ppo_atari.py, writing the checkpoints distill*.py read.

Its environment is explained in docs/preprocessing.md; its checkpoints, --resume and shipping in docs/teachers.md."""

import collections
import dataclasses
import difflib
import math
import os
import random
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Optional

# torch's OpenMP threads busy-wait after each op by default, taking the cores the emulator's threads
# need between network calls; sleeping threads made PPO ~6% faster on 2 cores (237 vs 223 SPS).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read once, when torch loads

import ale_py
import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
import tyro
from torch.distributions.categorical import Categorical
from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm

gym.register_envs(ale_py)
CHECKPOINT_FORMAT_VERSION = 1
OBS_SHAPE = (4, 84, 84)  # a stack of the last 4 grey 84x84 frames, as AtariWrapperVectorEnv returns it
RETIRED_ARGS = {"capture_video"}  # older checkpoints record it; videos come from eval_teacher.py --capture-video


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
    env_id: str = "BreakoutNoFrameskip-v4"
    """any Atari id gymnasium + ale-py know (`*NoFrameskip-v4`, `ALE/*-v5`)"""
    total_timesteps: int = 10_000_000
    """total agent steps over all environments (frames = 4x). On --resume, set it to extend a run"""
    learning_rate: float = 2.5e-4
    """learning rate of the Adam optimizer"""
    num_envs: int = 8
    """number of parallel game environments"""
    num_steps: int = 128
    """steps per environment per rollout"""
    anneal_lr: bool = True
    """anneal the learning rate linearly to zero"""
    gamma: float = 0.99
    """discount factor"""
    gae_lambda: float = 0.95
    """lambda of Generalized Advantage Estimation"""
    num_minibatches: int = 4
    """number of minibatches per epoch"""
    update_epochs: int = 4
    """epochs over each rollout"""
    norm_adv: bool = True
    """normalise advantages per minibatch"""
    clip_coef: float = 0.1
    """surrogate clipping coefficient"""
    clip_vloss: bool = True
    """use the clipped value loss"""
    ent_coef: float = 0.01
    """entropy bonus coefficient"""
    vf_coef: float = 0.5
    """value loss coefficient"""
    max_grad_norm: float = 0.5
    """global gradient-norm clip"""
    target_kl: Optional[float] = None
    """stop the epochs early when the approximate KL exceeds this"""
    save_steps: tuple[int, ...] = (100_000, 200_000, 500_000, 1_000_000, 2_000_000, 5_000_000)
    """checkpoint ladder (agent steps); beyond the last, the ladder doubles: 10M, 20M, 40M, ..."""
    runs_dir: str = "runs"
    """where `runs/<run_name>/` (checkpoints and TensorBoard events) is written"""
    bf16_update: bool = False
    """the update's torso in bf16 autocast, heads in fp32: faster on CPUs with avx512_bf16, but it changed learning (docs/throughput.md)"""
    checkpoint_minutes: float = 10.0
    """minutes between saves of `last.pt` (~20 MB): a run killed without warning loses at most this much"""
    resume: Optional[str] = None
    """a checkpoint to continue: a runs/ one exactly, in its folder; a shipped rung in a new folder (docs/teachers.md).
    It brings its hyperparameters; --total-timesteps, --num-envs, --num-minibatches, --bf16-update, --runs-dir given here win"""


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


class Agent(nn.Module):
    """Nature CNN (Mnih et al. 2015) with a shared torso, a policy head and a value head."""

    # Recorded in every checkpoint, so eval_teacher.py can rebuild the policy without this file.
    architecture = {"name": "nature_cnn", "channels": [32, 64, 64], "hidden": 512}

    def __init__(self, num_actions: int):
        super().__init__()
        self.network = nn.Sequential(
            layer_init(nn.Conv2d(4, 32, 8, stride=4)),
            nn.ReLU(),
            layer_init(nn.Conv2d(32, 64, 4, stride=2)),
            nn.ReLU(),
            layer_init(nn.Conv2d(64, 64, 3, stride=1)),
            nn.ReLU(),
            nn.Flatten(),
            layer_init(nn.Linear(64 * 7 * 7, 512)),
            nn.ReLU(),
        )
        self.actor = layer_init(nn.Linear(512, num_actions), std=0.01)
        self.critic = layer_init(nn.Linear(512, 1), std=1)

    def features(self, x, bf16=False):
        # channels_last: oneDNN's preferred conv layout (docs/speed.md). Heads stay fp32: bf16 logits move r by ~0.6% (throughput.md).
        with torch.autocast(x.device.type, torch.bfloat16, enabled=bf16):
            return self.network(x.contiguous(memory_format=torch.channels_last) / 255.0).float()

    def get_value(self, x):
        return self.critic(self.features(x))

    def get_action_and_value(self, x, action=None, bf16=False):
        hidden = self.features(x, bf16)
        logits = self.actor(hidden)
        probs = Categorical(logits=logits, validate_args=False)  # non-finite logits reach the per-iteration check
        if action is None:
            action = probs.sample()
        return action, probs.log_prob(action), probs.entropy(), self.critic(hidden)


def compute_gae(rewards, values, dones, next_value, next_done, gamma, gae_lambda):
    """Generalized Advantage Estimation (Schulman et al. 2016), over a [T, N] rollout.

    delta_t = r_t + gamma * V(s_{t+1}) * (1 - done_{t+1}) - V(s_t)
    A_t     = delta_t + gamma * lambda * (1 - done_{t+1}) * A_{t+1}
    `dones[t]` says s_t began a new episode, so the bootstrap from t into t+1 is cut by dones[t+1]."""
    next_non_terminal = 1.0 - torch.cat([dones[1:], next_done.reshape(1, -1)])  # 1 - done_{t+1}
    next_values = torch.cat([values[1:], next_value.reshape(1, -1)])  # V(s_{t+1})
    advantages = torch.zeros_like(rewards)
    last_gae = 0
    for t in reversed(range(len(rewards))):
        delta = rewards[t] + gamma * next_values[t] * next_non_terminal[t] - values[t]
        advantages[t] = last_gae = delta + gamma * gae_lambda * next_non_terminal[t] * last_gae
    return advantages, advantages + values


def ladder_steps(save_steps, total_timesteps):
    """The requested ladder, then doubling past its last rung, up to the run's length."""
    rungs = sorted(save_steps)
    while rungs and rungs[-1] * 2 < total_timesteps:
        rungs.append(rungs[-1] * 2)
    return [s for s in rungs if s < total_timesteps]


def save_checkpoint(path, agent, optimizer, args, run_name, global_step, recent_returns):
    """Network, metadata and what --resume needs, in one file written atomically (temp file + rename, docs/teachers.md)."""
    payload = {"format_version": CHECKPOINT_FORMAT_VERSION, "architecture": agent.architecture, "env_id": args.env_id,
               "num_actions": int(agent.actor.out_features), "obs_shape": list(OBS_SHAPE), "global_step": global_step,
               "mean_episodic_return": float(np.mean(recent_returns)) if recent_returns else None,
               "args": {k: list(v) if isinstance(v, tuple) else v for k, v in vars(args).items()},
               "state_dict": agent.state_dict(), "optimizer": optimizer.state_dict(), "run_name": run_name,
               "recent_returns": [float(r) for r in recent_returns], "torch_rng_state": torch.get_rng_state()}
    tmp_path = f"{path}.tmp"
    try:
        torch.save(payload, tmp_path)
    except (OSError, RuntimeError) as e:  # a full disk: ENOSPC, or torch's zip writer's "unexpected pos"
        if os.path.lexists(tmp_path):
            os.remove(tmp_path)
        fail(f"could not write {path!r} ({getattr(e, 'strerror', None) or 'the write stopped short: is the disk full?'}); "
             f"{'the previous one is intact' if os.path.exists(path) else 'it was not saved'}; free some space and resume")
    os.replace(tmp_path, path)


def load_checkpoint(path):
    """Load a ppo_atari.py checkpoint (a runs/ one or a shipped rung) to resume; any problem is one clear line."""
    if not os.path.isfile(path):
        fail(f"checkpoint {path!r} does not exist; pass the path of a .pt file written by ppo_atari.py")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # truncated zip, foreign pickle, code-executing pickle (refused)
        reason = "it holds objects that could run code, refused" if "GLOBAL" in str(e) else "it is truncated or not a torch file"
        fail(f"{path!r} is not a readable checkpoint ({reason}); re-save it with ppo_atari.py")
    if not isinstance(checkpoint, dict) or checkpoint.get("format_version") != CHECKPOINT_FORMAT_VERSION or "args" not in checkpoint:
        fail(f"{path!r} is not a ppo_atari.py checkpoint (format {CHECKPOINT_FORMAT_VERSION}, with its training arguments); use one it wrote")
    if "teacher" in checkpoint or set(checkpoint["args"]) - {f.name for f in dataclasses.fields(Args)} - RETIRED_ARGS:  # a student
        fail(f"{path!r} is not a ppo_atari.py checkpoint but a student of {checkpoint['args'].get('exp_name', 'another script')}.py "
             f"(it records a teacher or flags ppo_atari.py lacks); resume it with the script that wrote it")
    return checkpoint


if __name__ == "__main__":
    if any(a.split("=")[0].replace("_", "-") == "--capture-video" for a in sys.argv[1:]):  # retired: eval_teacher.py records one
        fail("ppo_atari.py records no videos; record a checkpoint's game with: python eval_teacher.py <run>/step_<N>.pt --capture-video")
    args = tyro.cli(Args)
    checkpoint = load_checkpoint(args.resume) if args.resume else None
    if checkpoint:  # hyperparameters come from the run being resumed; the few that may change are taken where given
        given = lambda name: any(a.split("=")[0].replace("--no-", "--") in (f"--{name}", f"--{name.replace('_', '-')}") for a in sys.argv[1:])  # noqa: E731
        changed = {k: getattr(args, k) for k in ("total_timesteps", "num_envs", "num_minibatches", "bf16_update", "runs_dir") if given(k)}
        saved_args = {k: tuple(v) if isinstance(v, list) else v for k, v in checkpoint["args"].items() if k not in RETIRED_ARGS}
        args = dataclasses.replace(Args(**saved_args), resume=args.resume, cuda=args.cuda, **changed)
    # A shipped rung holds no optimizer: it continues in a new folder, and its first update, at learning rate 0, only fills
    # Adam's moments (fresh ones would make the first steps sign(g) * lr in every weight, ~10x a settled Adam step).
    from_rung = checkpoint is not None and "optimizer" not in checkpoint
    exact_resume = checkpoint is not None and not from_rung
    # Every flag, before any work: NaN and inf fail every comparison below, so a non-finite value is refused by name.
    for name, valid, rule in [
        ("seed", args.seed >= 0, "0 or more"),
        *[(n, getattr(args, n) > 0, "positive") for n in ("total_timesteps", "num_envs", "num_steps", "num_minibatches", "update_epochs")],
        ("save_steps", all(s > 0 for s in args.save_steps), "positive agent steps (e.g. 100000 200000)"),
        *[(n, 0 < getattr(args, n) < math.inf, f"positive and finite (default {getattr(Args, n)})")
          for n in ("learning_rate", "clip_coef", "max_grad_norm", "checkpoint_minutes")],
        *[(n, 0 <= getattr(args, n) < math.inf, f"finite and 0 or more (default {getattr(Args, n)})") for n in ("ent_coef", "vf_coef")],
        ("gamma", 0 < args.gamma <= 1, f"in (0, 1] (default {Args.gamma})"),
        ("gae_lambda", 0 <= args.gae_lambda <= 1, f"in [0, 1] (default {Args.gae_lambda})"),
        ("target_kl", args.target_kl is None or 0 < args.target_kl < math.inf, "positive and finite, or not given"),
    ]:
        if not valid:
            fail(f"--{name.replace('_', '-')} must be {rule}, got {getattr(args, name)}")
    batch_size = args.num_envs * args.num_steps
    if batch_size % args.num_minibatches:
        fail(f"the batch (--num-envs {args.num_envs} x --num-steps {args.num_steps} = {batch_size}) must split "
             f"into --num-minibatches {args.num_minibatches} equal minibatches; pick a divisor of {batch_size}")
    minibatch_size = batch_size // args.num_minibatches
    num_iterations = max(1, args.total_timesteps // batch_size)
    run_name = checkpoint["run_name"] if exact_resume else f"{args.env_id.replace('/', '-')}__{args.exp_name}__{args.seed}__{int(time.time())}"
    # A resumed run carries on in the folder its checkpoint lives in (moved or not).
    run_dir = os.path.dirname(os.path.abspath(args.resume)) if exact_resume else os.path.join(args.runs_dir, run_name)
    device = torch.device("cuda" if torch.cuda.is_available() and args.cuda else "cpu")
    # Memory, said up front rather than swapped for hours. Measured (1-64 envs): ~550 MB of Python, torch and network, 1.5 MiB per
    # emulator, 28 KB per rollout sample, ~310 KB per minibatch sample (these two on the GPU if any), against Linux's MemAvailable.
    meminfo = dict(line.split(":", 1) for line in open("/proc/meminfo")) if os.path.exists("/proc/meminfo") else {}
    free_memory = int(meminfo["MemAvailable"].split()[0]) * 1024 if "MemAvailable" in meminfo else math.inf
    on_gpu, batch_bytes = device.type == "cuda", batch_size * math.prod(OBS_SHAPE) + minibatch_size * 310e3
    for where, need, free in [("memory", 550e6 + args.num_envs * 1.5 * 2**20 + (0 if on_gpu else batch_bytes), free_memory),
                              ("GPU memory", batch_bytes if on_gpu else 0, torch.cuda.mem_get_info(device)[0] if on_gpu else 0)]:
        if need > free:
            fail(f"--num-envs {args.num_envs} x --num-steps {args.num_steps} needs about {need / 1e9:.1f} GB of {where}, "
                 f"{free / 1e9:.1f} GB is available; use fewer --num-envs (or --num-steps, or more --num-minibatches)")
    envs = AtariWrapperVectorEnv(args.env_id, args.num_envs)  # validates --env-id first
    try:  # a read-only disk: one line now, not a traceback at the first checkpoint
        os.makedirs(run_dir, exist_ok=True)
        tempfile.TemporaryFile(dir=run_dir).close()
    except OSError as e:
        fail(f"cannot write to {run_dir!r} ({e.strerror}); use a --runs-dir on a writable disk (to resume, copy the run's folder there)")

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.backends.cudnn.deterministic = args.torch_deterministic

    num_actions = int(envs.single_action_space.n)
    agent = Agent(num_actions).to(device, memory_format=torch.channels_last)
    optimizer = optim.Adam(agent.parameters(), lr=args.learning_rate, eps=1e-5)
    recent_returns = collections.deque(maxlen=20)
    global_step = checkpoint["global_step"] if checkpoint else 0
    start_iteration = global_step // batch_size + 1  # an iteration is a batch: this holds after --num-envs changes too
    if checkpoint:
        if checkpoint["env_id"] != args.env_id or checkpoint["num_actions"] != num_actions:
            fail(f"{args.resume!r} was trained on {checkpoint['env_id']}; resume it without changing --env-id")
        state = {k: v.float() for k, v in checkpoint["state_dict"].items()}
        if not all(v.isfinite().all() for v in state.values()):
            fail(f"{args.resume!r} holds non-finite (NaN or inf) weights, from a diverged run; resume an earlier checkpoint")
        untrained = agent.load_state_dict(state, strict=exact_resume).missing_keys  # rungs shipped before the critic was
        if exact_resume:
            optimizer.load_state_dict(checkpoint["optimizer"])
            recent_returns.extend(checkpoint["recent_returns"])
            torch.set_rng_state(checkpoint["torch_rng_state"])
        else:
            print(f"continuing the rung {args.resume} from step {global_step:,} in {run_dir}; Adam's moments are rebuilt "
                  f"by its first update, at learning rate 0" + ("; the value head starts untrained (not shipped with the rung)" if untrained else ""))
    # purge_step drops events a crashed run logged after its last checkpoint, so curves stay clean.
    writer = SummaryWriter(run_dir, purge_step=global_step + 1 if exact_resume else None)
    writer.add_text("hyperparameters", "|param|value|\n|-|-|\n" + "\n".join(f"|{k}|{v}|" for k, v in vars(args).items()))
    pending_rungs = [s for s in ladder_steps(args.save_steps, args.total_timesteps) if s > global_step]
    saved = [args.resume] if args.resume else []  # the checkpoints this run stands on, latest last
    last_saved = time.time()  # of last.pt, also every --checkpoint-minutes

    def checkpoint_to(name):
        writer.flush()  # the curves up to a checkpoint are on disk with it: a resumed run's have no gap
        saved.append(os.path.join(run_dir, name))
        save_checkpoint(saved[-1], agent, optimizer, args, run_name, global_step, recent_returns)

    stop_requested = []  # SIGINT/SIGTERM finish the current iteration, save `last.pt` and exit cleanly
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: stop_requested.append(signum))

    # Rollout storage. Observations stay uint8 (4x smaller; the network divides by 255), flat over
    # (step, env) and channels_last, so the 16 minibatch passes of the update need no layout copy.
    obs = torch.zeros((batch_size, *OBS_SHAPE), dtype=torch.uint8, device=device).contiguous(memory_format=torch.channels_last)
    actions = torch.zeros((args.num_steps, args.num_envs), dtype=torch.long, device=device)
    logprobs, rewards, dones, values = (torch.zeros((args.num_steps, args.num_envs), device=device) for _ in range(4))

    next_obs_np, info = envs.reset(seed=args.seed)
    next_obs = torch.from_numpy(next_obs_np).to(device)
    next_done = torch.zeros(args.num_envs, device=device)
    # Whole-game bookkeeping: a new game starts exactly when the ALE's episode frame counter drops
    # (a life loss is `terminated` but keeps counting; only a real reset restarts it).
    game_return, game_length = np.zeros(args.num_envs), np.zeros(args.num_envs, dtype=np.int64)
    last_frame_number = info["episode_frame_number"].copy()

    progress = tqdm(total=args.total_timesteps, initial=global_step, unit="step", dynamic_ncols=True)
    start_time, start_step = time.time(), global_step
    for iteration in range(start_iteration, num_iterations + 1):
        if args.anneal_lr:
            optimizer.param_groups[0]["lr"] = (1.0 - (iteration - 1.0) / num_iterations) * args.learning_rate
        if from_rung and iteration == start_iteration:
            optimizer.param_groups[0]["lr"] = 0.0  # this update only fills Adam's moments (see from_rung)

        for step in range(args.num_steps):
            global_step += args.num_envs
            obs[step * args.num_envs : (step + 1) * args.num_envs] = next_obs
            dones[step] = next_done
            with torch.inference_mode():
                action, logprob, _, value = agent.get_action_and_value(next_obs)
            values[step], actions[step], logprobs[step] = value.flatten(), action, logprob

            next_obs_np, reward, terminations, truncations, info = envs.step(action.cpu().numpy())
            rewards[step] = torch.from_numpy(np.sign(reward)).to(device)  # reward clipping, training only
            next_obs = torch.from_numpy(next_obs_np).to(device)
            next_done = torch.from_numpy(np.logical_or(terminations, truncations)).to(device, torch.float32)

            game_return, game_length = game_return + reward, game_length + 1
            new_game = info["episode_frame_number"] < last_frame_number
            last_frame_number = info["episode_frame_number"].copy()
            for i in np.flatnonzero(new_game):
                recent_returns.append(game_return[i])
                writer.add_scalar("charts/episodic_return", game_return[i], global_step)
                writer.add_scalar("charts/episodic_length", game_length[i], global_step)
                game_return[i], game_length[i] = 0.0, 0

        # Bootstrap the value of the state after the rollout and compute advantages.
        with torch.inference_mode():
            next_value = agent.get_value(next_obs).reshape(1, -1)
        advantages, returns = compute_gae(rewards, values, dones, next_value, next_done, args.gamma, args.gae_lambda)

        b_obs, b_logprobs, b_actions = obs, logprobs.reshape(-1), actions.reshape(-1)
        b_advantages, b_returns, b_values = advantages.reshape(-1), returns.reshape(-1), values.reshape(-1)

        # PPO update, per minibatch: loss = -min(r A, clip(r, 1 - eps, 1 + eps) A) + vf_coef * max((V - R)^2, (V_clip - R)^2) / 2
        # - ent_coef * H, with r = pi(a|s) / pi_old(a|s), eps = clip_coef, and V_clip = V_old + clip(V - V_old, -eps, eps).
        clipfracs = []
        for epoch in range(args.update_epochs):
            b_inds = torch.randperm(batch_size, device=device)
            for start in range(0, batch_size, minibatch_size):
                mb_inds = b_inds[start : start + minibatch_size]
                _, newlogprob, entropy, newvalue = agent.get_action_and_value(b_obs[mb_inds], b_actions[mb_inds], args.bf16_update)
                logratio = newlogprob - b_logprobs[mb_inds]
                ratio = logratio.exp()
                with torch.no_grad():
                    # http://joschu.net/blog/kl-approx.html
                    old_approx_kl = (-logratio).mean()
                    approx_kl = ((ratio - 1) - logratio).mean()
                    clipfracs.append(((ratio - 1.0).abs() > args.clip_coef).float().mean())

                mb_advantages = b_advantages[mb_inds]
                if args.norm_adv:
                    mb_advantages = (mb_advantages - mb_advantages.mean()) / (mb_advantages.std() + 1e-8)
                pg_loss1 = -mb_advantages * ratio
                pg_loss2 = -mb_advantages * torch.clamp(ratio, 1 - args.clip_coef, 1 + args.clip_coef)
                pg_loss = torch.max(pg_loss1, pg_loss2).mean()

                newvalue = newvalue.view(-1)
                if args.clip_vloss:
                    v_loss_unclipped = (newvalue - b_returns[mb_inds]) ** 2
                    v_clipped = b_values[mb_inds] + torch.clamp(newvalue - b_values[mb_inds], -args.clip_coef, args.clip_coef)
                    v_loss_clipped = (v_clipped - b_returns[mb_inds]) ** 2
                    v_loss = 0.5 * torch.max(v_loss_unclipped, v_loss_clipped).mean()
                else:
                    v_loss = 0.5 * ((newvalue - b_returns[mb_inds]) ** 2).mean()

                entropy_loss = entropy.mean()
                loss = pg_loss - args.ent_coef * entropy_loss + v_loss * args.vf_coef

                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(agent.parameters(), args.max_grad_norm)
                optimizer.step()

            if args.target_kl is not None and approx_kl > args.target_kl:
                break

        # Diagnostics, once per iteration: the only host syncs of the update. The weights' sum is finite exactly when
        # every weight is, so a diverged run stops here, before it can overwrite a good checkpoint.
        v, pg, ent, old_kl, kl, clipfrac, weights = torch.stack([v_loss, pg_loss, entropy_loss, old_approx_kl, approx_kl,
                                                               torch.stack(clipfracs).mean(), sum(p.sum() for p in agent.parameters())]).tolist()
        if not np.isfinite([v, pg, ent, weights]).all():
            fail(f"training diverged at step {global_step:,}: the loss or the weights are no longer finite; stopped without saving "
                 f"them ({'the last checkpoint, ' + saved[-1] + ', is intact' if saved else 'no checkpoint yet'}); try a lower --learning-rate")
        y_pred, y_true = b_values.cpu().numpy(), b_returns.cpu().numpy()
        var_y = np.var(y_true)
        explained_var = np.nan if var_y == 0 else 1 - np.var(y_true - y_pred) / var_y
        sps = int((global_step - start_step) / (time.time() - start_time))
        for tag, value in [("charts/learning_rate", optimizer.param_groups[0]["lr"]), ("losses/value_loss", v), ("losses/policy_loss", pg),
                           ("losses/entropy", ent), ("losses/old_approx_kl", old_kl), ("losses/approx_kl", kl), ("losses/clipfrac", clipfrac),
                           ("losses/explained_variance", explained_var), ("charts/SPS", sps)]:
            writer.add_scalar(tag, value, global_step)
        progress.update(global_step - progress.n)
        progress.set_postfix(SPS=sps, ret=f"{np.mean(recent_returns):.1f}" if recent_returns else "-")

        while pending_rungs and global_step >= pending_rungs[0]:
            checkpoint_to(f"step_{pending_rungs.pop(0)}.pt")
        if stop_requested:
            break
        if time.time() - last_saved >= 60 * args.checkpoint_minutes:
            checkpoint_to("last.pt")
            last_saved = time.time()
    checkpoint_to("last.pt")  # at the end, or on SIGINT/SIGTERM
    progress.close()
    recent_return = np.mean(recent_returns) if recent_returns else float("nan")
    print(f"interrupted at step {global_step}; resume with: python ppo_atari.py --resume {saved[-1]}" if stop_requested
          else f"saved {saved[-1]} (step {global_step}, recent return {recent_return:.1f})")
    envs.close()
    writer.close()
