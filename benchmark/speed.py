"""Throughput on this machine, as one table: env-only SPS of the vector envs, SPS of every script.

    python benchmark/speed.py                       # ~6 minutes on 2 CPU cores
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


def script_sps(script, args, extra=()):
    with tempfile.TemporaryDirectory() as runs_dir:
        command = [sys.executable, os.path.join(ROOT, script), "--env-id", args.env_id, "--num-envs", str(args.num_envs),
                   "--total-timesteps", str(args.script_steps), "--runs-dir", runs_dir, *extra]
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        (events,) = glob.glob(os.path.join(runs_dir, "*", "events.out.tfevents.*"))
        return EventAccumulator(events).Reload().Scalars("charts/SPS")[-1].value


if __name__ == "__main__":
    args = tyro.cli(Args)
    rows = []
    native = env_only_sps(lambda: ppo_atari.make_vector_env(args.env_id, args.num_envs, 0), args.num_envs, args.env_steps)
    rows.append(("env only: ale_py AtariVectorEnv (ours)", native, "1.00 x native env"))
    sync = env_only_sps(lambda: sb3_sync_vector_env(args.env_id, args.num_envs), args.num_envs, args.env_steps // 4)
    rows.append(("env only: SyncVectorEnv + SB3 wrappers", sync, f"{sync / native:.2f} x native env"))
    ppo = script_sps("ppo_atari.py", args, ["--save-steps", str(10**9)])
    rows.append(("ppo_atari.py", ppo, f"{ppo / native:.2f} x native env"))
    quick_eval = ["--n-eval-episodes", "1"]
    distill = script_sps("distill.py", args, quick_eval)
    rows.append(("distill.py", distill, f"{distill / native:.2f} x native env (target >= 0.33)"))
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
