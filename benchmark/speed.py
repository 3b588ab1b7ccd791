"""Throughput on this machine, as one table: env-only SPS of the vector envs, SPS of every script.

    python benchmark/speed.py                       # ~10 minutes on 2 CPU cores
    python benchmark/speed.py --script-steps 32768  # longer, steadier script timings

Env-only rows step random actions; script rows run each script for `--script-steps` agent steps
(startup excluded: the SPS it logs itself) with the shipped teacher for the distill scripts.
Ratios are those the issues ask for: distill / env, distill_rnd / distill, uncertainty / rnd.
"""

import glob
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

import gymnasium as gym
import numpy as np
import torch
import tyro
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
import ppo_atari  # noqa: E402  (the project's vector env)


@dataclass
class Args:
    env_id: str = "MsPacmanNoFrameskip-v4"
    """game to time (the distill scripts use its shipped `best` teacher)"""
    num_envs: int = 8
    """parallel environments, as in the scripts' defaults"""
    env_steps: int = 2000
    """vector steps per env-only measurement"""
    script_steps: int = 16384
    """agent steps per script run"""
    output: str = "docs/speed.md"
    """where the markdown table is written"""


def env_only_sps(make, num_envs, steps):
    envs = make()
    envs.reset(seed=0)
    rng = np.random.default_rng(0)
    n = envs.single_action_space.n
    start = time.perf_counter()
    for _ in range(steps):
        envs.step(rng.integers(n, size=num_envs))
    return num_envs * steps / (time.perf_counter() - start)


def sb3_sync_vector_env(env_id, num_envs):
    """The CleanRL way: gymnasium SyncVectorEnv of SB3's Atari wrappers (+ frame stack)."""
    from stable_baselines3.common.atari_wrappers import AtariWrapper

    def thunk():
        return gym.wrappers.FrameStackObservation(AtariWrapper(gym.make(env_id), terminal_on_life_loss=True), 4)

    return gym.vector.SyncVectorEnv([thunk] * num_envs, autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)


def ppo_update_seconds(channels_last, repeats=3):
    """One PPO update of ppo_atari.py's shape (4 epochs x 4 minibatches of 256), best of `repeats`."""
    torch.manual_seed(0)
    agent = ppo_atari.Agent(9)
    if not channels_last:  # the layout CleanRL uses
        agent.features = lambda x: agent.network(x / 255.0)
    optimizer = torch.optim.Adam(agent.parameters(), lr=2.5e-4, eps=1e-5)
    obs = torch.randint(0, 256, (1024, 4, 84, 84), dtype=torch.uint8)
    if channels_last:
        agent = agent.to(memory_format=torch.channels_last)
        obs = obs.contiguous(memory_format=torch.channels_last)
    actions, best = torch.randint(0, 9, (1024,)), float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(4):
            for mb in torch.randperm(1024).split(256):
                _, logprob, entropy, value = agent.get_action_and_value(obs[mb], actions[mb])
                loss = -logprob.mean() - 0.01 * entropy.mean() + value.pow(2).mean()
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(agent.parameters(), 0.5)
                optimizer.step()
        best = min(best, time.perf_counter() - start)
    return best


def script_sps(script, args, extra=(), env=None):
    with tempfile.TemporaryDirectory() as runs_dir:
        command = [sys.executable, os.path.join(ROOT, script), "--env-id", args.env_id, "--num-envs", str(args.num_envs),
                   "--total-timesteps", str(args.script_steps), "--runs-dir", runs_dir, *extra]
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True, env={**os.environ, **(env or {})})
        (events,) = glob.glob(os.path.join(runs_dir, "*", "events.out.tfevents.*"))
        return EventAccumulator(events).Reload().Scalars("charts/SPS")[-1].value


if __name__ == "__main__":
    args = tyro.cli(Args)
    rows = []
    native = env_only_sps(lambda: ppo_atari.make_vector_env(args.env_id, args.num_envs, 0), args.num_envs, args.env_steps)
    rows.append(("env only: ale_py AtariVectorEnv (ours)", native, "1.00 x native env"))
    sync = env_only_sps(lambda: sb3_sync_vector_env(args.env_id, args.num_envs), args.num_envs, args.env_steps // 4)
    rows.append(("env only: SyncVectorEnv + SB3 wrappers", sync, f"{sync / native:.2f} x native env"))
    nchw, channels_last = ppo_update_seconds(False), ppo_update_seconds(True)
    rows.append(("one PPO update (1,024 samples x 4 epochs), NCHW as CleanRL", 1024 / nchw, f"{nchw:.2f} s per update"))
    rows.append(("one PPO update, channels_last (ours)", 1024 / channels_last, f"{channels_last:.2f} s per update, {nchw / channels_last:.2f}x faster"))
    ppo = script_sps("ppo_atari.py", args, ["--save-steps", str(10**9)])
    rows.append(("ppo_atari.py", ppo, f"{ppo / native:.2f} x native env"))
    ppo_spinning = script_sps("ppo_atari.py", args, ["--save-steps", str(10**9)], env={"OMP_WAIT_POLICY": "ACTIVE"})
    rows.append(("ppo_atari.py with spinning OpenMP threads (OMP_WAIT_POLICY=ACTIVE)", ppo_spinning,
                 f"{ppo_spinning / native:.2f} x native env; the scripts' PASSIVE is {ppo / ppo_spinning:.2f}x faster"))
    quick_eval = ["--n-eval-episodes", "1"]
    distill = script_sps("distill.py", args, quick_eval)
    rows.append(("distill.py", distill, f"{distill / native:.2f} x native env (target >= 0.33)"))
    one_epoch = script_sps("distill.py", args, [*quick_eval, "--update-epochs", "1"])
    rows.append(("distill.py --update-epochs 1 (default 2)", one_epoch, f"{one_epoch / native:.2f} x native env"))
    spinning = script_sps("distill.py", args, quick_eval, env={"OMP_WAIT_POLICY": "ACTIVE"})
    rows.append(("distill.py with spinning OpenMP threads (OMP_WAIT_POLICY=ACTIVE)", spinning,
                 f"{spinning / native:.2f} x native env; the scripts' PASSIVE is {distill / spinning:.2f}x faster"))
    rnd = script_sps("distill_rnd.py", args, quick_eval)
    rows.append(("distill_rnd.py", rnd, f"{rnd / distill:.2f} x distill.py (target >= 0.70)"))
    unc = script_sps("distill_rnd_uncertainty.py", args, quick_eval)
    rows.append(("distill_rnd_uncertainty.py", unc, f"{unc / rnd:.2f} x distill_rnd.py (target >= 0.85)"))

    machine = f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, {time.strftime('%Y-%m-%d')}"
    table = [f"Throughput on {args.env_id}, {args.num_envs} envs ({machine}):", "",
             "| what | steps/s | ratio |", "|---|---:|---|"]
    table += [f"| {name} | {sps:,.0f} | {ratio} |" for name, sps, ratio in rows]
    text = "\n".join(table) + "\n"
    print(text)
    os.makedirs(os.path.dirname(os.path.join(ROOT, args.output)), exist_ok=True)
    with open(os.path.join(ROOT, args.output), "w") as f:
        f.write(text)
