"""Throughput on this machine, as one table: env-only SPS of the vector envs, SPS of every script.

    python benchmark/speed.py                       # ~10 minutes on 2 CPU cores
    python benchmark/speed.py --rounds 5            # more rounds, steadier medians
    git worktree add /tmp/before <commit> && python benchmark/speed.py --baseline-tree /tmp/before
                                                    # what a change costs: ppo_atari.py, distill.py vs <commit>

Env-only rows step random actions; script rows run each script for `--script-steps` agent steps
(startup excluded: the SPS it logs itself) with the shipped teacher for the distill scripts.
Ratios are those the issues ask for: distill / env, distill_rnd / distill, uncertainty / rnd.

The speed of a shared (virtual) machine drifts by tens of percent within minutes, so measurements
taken minutes apart do not divide well. The ratio rows are therefore measured in `--rounds`
interleaved rounds (env, distill, ..., uncertainty; again), each ratio taken within its round, and
the table shows medians over rounds, with the spread of the ratios."""

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
    script_steps: int = 8192
    """agent steps per script run"""
    rounds: int = 3
    """interleaved rounds of the ratio measurements (medians are reported)"""
    output: str = "docs/speed.md"
    """where the markdown table is written"""
    ratios_only: bool = False
    """only the interleaved ratio rows (skips the SB3 env, PPO update and ppo_atari.py rows): a few minutes"""
    baseline_tree: str = ""
    """another checkout of this project (e.g. `git worktree add /tmp/before <commit>`): measures only its
    ppo_atari.py and distill.py against ours, in interleaved rounds (default output docs/speed_baseline.md)"""


def env_only_sps(make, num_envs, steps, repeats=3):
    """Random actions, after a warm-up; the median of `repeats` timings (single timings vary by
    +-15% on this shared 2-core machine)."""
    envs = make()
    envs.reset(seed=0)
    rng = np.random.default_rng(0)
    n = envs.single_action_space.n
    for _ in range(steps // 10):
        envs.step(rng.integers(n, size=num_envs))
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            envs.step(rng.integers(n, size=num_envs))
        timings.append(num_envs * steps / (time.perf_counter() - start))
    envs.close()
    return float(np.median(timings))


def batched_ale_vector_env(env_id, num_envs):
    """ale_py's vector env as one batch of all games (no FIRE after a lost life: not our contract)."""
    import ale_py

    return ale_py.vector_env.AtariVectorEnv(num_envs=num_envs, noop_max=30, use_fire_reset=True, life_loss_info=True,
                                            reward_clipping=False, autoreset_mode=gym.vector.AutoresetMode.SAME_STEP,
                                            **ppo_atari.ale_settings(env_id))


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


def script_sps(script, args, extra=(), env=None, tree=ROOT):
    with tempfile.TemporaryDirectory() as runs_dir:
        command = [sys.executable, os.path.join(tree, script), "--env-id", args.env_id, "--num-envs", str(args.num_envs),
                   "--total-timesteps", str(args.script_steps), "--runs-dir", runs_dir, *extra]
        subprocess.run(command, cwd=tree, check=True, capture_output=True, env={**os.environ, **(env or {})})
        (events,) = glob.glob(os.path.join(runs_dir, "*", "events.out.tfevents.*"))
        return EventAccumulator(events).Reload().Scalars("charts/SPS")[-1].value


def median_and_spread(values):
    return float(np.median(values)), f"{min(values):.2f}-{max(values):.2f}"


def write_table(rows, args, rounds_note):
    gpu = f", {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ""
    machine = f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores{gpu}, torch {torch.__version__}, {time.strftime('%Y-%m-%d')}"
    table = [f"Throughput on {args.env_id}, {args.num_envs} envs ({machine}; {rounds_note}, "
             f"{args.script_steps:,} steps per script run):", "", "| what | steps/s | ratio |", "|---|---:|---|"]
    table += [f"| {name} | {value:,.0f} | {ratio} |" for name, value, ratio in rows]
    text = "\n".join(table) + "\n"
    print(text)
    os.makedirs(os.path.dirname(os.path.join(ROOT, args.output)), exist_ok=True)
    with open(os.path.join(ROOT, args.output), "w") as f:
        f.write(text)


if __name__ == "__main__":
    args = tyro.cli(Args)
    for name in ("num_envs", "env_steps", "script_steps", "rounds"):
        if getattr(args, name) <= 0:
            ppo_atari.fail(f"--{name.replace('_', '-')} must be positive, got {getattr(args, name)}")
    make_native = lambda: ppo_atari.AtariWrapperVectorEnv(args.env_id, args.num_envs)  # noqa: E731
    rows = []
    if args.baseline_tree:
        # Interleaved rounds again: each ratio is taken between runs minutes apart at most.
        timed = {}
        for round_index in range(args.rounds):
            for script, extra in (("ppo_atari.py", ["--save-steps", str(10**9)]), ("distill.py", ["--n-eval-episodes", "1"])):
                for tree, label in ((args.baseline_tree, "baseline"), (ROOT, "ours")):
                    timed.setdefault((script, label), []).append(script_sps(script, args, extra, tree=tree))
            print(f"baseline round {round_index + 1}/{args.rounds}: " + ", ".join(f"{k[0]} {k[1]} {v[-1]:.0f}" for k, v in timed.items()), flush=True)
        for script in ("ppo_atari.py", "distill.py"):
            ratio, spread = median_and_spread([o / b for o, b in zip(timed[(script, "ours")], timed[(script, "baseline")])])
            rows.append((f"{script} (baseline: {args.baseline_tree})", float(np.median(timed[(script, "baseline")])), "1.00"))
            rows.append((f"{script} (ours)", float(np.median(timed[(script, "ours")])), f"{ratio:.2f} x baseline, rounds {spread}"))
        if args.output == Args.output:  # never overwrite the main table with these rows
            args.output = "docs/speed_baseline.md"
        write_table(rows, args, f"{args.rounds} interleaved rounds of baseline and ours")
        sys.exit(0)
    if not args.ratios_only:
        sync = env_only_sps(lambda: sb3_sync_vector_env(args.env_id, args.num_envs), args.num_envs, args.env_steps // 4, repeats=1)
        batched = env_only_sps(lambda: batched_ale_vector_env(args.env_id, args.num_envs), args.num_envs, args.env_steps, repeats=1)
        native_now = env_only_sps(make_native, args.num_envs, args.env_steps, repeats=1)
        nchw, channels_last = ppo_update_seconds(False), ppo_update_seconds(True)
        ppo = script_sps("ppo_atari.py", args, ["--save-steps", str(10**9)])

    # The ratio rows, interleaved: every round times each of them once.
    quick_eval = ["--n-eval-episodes", "1"]
    variants = {
        "distill.py": ("distill.py", quick_eval, None),
        "distill.py --update-epochs 1 (default 2)": ("distill.py", [*quick_eval, "--update-epochs", "1"], None),
        "distill.py with spinning OpenMP threads (OMP_WAIT_POLICY=ACTIVE)": ("distill.py", quick_eval, {"OMP_WAIT_POLICY": "ACTIVE"}),
        "distill_rnd.py": ("distill_rnd.py", quick_eval, None),
        "distill_rnd_uncertainty.py": ("distill_rnd_uncertainty.py", quick_eval, None),
    }
    measured = {name: [] for name in ["env", *variants]}
    for round_index in range(args.rounds):
        measured["env"].append(env_only_sps(make_native, args.num_envs, args.env_steps, repeats=1))
        for name, (script, extra, env) in variants.items():
            measured[name].append(script_sps(script, args, extra, env))
        print(f"round {round_index + 1}/{args.rounds}: " + ", ".join(f"{k} {v[-1]:.0f}" for k, v in measured.items()), flush=True)
    sps = {name: float(np.median(values)) for name, values in measured.items()}
    per_round = lambda a, b: [x / y for x, y in zip(measured[a], measured[b])]  # noqa: E731

    rows.append(("env only: AtariWrapperVectorEnv (ours: one C++ env per game)", sps["env"], f"1.00 x our env (rounds: {', '.join(f'{v:,.0f}' for v in measured['env'])})"))
    if not args.ratios_only:
        rows.append(("env only: ale_py AtariVectorEnv, all games in one batch (no FIRE after a lost life)", batched,
                     f"{batched / native_now:.2f} x our env measured beside it"))
        rows.append(("env only: SyncVectorEnv + SB3 wrappers", sync, f"{sync / native_now:.2f} x our env measured beside it"))
        rows.append(("one PPO update (1,024 samples x 4 epochs), NCHW as CleanRL", 1024 / nchw, f"{nchw:.2f} s per update"))
        rows.append(("one PPO update, channels_last (ours)", 1024 / channels_last, f"{channels_last:.2f} s per update, {nchw / channels_last:.2f}x faster"))
        rows.append(("ppo_atari.py", ppo, f"{ppo / native_now:.2f} x our env measured beside it"))
    ratio, spread = median_and_spread(per_round("distill.py", "env"))
    rows.append(("distill.py", sps["distill.py"], f"{ratio:.2f} x our env, rounds {spread} (target >= 0.33)"))
    name = "distill.py --update-epochs 1 (default 2)"
    ratio, spread = median_and_spread(per_round(name, "env"))
    rows.append((name, sps[name], f"{ratio:.2f} x our env, rounds {spread}"))
    name = "distill.py with spinning OpenMP threads (OMP_WAIT_POLICY=ACTIVE)"
    ratio, spread = median_and_spread(per_round("distill.py", name))
    rows.append((name, sps[name], f"the scripts' PASSIVE threads are {ratio:.2f}x faster, rounds {spread}"))
    ratio, spread = median_and_spread(per_round("distill_rnd.py", "distill.py"))
    rows.append(("distill_rnd.py", sps["distill_rnd.py"], f"{ratio:.2f} x distill.py, rounds {spread} (target >= 0.70)"))
    ratio, spread = median_and_spread(per_round("distill_rnd_uncertainty.py", "distill_rnd.py"))
    rows.append(("distill_rnd_uncertainty.py", sps["distill_rnd_uncertainty.py"], f"{ratio:.2f} x distill_rnd.py, rounds {spread} (target >= 0.85)"))

    write_table(rows, args, f"{args.rounds} interleaved rounds")
