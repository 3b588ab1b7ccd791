"""Score Atari policies over whole games and keep a CSV ledger of the results.

Takes checkpoints of this project (ppo_atari.py teachers, distill*.py students), stable-baselines3 /
RL-Zoo PPO, A2C and DQN `CnnPolicy` .zip files (the seed project's teachers were SB3 PPO zips) and
CleanRL's dqn_atari.py `.cleanrl_model` files, as paths, directories, globs or Hugging Face Hub names
(`hf:sb3/ppo-QbertNoFrameskip-v4`, `hf:ORG/REPO/FILE`, `@REVISION`: downloaded once). Each is played for
`--n-eval-episodes` whole games (all lives) on the preprocessing SB3, RL Zoo and CleanRL train on
(AtariWrapperVectorEnv: SB3's AtariWrapper, FIRE after every lost life; rewards unclipped), greedy by
default. A table sorted by score is printed and one row per checkpoint is appended to the ledger,
which the distill scripts read as the teacher's reference score (rows of the same contract only), with the
sha256 of the file scored (and the commit of a Hub teacher): a score names its exact policy.

Every file is read by policy_files.py, the one place that knows the foreign formats: nothing is
unpickled (`weights_only=True`), so no file can run code.
"""

import csv
import datetime
import difflib
import glob
import os
import sys
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
from tqdm import tqdm

from policy_files import file_provenance, read_policy_file  # this project's, SB3's, RL Zoo's, CleanRL's, the Hub's

gym.register_envs(ale_py)


@dataclass
class Args:
    checkpoints: tyro.conf.Positional[tuple[str, ...]]
    """policy files (.pt of this project, SB3 PPO/A2C/DQN .zip, CleanRL .cleanrl_model), directories of them, globs,
    or Hugging Face Hub names: hf:ORG/REPO[/FILE][@REVISION]"""
    env_id: Optional[str] = None
    """game to play; defaults to each checkpoint's own (required for local SB3 and CleanRL files, which do not record
    it; a Hub teacher's comes from its repo's name)"""
    n_eval_episodes: int = 10
    """whole games per checkpoint"""
    greedy: bool = True
    """act by argmax; `--no-greedy` samples from the policy"""
    seed: int = 12345
    """seed of the evaluation games (kept apart from training seeds)"""
    ledger: str = "runs/eval_ledger.csv"
    """CSV file the results are appended to (created with a header if absent)"""
    max_frames: Optional[int] = None
    """end each game after this many frames (default: the game's own limit, 108,000 = 30 min of play); a game cut
    short counts with its score so far, and the summary and ledger say how many were cut"""
    capture_video: bool = False
    """record each checkpoint's first scored game in full colour (210x160, 15 frames/s: real time) to --video-dir"""
    video_dir: str = "runs/videos"
    """where --capture-video writes <checkpoint>__<game>.mp4"""
    q_temperature: float = 0.01
    """tau of Q-value policies (DQN): `--no-greedy` samples from softmax(Q / tau), as distill*.py learns them"""
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


class AtariWrapperVectorEnv:
    """SB3's `AtariWrapper` + `VecFrameStack`, the preprocessing SB3, RL Zoo and CleanRL teachers are trained on, played by
    ale_py's C++ emulator (one single-game env per game, all stepped in parallel), rewards unclipped. A lost life or a game
    over is `terminated` (truncated at the frame limit); the next episode's first observation comes in the same step, its
    stack zero-padded, after the steps SB3 forces (a no-op after a lost life, then FIRE and action 2 in games with FIRE),
    whose rewards count. Call reset() before the first step. Every step of it and why: docs/preprocessing.md.
    With `colour_video`, game 0 is played a second time, action for action, by an env that keeps the screen in colour
    (210x160 RGB): the emulator is deterministic, so `colour_frames` shows that very game."""

    autoreset_mode = gym.vector.AutoresetMode.SAME_STEP
    contract = "sb3_atari_wrapper"  # recorded beside every score (eval ledger, teachers.csv)

    def __init__(self, env_id: str, num_envs: int, *, noop_max: int = 30, max_frames: Optional[int] = None,
                 colour_video: bool = False):
        settings = ale_settings(env_id)
        if max_frames:
            settings["max_num_frames_per_episode"] = max_frames
        self.max_frames = settings["max_num_frames_per_episode"]
        self.games = [
            ale_py.vector_env.AtariVectorEnv(
                num_envs=1, num_threads=1, frameskip=4, stack_num=1, img_height=84, img_width=84, grayscale=True,
                noop_max=noop_max, use_fire_reset=False, episodic_life=False, life_loss_info=False,
                reward_clipping=False, autoreset_mode=self.autoreset_mode, **settings)
            for _ in range(num_envs)
        ]
        self.colour_twin = ale_py.vector_env.AtariVectorEnv(
            num_envs=1, num_threads=1, frameskip=4, stack_num=1, img_height=210, img_width=160, grayscale=False,
            noop_max=noop_max, use_fire_reset=False, episodic_life=False, life_loss_info=False,
            reward_clipping=False, autoreset_mode=self.autoreset_mode, **settings) if colour_video else None
        self.colour_frames = []  # game 0's screens since the last reset(), with colour_video
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
        if self.colour_twin:
            self.colour_frames = [self.colour_twin.reset(seed=None if seed is None else seed)[0][0, -1]]
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
                if i == 0 and self.colour_twin:
                    self.colour_twin.ale.send(actions[:1], [1.0])
                self.games[i].ale.send([actions.pop(0)], [1.0])
            for i in list(pending):
                obs, reward, game_over, time_limit, info = self.games[i].ale.recv()
                if i == 0 and self.colour_twin:
                    self.colour_frames.append(self.colour_twin.ale.recv()[0][0, -1])
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
        for game in self.games + ([self.colour_twin] if self.colour_twin else []):
            game.close()


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


def load_policy(path: str, env_id: Optional[str], q_temperature: float = 0.01):
    """Rebuild a file's policy for `env_id` (default: the game it records), refusing mismatches.
    A Q-value teacher's logits are Q / tau (Rusu et al. 2016): its actor layer is divided by tau."""
    checkpoint = read_policy_file(path)
    if env_id:
        ale_settings(env_id)  # an unknown game is named before any mismatch
    if env_id and checkpoint["env_id"] and env_id != checkpoint["env_id"]:
        fail(f"{path!r} was trained on {checkpoint['env_id']}, not {env_id}; drop --env-id to play its own game")
    env_id = env_id or checkpoint["env_id"]
    if env_id is None:
        fail(f"{path!r} ({checkpoint['source']}) does not record its game; pass --env-id")
    num_actions = AtariWrapperVectorEnv(env_id, 1).single_action_space.n
    if checkpoint["num_actions"] != num_actions:
        fail(f"{path!r} has {checkpoint['num_actions']} actions but {env_id} has {num_actions}; pass the --env-id it was trained on")
    if list(checkpoint["obs_shape"]) != [4, 84, 84]:
        fail(f"{path!r} expects observations of shape {checkpoint['obs_shape']}, not [4, 84, 84]; it was trained on other preprocessing")
    arch = checkpoint["architecture"]
    policy = PolicyCNN(num_actions, arch["channels"], arch["hidden"])
    policy.load_state_dict({k: v.float() for k, v in checkpoint["state_dict"].items() if k.startswith(("network.", "actor."))})
    if checkpoint["kind"] == "q_values":
        with torch.no_grad():
            policy.actor.weight /= q_temperature
            policy.actor.bias /= q_temperature
    return policy.eval(), env_id, checkpoint


STUCK_FRAMES = 18_000  # 5 minutes of play at 60 frames per second
MIN_FRAMES = 400  # shorter frame limits cut every game during its forced start, which then never ends


def evaluate(policy, env_id, n_episodes, greedy, seed, device, max_frames=None, video_path=None, stop_requested=()):
    """Play `n_episodes` whole games, one per environment (taking the first games to finish
    would favour short games) -> their unclipped scores, and which games the frame limit cut short;
    (None, None) as soon as `stop_requested` (a list a signal handler appends to) is not empty.

    A policy that stops playing (Breakout's ball never served, say) runs to the frame limit, 30 minutes
    of play per game: a game that goes STUCK_FRAMES frames with no reward and no lost life is reported
    on stderr, once, so that the wait is never silent. Its score is not changed. With `video_path`, the
    first game is also recorded there in colour: the same game, played again by a colour twin."""
    envs = AtariWrapperVectorEnv(env_id, n_episodes, max_frames=max_frames, colour_video=video_path is not None)
    obs, info = envs.reset(seed=seed)
    scores, finished, cut = np.zeros(n_episodes), np.zeros(n_episodes, dtype=bool), np.zeros(n_episodes, dtype=bool)
    last_frame_number = info["episode_frame_number"].copy()
    last_event_frame, reported = last_frame_number.copy(), np.zeros(n_episodes, dtype=bool)
    generator = torch.Generator(device=device).manual_seed(seed)
    progress = tqdm(total=n_episodes, unit="game", leave=False, dynamic_ncols=True, disable=None)  # no bar in logs
    while not finished.all():
        if stop_requested:
            progress.close()
            envs.close()
            return None, None
        with torch.inference_mode():
            logits = policy(torch.from_numpy(obs).to(device))
            if greedy:
                action = logits.argmax(dim=1)
            else:
                action = torch.multinomial(logits.softmax(dim=1), 1, generator=generator).squeeze(1)
        frames_before = len(envs.colour_frames)
        obs, reward, terminated, truncated, info = envs.step(action.cpu().numpy())
        scores += np.where(finished, 0.0, reward)
        # A real reset (game over or time limit) restarts the ALE's episode frame counter.
        new_game = info["episode_frame_number"] < last_frame_number
        if video_path and new_game[0] and not finished[0]:  # game 0 just ended: its screens are the video
            write_video(video_path, envs.colour_frames[:frames_before])
        if finished[0]:
            envs.colour_frames.clear()  # the first game is recorded; later ones would only fill memory
        cut |= new_game & truncated & ~finished
        finished |= new_game
        last_frame_number = info["episode_frame_number"].copy()
        last_event_frame = np.where((reward != 0) | terminated, last_frame_number, last_event_frame)
        for i in np.flatnonzero(~finished & ~reported & (last_frame_number - last_event_frame >= STUCK_FRAMES)):
            tqdm.write(f"warning: game {i + 1} of {n_episodes} has played {last_frame_number[i]:,} frames, the last "
                       f"{last_frame_number[i] - last_event_frame[i]:,} without a reward or a lost life; it plays on to "
                       f"the {envs.max_frames:,}-frame limit (eval_teacher.py's --max-frames lowers it)", file=sys.stderr)
            reported[i] = True
        progress.update(int(finished.sum()) - progress.n)
        progress.set_postfix(frames=f"{last_frame_number[~finished].max() if not finished.all() else 0:,}", refresh=False)
    progress.close()
    envs.close()
    return scores, cut


def write_video(path, frames):
    """RGB screens -> an mp4 at 15 frames/s (each screen is 4 emulator frames: real time), doubled in size."""
    import cv2

    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    height, width = frames[0].shape[:2]
    video = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), 15, (2 * width, 2 * height))
    for frame in frames:
        video.write(cv2.resize(frame[:, :, ::-1], (2 * width, 2 * height), interpolation=cv2.INTER_NEAREST))
    video.release()


def play_frames(policy, env_id, num_envs=8, steps=64, seed=0):
    """Observations from the policy's own (sampled) play: the states where its decisions matter."""
    envs = AtariWrapperVectorEnv(env_id, num_envs)
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
        if pattern.startswith("hf:"):  # a Hub name: policy_files.py resolves it
            paths.append(pattern)
        elif os.path.isdir(pattern):
            paths += sorted(sum((glob.glob(os.path.join(pattern, f"*.{ext}")) for ext in ("pt", "zip", "cleanrl_model")), []))
        elif any(ch in pattern for ch in "*?["):
            matches = sorted(glob.glob(pattern))
            if not matches:
                fail(f"no checkpoint matches {pattern!r}; check the pattern (quote it so the shell does not expand it)")
            paths += matches
        else:
            paths.append(pattern)
    if not paths:
        fail(f"no .pt, .zip or .cleanrl_model files found in {', '.join(patterns)}")
    return paths


# `contract`: the preprocessing the score was measured under (empty in rows older than the column: those
# were played by ale_py's batched env, which pressed FIRE only at a game's start). `sha256`: of the file scored;
# `hub_commit`: the commit an hf: name resolved to (both empty in older rows).
LEDGER_FIELDS = ["checkpoint", "env_id", "steps", "mean", "std", "episodes", "greedy", "date",
                 "contract", "frame_limit", "games_cut", "sha256", "hub_commit"]
OLDEST_LEDGER_FIELDS = 8  # the first ledgers had the columns up to `date`


def ledger_header(ledger_path):
    """Check, before any game is played, that --ledger can take our rows -> its header (None: a new file).

    The ledger is a user's data: it is only ever appended to. A header we wrote (or an older one, a prefix of
    ours, from before a column existed; either with a user's extra columns after it; all our columns in another
    order; a spreadsheet's UTF-8 BOM) is accepted; any other file is left as it is and refused."""
    if os.path.isdir(ledger_path):
        fail(f"--ledger {ledger_path!r} is a directory; pass a .csv file path, e.g. {os.path.join(ledger_path, 'eval_ledger.csv')}")
    if not os.path.isfile(ledger_path) or os.path.getsize(ledger_path) == 0:
        folder = os.path.dirname(os.path.abspath(ledger_path))
        while not os.path.isdir(folder):  # the nearest existing folder is where the new ones are made
            folder = os.path.dirname(folder)
        if not os.access(folder, os.W_OK):
            fail(f"cannot create the ledger {ledger_path!r}: {folder} is not writable; pass a --ledger you can write")
        return None
    with open(ledger_path, newline="", encoding="utf-8-sig") as f:
        header = next(csv.reader(f), [])
    ours_first = len(os.path.commonprefix([header, LEDGER_FIELDS]))  # how many of our columns it starts with
    if ours_first < OLDEST_LEDGER_FIELDS and not set(LEDGER_FIELDS) <= set(header):
        fail(f"--ledger {ledger_path!r} is not an eval_teacher.py ledger (its header starts {','.join(header[:3])!r}); "
             f"it was left as it is: pass another --ledger")
    if not os.access(ledger_path, os.W_OK):
        fail(f"the ledger {ledger_path!r} is not writable; pass a --ledger you can write")
    return header


def ledger_score(path: str, greedy: bool, ledger_path: str = Args.ledger) -> Optional[float]:
    """The newest score of this checkpoint in the ledger, played in the same mode under our contract, if any (rows from before
    the sha256 column count by path alone)."""
    if not os.path.exists(ledger_path):
        return None
    with open(ledger_path, newline="", encoding="utf-8-sig") as f:  # a spreadsheet may have added a BOM
        rows = [r for r in csv.DictReader(f) if {"checkpoint", "greedy", "mean", "contract"} <= r.keys() and r["checkpoint"]
                and os.path.abspath(r["checkpoint"]) == os.path.abspath(path) and r["greedy"] == str(greedy)
                and r["contract"] == AtariWrapperVectorEnv.contract]
    if any(r.get("sha256") for r in rows):  # a path can be overwritten: a row that names its file's sha256 counts for that file only
        sha256 = file_provenance(path)["sha256"]
        rows = [r for r in rows if r.get("sha256") in (None, "", sha256)]
    return float(rows[-1]["mean"]) if rows else None


def append_to_ledger(ledger_path, rows):
    """Append-only: earlier rows are never changed, so an interrupted run loses nothing. A ledger from before a
    column existed first gets the new columns at the end of its header, its rows and bytes otherwise kept, in one
    atomic rewrite; a user's extra columns are kept (left empty in our rows)."""
    header = ledger_header(ledger_path)
    missing = [field for field in LEDGER_FIELDS if header is not None and field not in header]
    if missing:  # an older ledger
        with open(ledger_path, "rb") as f:
            bom = f.read(3) == b"\xef\xbb\xbf"  # a spreadsheet's "CSV UTF-8": kept as it was
        with open(ledger_path, newline="", encoding="utf-8-sig") as f:
            old_rows = list(csv.DictReader(f))
        with open(f"{ledger_path}.tmp", "w", newline="", encoding="utf-8-sig" if bom else "utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=header + missing)
            writer.writeheader()
            writer.writerows(old_rows)
        os.replace(f"{ledger_path}.tmp", ledger_path)
        header = header + missing
    try:
        os.makedirs(os.path.dirname(ledger_path) or ".", exist_ok=True)
        with open(ledger_path, "a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=header or LEDGER_FIELDS, restval="")
            if header is None:
                writer.writeheader()
            writer.writerows(rows)
    except OSError as e:
        fail(f"could not append to the ledger {ledger_path!r} ({e.strerror}); the scores above were not recorded")


if __name__ == "__main__":
    args = tyro.cli(Args)
    if args.n_eval_episodes <= 0:
        fail(f"--n-eval-episodes must be positive, got {args.n_eval_episodes}")
    if args.max_frames is not None and args.max_frames < MIN_FRAMES:
        fail(f"--max-frames must be at least {MIN_FRAMES} (a new game's forced start, up to 30 no-op steps and two FIRE "
             f"steps, has to fit in it), got {args.max_frames}")
    if not args.q_temperature > 0 or not np.isfinite(args.q_temperature):
        fail(f"--q-temperature must be a positive number, got {args.q_temperature}")
    if args.seed < 0:
        fail(f"--seed must be 0 or more, got {args.seed}")
    # One emulator per game (~1.5 MiB each, measured for ppo_atari.py) on top of ~550 MB of Python and torch.
    meminfo = dict(line.split(":", 1) for line in open("/proc/meminfo")) if os.path.exists("/proc/meminfo") else {}
    need = 550e6 + args.n_eval_episodes * 1.5 * 2**20
    if "MemAvailable" in meminfo and need > int(meminfo["MemAvailable"].split()[0]) * 1024:
        fail(f"--n-eval-episodes {args.n_eval_episodes} plays that many games at once, about {need / 1e9:.0f} GB of memory, "
             f"more than is available; score fewer games per call")
    ledger_header(args.ledger)  # a ledger that cannot take the rows is refused before any game is played
    device = torch.device("cuda" if torch.cuda.is_available() and args.cuda else "cpu")
    paths = expand_paths(args.checkpoints)
    policies = [load_policy(path, args.env_id, args.q_temperature) for path in paths]  # all inputs checked before any game
    rows = []
    for path, (policy, env_id, checkpoint) in zip(paths, policies):
        video_path = None
        if args.capture_video:
            name = os.path.splitext(os.path.basename(path))[0]
            video_path = os.path.join(args.video_dir, f"{name}__{env_id}__{'greedy' if args.greedy else 'sampled'}.mp4")
        scores, cut = evaluate(policy.to(device), env_id, args.n_eval_episodes, args.greedy, args.seed, device, args.max_frames,
                               video_path)
        frame_limit = args.max_frames or ale_settings(env_id)["max_num_frames_per_episode"]
        rows.append({"checkpoint": path, "env_id": env_id, "steps": checkpoint.get("global_step"),
                     "mean": round(float(scores.mean()), 2), "std": round(float(scores.std()), 2),
                     "episodes": args.n_eval_episodes, "greedy": args.greedy,
                     "date": datetime.date.today().isoformat(), "contract": AtariWrapperVectorEnv.contract,
                     "frame_limit": frame_limit, "games_cut": int(cut.sum()),
                     **{k: v for k, v in file_provenance(path).items() if k in LEDGER_FIELDS}})  # sha256, hub_commit
        cut_note = f" ({cut.sum()} cut short by the {frame_limit:,}-frame limit, scored as they stood)" if cut.any() else ""
        video_note = f"; game 1 ({scores[0]:.0f} points) recorded in {video_path}" if video_path else ""
        print(f"{path}: {scores.mean():.1f} +- {scores.std():.1f} over {args.n_eval_episodes} games{cut_note}{video_note}", flush=True)
        append_to_ledger(args.ledger, rows[-1:])
    print(f"\n{'score':>10} {'std':>9} {'steps':>10}  {'env_id':<28} checkpoint")
    for row in sorted(rows, key=lambda r: -r["mean"]):
        print(f"{row['mean']:>10.1f} {row['std']:>9.1f} {str(row['steps']):>10}  {row['env_id']:<28} {row['checkpoint']}")
    print(f"appended {len(rows)} row(s) to {args.ledger}")
