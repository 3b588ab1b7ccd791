"""Figures and the results table of a benchmark/distill.sh run, from its TensorBoard event files.

    python benchmark/plot.py                                    # runs/benchmark/quick -> docs/benchmark/
    python benchmark/plot.py --runs-dir runs/benchmark/full --out-dir docs/benchmark/full

Expects <runs-dir>/<game>/<level>/<script>/seed<k>/<run>/events.out.tfevents.*. Draws one figure per
game and teacher level: the acting student's whole-game return against env steps, mean over seeds
with a band of +- one std, one colour per script, the teacher's score as a dashed line. Writes the
PNGs and `results.md`: final evaluation score (mean +- std over seeds), % of teacher, area under the
learning curve (the curve's mean over training: higher = learned sooner), teacher agreement (argmax
match on fresh rollouts, last quarter of training) and SPS.
"""

import glob
import os
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import tyro  # noqa: E402
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

COLOURS = {"distill": "tab:blue", "distill_rnd": "tab:orange", "distill_rnd_uncertainty": "tab:green"}


@dataclass
class Args:
    runs_dir: str = "runs/benchmark/quick"
    """the RUNS_DIR of benchmark/distill.sh"""
    out_dir: str = "docs/benchmark"
    """where the PNGs and results.md go"""
    points: int = 40
    """points of the resampled learning curve"""
    smoothing: float = 0.1
    """each point averages the games of the trailing fraction of the run (0.1: the last 10% of steps)"""


def read_run(run_dir):
    """One seed's scalars: the learning curve and the summary numbers (None where not logged)."""
    events = EventAccumulator(run_dir, size_guidance={"scalars": 0}).Reload()
    tags = events.Tags()["scalars"]
    scalar = lambda tag: [(e.step, e.value) for e in events.Scalars(tag)] if tag in tags else []
    last = lambda tag: scalar(tag)[-1][1] if scalar(tag) else None
    agreement = [value for _, value in scalar("charts/teacher_agreement")]
    return {"curve": scalar("charts/episodic_return"), "final": last("charts/eval_student_score"),
            "agreement": float(np.mean(agreement[-max(1, len(agreement) // 4):])) if agreement else None,
            "teacher": last("charts/eval_teacher_score") or last("charts/teacher_score"), "sps": last("charts/SPS")}


def resample(curve, grid, window):
    """A noisy (step, return) series -> at each grid point, the mean return of the games that ended
    in the trailing `window` of steps, carried forward where none did (so seeds share one x axis)."""
    steps, values = np.array(curve).T
    out, previous = np.full(len(grid), np.nan), np.nan
    for i, point in enumerate(grid):
        inside = values[(steps > point - window) & (steps <= point)]
        previous = inside.mean() if len(inside) else previous
        out[i] = previous
    return out


def collect(runs_dir):
    """{(game, level): {script: [run, ...]}} for every finished or partial run found."""
    found = {}
    for events in sorted(glob.glob(os.path.join(runs_dir, "*", "*", "*", "seed*", "*", "events.out.tfevents.*"))):
        run_dir = os.path.dirname(events)
        game, level, script = run_dir.split(os.sep)[-5:-2]
        run = read_run(run_dir)
        if run["curve"]:
            found.setdefault((game, level), {}).setdefault(script, []).append(run)
    return found


def mean_std(values):
    values = [v for v in values if v is not None]
    return (float(np.mean(values)), float(np.std(values))) if values else (None, None)


def main(args):
    found = collect(args.runs_dir)
    if not found:
        raise SystemExit(f"error: no runs with episodic returns under {args.runs_dir}; run benchmark/distill.sh first")
    os.makedirs(args.out_dir, exist_ok=True)
    lines = ["| game | teacher | script | seeds | final score | % of teacher | AUC (mean return) | agreement | SPS |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for (game, level), scripts in sorted(found.items()):
        max_step = max(run["curve"][-1][0] for runs in scripts.values() for run in runs)
        grid = np.linspace(max_step / args.points, max_step, args.points)
        window = max(grid[0], args.smoothing * max_step)
        figure, axis = plt.subplots(figsize=(8, 4.5))
        teacher_scores = []
        for script in sorted(scripts, key=lambda s: list(COLOURS).index(s) if s in COLOURS else 99):
            runs = scripts[script]
            curves = np.array([resample(run["curve"], grid, window) for run in runs])
            mean, std = np.nanmean(curves, axis=0), np.nanstd(curves, axis=0)
            (line,) = axis.plot(grid, mean, color=COLOURS.get(script), label=f"{script} ({len(runs)} seed{'s' if len(runs) > 1 else ''})")
            axis.fill_between(grid, mean - std, mean + std, color=line.get_color(), alpha=0.2)  # the band takes its line's colour
            teacher_scores += [run["teacher"] for run in runs if run["teacher"] is not None]
            final, final_std = mean_std([run["final"] for run in runs])
            teacher, _ = mean_std([run["teacher"] for run in runs])
            sps, _ = mean_std([run["sps"] for run in runs])
            agreement, _ = mean_std([run["agreement"] for run in runs])
            auc = float(np.nanmean(curves))
            cells = [game, level, script, str(len(runs)),
                     f"{final:.0f} +- {final_std:.0f}" if final is not None else "-",
                     f"{100 * final / teacher:.0f}%" if final is not None and teacher else "-",
                     f"{auc:.0f}", f"{agreement:.2f}" if agreement is not None else "-",
                     f"{sps:.0f}" if sps is not None else "-"]
            lines.append("| " + " | ".join(cells) + " |")
        if teacher_scores:
            axis.axhline(np.mean(teacher_scores), color="black", linestyle="--", label=f"teacher ({np.mean(teacher_scores):.0f})")
        axis.set_title(f"{game}: distilling the {level} teacher")
        axis.set_xlabel("environment steps (agent steps; frames = 4x)")
        axis.set_ylabel("episodic return (whole game, acting student)")
        axis.grid(alpha=0.3)
        axis.legend(loc="best")
        figure.tight_layout()
        figure.savefig(os.path.join(args.out_dir, f"{game}_{level}.png"), dpi=110)
        plt.close(figure)
    table = "\n".join(lines) + "\n"
    with open(os.path.join(args.out_dir, "results.md"), "w") as f:
        f.write(table)
    print(table)


if __name__ == "__main__":
    main(tyro.cli(Args))
