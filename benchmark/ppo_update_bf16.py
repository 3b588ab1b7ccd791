"""How much bf16 autocast would speed up ppo_atari.py's network on this CPU: fp32 against bf16, interleaved.

    python benchmark/ppo_update_bf16.py            # ~1 minute on 2 CPU cores
    python benchmark/ppo_update_bf16.py --rounds 12

Times what dominates ppo_atari.py (docs/throughput.md): one minibatch step of the PPO update (forward, backward and
Adam over 256 states, channels_last as the script has it) and the rollout's forward pass over 8 states. Each round
times fp32, then bf16, so the machine's drift divides out of the ratio; the table gives the median over rounds and
the spread of the ratio. bf16 runs the torso only, as `ppo_atari.py --bf16-update` does (the heads stay in fp32). A
speed-up says nothing about learning: bf16 keeps 8 bits of mantissa; docs/throughput.md compares the two on a continued
rung."""

import os
import statistics
import sys
import time
from dataclasses import dataclass

import torch
import tyro

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
import ppo_atari  # noqa: E402  (the teacher's network)


@dataclass
class Args:
    rounds: int = 6
    """interleaved rounds (fp32 then bf16 in each)"""
    threads: int = 2
    """torch threads (ppo_atari.py uses torch's default, one per core)"""


def timed(function, repeats):
    start = time.perf_counter()
    for _ in range(repeats):
        function()
    return (time.perf_counter() - start) / repeats


if __name__ == "__main__":
    args = tyro.cli(Args)
    if args.rounds < 1 or args.threads < 1:
        print("error: --rounds and --threads must be positive", file=sys.stderr)
        sys.exit(2)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    agent = ppo_atari.Agent(9).to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(agent.parameters(), lr=2.5e-4, eps=1e-5)
    obs = torch.randint(0, 256, (256, 4, 84, 84), dtype=torch.uint8).contiguous(memory_format=torch.channels_last)
    actions = torch.randint(0, 9, (256,))

    def update(bf16):
        _, log_prob, entropy, value = agent.get_action_and_value(obs, actions, bf16)  # as ppo_atari.py --bf16-update
        loss = -log_prob.mean() + 0.5 * value.pow(2).mean() - 0.01 * entropy.mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    def act(bf16):
        with torch.inference_mode():
            agent.get_action_and_value(obs[:8], bf16=bf16)

    for bf16 in (False, True):  # warm-up: oneDNN picks its kernels on the first call
        update(bf16)
        act(bf16)
    times = {(what, bf16): [] for what in ("update", "act") for bf16 in (False, True)}
    for _ in range(args.rounds):
        for bf16 in (False, True):
            times[("update", bf16)].append(timed(lambda: update(bf16), 4))
            times[("act", bf16)].append(timed(lambda: act(bf16), 50))
    print("| what | fp32 ms | bf16 ms | speed-up, median (rounds) |\n|---|---:|---:|---|")
    for what, label in (("update", "PPO minibatch step, 256 states"), ("act", "rollout forward, 8 states")):
        ratios = [a / b for a, b in zip(times[(what, False)], times[(what, True)])]
        print(f"| {label} | {statistics.median(times[(what, False)]) * 1e3:.1f} | {statistics.median(times[(what, True)]) * 1e3:.1f} "
              f"| {statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f}) |")
