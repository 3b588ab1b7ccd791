"""Do continuations of one ppo_atari.py checkpoint learn alike? Their curves over the same steps, side by side.

    python benchmark/continuations.py --start 3679232 --steps 500000 \
        --runs fp32 runs/teachers/BeamRider.../ bf16 runs/bf16check/ "fp32, seed 2" runs/fp32ref/

How a speed lever (e.g. `ppo_atari.py --bf16-update`) is checked before a teacher run adopts it (docs/throughput.md):
continue one checkpoint with and without it over the same steps, and beside them a third continuation that differs only
by its seed. The first column is the reference; each other run's difference from it gets a bootstrap 95% interval
(games for the episode curves, updates for the losses). Updates follow one another, so those intervals are narrower than
the truth; the seed-2 column is the yardstick: a lever whose differences stay within the seed's own is within noise."""

import glob
import os
import sys
from dataclasses import dataclass

import numpy as np
import tyro

from campaign import read_scalars  # benchmark/campaign.py, beside this script

TAGS = ["charts/episodic_return", "charts/episodic_length", "losses/entropy", "losses/approx_kl", "losses/clipfrac",
        "losses/value_loss", "losses/explained_variance"]


@dataclass
class Args:
    runs: dict[str, str]
    """label, run folder (its TensorBoard events files), label, folder, ...: the reference first"""
    start: int
    """the global step the continuations start from"""
    steps: int
    """how many steps past --start to compare"""


def window(run_dir, start, end):
    """{tag: values logged at steps in (start, end]}, read as the campaign reads a run (every events file of a resumed run)."""
    scalars = read_scalars(str(run_dir))
    return {tag: np.array([v for step, v in scalars[tag] if start < step <= end]) for tag in TAGS if tag in scalars}


def difference(reference, other, rng, resamples=5000):
    """Mean of `other` minus mean of `reference`, with a bootstrap 95% interval."""
    draws = [rng.choice(other, len(other)).mean() - rng.choice(reference, len(reference)).mean() for _ in range(resamples)]
    low, high = np.percentile(draws, [2.5, 97.5])
    return f"{other.mean() - reference.mean():+.3g} ({low:+.3g} to {high:+.3g})"


def table(runs, start, steps, seed=0):
    curves = {label: window(run_dir, start, start + steps) for label, run_dir in runs.items()}
    (reference, *others), rng = list(curves), np.random.default_rng(seed)
    lines = [f"| over steps {start:,}-{start + steps:,} | " + " | ".join(curves) + " | "
             + " | ".join(f"{o} - {reference}" for o in others) + " |", "|---" * (1 + len(curves) + len(others)) + "|"]
    for tag in TAGS:
        if any(len(c.get(tag, [])) == 0 for c in curves.values()):
            continue
        counts = "/".join(str(len(c[tag])) for c in curves.values())
        cells = [f"{c[tag].mean():.4g}" for c in curves.values()] + [difference(curves[reference][tag], curves[o][tag], rng) for o in others]
        lines.append(f"| `{tag}` ({counts} {'games' if 'episodic' in tag else 'updates'}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    args = tyro.cli(Args)
    missing = [d for d in args.runs.values() if not glob.glob(os.path.join(d, "events.out.tfevents.*"))]
    if len(args.runs) < 2 or missing or args.steps <= 0:
        print(f"error: give two or more --runs label folder pairs with TensorBoard events and a positive --steps"
              f"{f'; no events in {missing[0]!r}' if missing else ''}", file=sys.stderr)
        sys.exit(2)
    print(table(args.runs, args.start, args.steps))
