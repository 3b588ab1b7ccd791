"""Figures and tables of the campaign, made from its committed results only (`campaign.py report`).

The unit of every comparison is a run's score ratio: its 30-game sampled score over the teacher's
sampled score on the same game seeds. Aggregates follow Agarwal et al. 2021 (rliable): per script,
the interquartile mean (IQM) of the ratios over all runs of all game x teacher cells, with 95%
stratified-bootstrap confidence intervals (runs resampled within each cell), and the probability
that a variant's run beats a distill.py run of the same cell (with its own interval). A tier is
aggregated over all its teachers and, where it has several levels, over each level's cells (the seed
project's question: does curiosity help more with a good teacher?). Only cells that have every script at
the seeds the most complete cell has enter, so every cell weighs the same; cells still running wait.
"""

import os
import warnings

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from campaign import LEVELS, TEACHERS  # noqa: E402  (teacher levels, weakest first; the teachers of each tier)
from plot import resample  # noqa: E402  (the same resampled learning curve as the quick benchmark)

COLOURS = {"distill": "tab:blue", "distill_rnd": "tab:orange", "distill_rnd_uncertainty": "tab:green",
           "curiosity_only": "tab:red", "width0.5": "tab:purple", "width0.25": "tab:brown"}
BOOTSTRAP_REPS = 2000
# Rusu et al. 2016, Table 2: students of a DQN at 25% / 7% / 4% of its parameters scored 108% / 102% / 84%.
RUSU_2016 = [(0.25, 1.08), (0.07, 1.02), (0.04, 0.84)]


def ratio(result):
    return result["mean"] / result["teacher_sampled_mean"]


def cells(results):
    """{(game, teacher): {variant: {seed: result}}}"""
    table = {}
    for r in results:
        table.setdefault((r["game"], r["teacher"]), {}).setdefault(r["variant"], {})[r["seed"]] = r
    return table


def score_matrices(tier_results, variants):
    """{variant: (seeds x cells) matrix of score ratios}, the cells in it, their seeds, and the cells left waiting.

    The seeds are those of the cell with the most seeds that every variant has run; a cell enters if every
    variant has run all of them (a cell still running its seeds waits rather than shrink the others)."""
    table = cells(tier_results)
    shared = {key: set.intersection(*[set(table[key].get(variant, {})) for variant in variants]) for key in sorted(table)}
    seeds = sorted(max(shared.values(), key=len, default=set()))
    keys = [key for key in shared if shared[key] >= set(seeds)]
    matrices = {variant: np.array([[ratio(table[key][variant][seed]) for key in keys] for seed in seeds]).reshape(len(seeds), len(keys))
                for variant in variants}
    return matrices, keys, seeds, [key for key in shared if key not in keys]


def iqm_intervals(matrices, reps=BOOTSTRAP_REPS, seed=0):
    """{variant: (IQM, low, high)} of the score ratios, 95% stratified-bootstrap CIs (rliable)."""
    from rliable import library as rly
    from rliable import metrics

    with warnings.catch_warnings():  # arch, under rliable, deprecates the RandomState that makes this reproducible
        warnings.simplefilter("ignore", FutureWarning)
        np.random.seed(seed)  # rliable 1.2 draws its resamples from numpy's global RNG, whatever random_state says
        points, intervals = rly.get_interval_estimates(matrices, lambda x: np.array([metrics.aggregate_iqm(x)]), reps=reps,
                                                       random_state=np.random.RandomState(seed))
    return {k: (float(points[k][0]), float(intervals[k][0][0]), float(intervals[k][1][0])) for k in matrices}


def improvement_probabilities(matrices, baseline="distill", reps=BOOTSTRAP_REPS, seed=0):
    """{variant: (P(variant > baseline), low, high)}: the chance that a run of the variant beats a run of the
    baseline on the same cell, averaged over cells (ties count half), with 95% stratified-bootstrap CIs."""
    from rliable import library as rly
    from rliable import metrics

    pairs = {v: (m, matrices[baseline]) for v, m in matrices.items() if v != baseline}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        np.random.seed(seed)
        points, intervals = rly.get_interval_estimates(pairs, metrics.probability_of_improvement, reps=reps,
                                                       random_state=np.random.RandomState(seed))
    return {k: (float(points[k]), float(np.ravel(intervals[k])[0]), float(np.ravel(intervals[k])[-1])) for k in pairs}


def mean_interval(values):
    """The mean of a few seeds' values and its 95% Student t-interval (a percentile bootstrap of 2-5 values is
    too narrow: of two seeds it is their range)."""
    from scipy import stats

    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return float(values.mean()), float("nan"), float("nan")
    half = float(stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values)))
    return float(values.mean()), float(values.mean()) - half, float(values.mean()) + half


def difference_interval(values, baseline_values):
    """mean(values) - mean(baseline_values) and its 95% Welch t-interval (independent seeds, unequal variances)."""
    from scipy import stats

    a, b = np.asarray(values, dtype=float), np.asarray(baseline_values, dtype=float)
    difference = float(a.mean() - b.mean())
    if len(a) < 2 or len(b) < 2:
        return difference, float("nan"), float("nan")
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    if va + vb == 0:
        return difference, difference, difference
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(stats.t.ppf(0.975, dof) * np.sqrt(va + vb))
    return difference, difference - half, difference + half


def reading(low, high):
    """What a difference interval says, in words."""
    if np.isnan(low):
        return "needs 2+ seeds of each"
    return "higher" if low > 0 else "lower" if high < 0 else "no detectable difference"


def curve_of(result, grid, window):
    curve = result["scalars"].get("charts/episodic_return", [])
    return resample(curve, grid, window) if curve else np.full(len(grid), np.nan)


TRAINING_SPANS = 5  # the training-games table reads each run in fifths


def training_by_span(result):
    """The acting student's training games: mean return of the games that ended in each fifth of the run, over the
    teacher's sampled score (NaN before the first game). Reads how fast a script learns, not where it ends."""
    grid = np.arange(1, TRAINING_SPANS + 1) * result["steps"] / TRAINING_SPANS
    return curve_of(result, grid, result["steps"] / TRAINING_SPANS) / result["teacher_sampled_mean"]


def learning_figure(path, title, runs_by_variant, teacher_score, points=40, smoothing=0.1):
    """Mean learning curve of each variant over its seeds, a +- one std band in the line's colour, the teacher dashed."""
    steps = max(r["steps"] for runs in runs_by_variant.values() for r in runs)
    grid = np.linspace(steps / points, steps, points)
    figure, axis = plt.subplots(figsize=(8, 4.5))
    for variant, runs in runs_by_variant.items():
        curves = np.array([curve_of(r, grid, smoothing * steps) for r in runs])
        with warnings.catch_warnings():  # grid points before any game ended are NaN in every seed
            warnings.simplefilter("ignore", RuntimeWarning)
            mean, std = np.nanmean(curves, axis=0), np.nanstd(curves, axis=0)
        final = np.mean([ratio(r) for r in runs])
        (line,) = axis.plot(grid, mean, color=COLOURS.get(variant), label=f"{variant} ({len(runs)} seed{'s' if len(runs) != 1 else ''}, final {final:.0%})")
        axis.fill_between(grid, mean - std, mean + std, color=line.get_color(), alpha=0.2)
    axis.axhline(teacher_score, color="black", linestyle="--", label=f"teacher, sampled ({teacher_score:.0f})")
    axis.set_title(title)
    axis.set_xlabel("environment steps (agent steps; frames = 4x)")
    axis.set_ylabel("episodic return (whole game, acting student)")
    axis.grid(alpha=0.3)
    axis.legend(loc="best", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def aggregate_figure(path, iqm_by_group, poi_by_group):
    """One row per aggregate (a tier, or a tier's cells of one teacher level), the scripts side by side in it."""
    groups = list(iqm_by_group)
    figure, axes = plt.subplots(1, 2, figsize=(12, 1.6 + 0.75 * len(groups)))
    variants = list(dict.fromkeys(v for group in groups for v in iqm_by_group[group]))
    offset = {variant: (i - (len(variants) - 1) / 2) * 0.22 for i, variant in enumerate(variants)}
    for y, group in enumerate(groups):
        for variant, (point, low, high) in iqm_by_group[group].items():
            axes[0].errorbar(point, y + offset[variant], xerr=[[point - low], [high - point]], fmt="o", color=COLOURS.get(variant),
                             capsize=3, label=variant if y == 0 else None)
            if variant in poi_by_group[group]:
                p, lo, hi = poi_by_group[group][variant]
                axes[1].errorbar(p, y + offset[variant], xerr=[[p - lo], [hi - p]], fmt="o", color=COLOURS.get(variant), capsize=3)
    labels = [group if ", " in group else f"{group}, every teacher" for group in groups]
    for axis in axes:
        axis.set_yticks(range(len(groups)), labels)
        axis.set_ylim(len(groups) - 0.5, -0.5)
        axis.grid(alpha=0.3, axis="x")
    axes[1].set_yticklabels([])
    axes[0].axvline(1.0, color="black", linestyle="--")
    axes[0].set_xlabel("IQM of student / teacher score (95% CI)")
    axes[1].axvline(0.5, color="black", linestyle="--")
    axes[1].set_xlabel("P(variant's run beats distill.py's, same cell) (95% CI)")
    figure.legend(loc="upper center", ncol=len(variants), frameon=False)
    figure.tight_layout(rect=(0, 0, 1, 1 - 0.5 / (1.6 + 0.75 * len(groups))))
    figure.savefig(path, dpi=110)
    plt.close(figure)


def parameter_fraction(width, game):
    import distill  # registers ale-py's games with gymnasium

    with distill.gym.make(game) as env:
        num_actions = int(env.action_space.n)

    scaled = lambda n: max(1, round(n * width))  # noqa: E731  (distill.py's --student-width)
    student = distill.PolicyCNN(num_actions, (scaled(16), scaled(32), scaled(32)), scaled(256))
    return distill.count_parameters(student) / distill.count_parameters(distill.PolicyCNN(num_actions))


def compression_figure(path, rows):
    """rows: (game x teacher label, steps, fraction, mean ratio, low, high); a colour per cell, a line style per horizon."""
    figure, axis = plt.subplots(figsize=(10, 4.5))
    labels, horizons = sorted({r[0] for r in rows}), sorted({r[1] for r in rows})
    for (label, steps) in sorted({r[:2] for r in rows}, key=lambda key: (horizons.index(key[1]), key[0])):
        points = sorted(r[2:] for r in rows if r[:2] == (label, steps))
        x, mean, low, high = (np.array(c) for c in zip(*points))
        axis.errorbar(x, mean, yerr=[mean - low, high - mean], fmt="o" + ["-", "--", ":"][horizons.index(steps) % 3], capsize=4,
                      color=f"C{labels.index(label)}", label=f"{label}, {steps:,} steps")
    axis.plot(*zip(*RUSU_2016), "k^-.", label="Rusu et al. 2016 (DQN teachers, far longer training)")
    axis.axhline(1.0, color="grey", linestyle=":")
    axis.set_xscale("log")
    axis.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    axis.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    axis.set_xticks([0.01, 0.02, 0.04, 0.07, 0.1, 0.25])
    axis.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    axis.set_xlabel("student parameters / teacher parameters")
    axis.set_ylabel("student / teacher score (mean over seeds, 95% CI)")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the axes: no point hidden
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


QUALITY_BAR = 0.9  # distill.py with its defaults: >= 90% of every shipped teacher's sampled score within 500k steps


def quality_bar(by_tier):
    """Lines of the quality-bar table: distill.py's mean ratio per game x teacher at 100k and 500k steps."""
    by_cell = {}
    for tier in ("100k", "500k"):
        for key, variants in cells(by_tier.get(tier, [])).items():
            if "distill" in variants:
                by_cell.setdefault(key, {})[tier] = [ratio(r) for r in variants["distill"].values()]
    if not by_cell:
        return []
    lines = [f"## The quality bar: distill.py, defaults, >= {QUALITY_BAR:.0%} of the teacher's sampled score within 500k steps", "",
             "| game | teacher | 100k steps: ratio (seeds, 95% CI) | 500k steps: ratio (seeds, 95% CI) | met |", "|---|---|---|---|---|"]
    # The 500k tier runs some of each game's teachers (campaign.TEACHERS); the others are not missing runs.
    for (game, teacher), tiers in sorted(by_cell.items()):
        in_500k_grid = teacher in TEACHERS["500k"].get(game, [])
        columns = []
        for tier in ("100k", "500k"):
            if tier in tiers:
                mean, low, high = mean_interval(tiers[tier])
                interval = "" if np.isnan(low) else f", {low:.0%} to {high:.0%}"
                columns.append(f"{mean:.0%} ({len(tiers[tier])}{interval})")
            else:
                columns.append("not run yet" if in_500k_grid else "not in the 500k grid")
        if np.mean(tiers.get("100k", [0])) >= QUALITY_BAR:
            met = "yes, at 100k"
        elif "500k" in tiers:
            met = "yes, at 500k" if np.mean(tiers["500k"]) >= QUALITY_BAR else "**no**"
        else:
            met = "not yet (below at 100k; 500k not run yet)" if in_500k_grid else "**no** at 100k (500k not in the grid)"
        lines.append(f"| {game} | {teacher} | {columns[0]} | {columns[1]} | {met} |")
    return lines + [""]


def main(results, out_dir):
    if not results:
        raise SystemExit("error: no campaign results yet; run `python benchmark/campaign.py run` first")
    os.makedirs(out_dir, exist_ok=True)
    by_tier = {}
    for r in results:
        by_tier.setdefault(r["tier"], []).append(r)
    lines = ["# Campaign results", "", "Made by `python benchmark/campaign.py report` from results/campaign/ "
             f"({len(results)} runs). Ratio = student's 30-game sampled score / teacher's sampled score.", ""]
    iqm_by_group, poi_by_group = {}, {}
    for tier in [t for t in ("100k", "500k", "ablation", "compression", "compression_500k", "smoke") if t in by_tier]:
        table = cells(by_tier[tier])
        lines += [f"## Tier {tier}", "", "| game | teacher | variant | seeds | score (mean +- sd) | ratio | 95% CI | AUC (mean return) | agreement |",
                  "|---|---|---|---:|---:|---:|---|---:|---:|"]
        for (game, teacher), variants in sorted(table.items()):
            teacher_score = next(iter(next(iter(variants.values())).values()))["teacher_sampled_mean"]
            for variant, runs in sorted(variants.items(), key=lambda kv: list(COLOURS).index(kv[0]) if kv[0] in COLOURS else 99):
                runs = [runs[s] for s in sorted(runs)]
                mean, low, high = mean_interval([ratio(r) for r in runs])
                steps = runs[0]["steps"]
                grid = np.linspace(steps / 40, steps, 40)
                curves = np.array([curve_of(r, grid, 0.1 * steps) for r in runs])
                auc = f"{np.nanmean(curves):.0f}" if np.isfinite(curves).any() else "-"
                agreement = [np.mean([v for _, v in r["scalars"]["charts/teacher_agreement"][-max(1, len(r["scalars"]["charts/teacher_agreement"]) // 4):]])
                             for r in runs if r["scalars"].get("charts/teacher_agreement")]
                scores = [r["mean"] for r in runs]
                interval = "-" if np.isnan(low) else f"{low:.0%} to {high:.0%}"
                agreement = f"{np.mean(agreement):.2f}" if agreement else "-"
                lines.append(f"| {game} | {teacher} ({teacher_score:.0f}) | {variant} | {len(runs)} | {np.mean(scores):.0f} +- {np.std(scores):.0f} "
                             f"| {mean:.0%} | {interval} | {auc} | {agreement} |")
            if tier in ("100k", "500k", "smoke"):
                learning_figure(os.path.join(out_dir, f"{tier}_{game}_{teacher}.png"), f"{game}, {teacher} teacher, {tier} steps",
                                {v: [runs[s] for s in sorted(runs)] for v, runs in variants.items()}, teacher_score)
        lines.append("")
        if tier in ("100k", "500k"):
            names = [v for v in COLOURS if any(v in c for c in table.values())]
            lines += ["Mean ratio per cell over its seeds, with the 95% t-interval:", "",
                      "| game | teacher | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
            for (game, teacher), variants in sorted(table.items()):
                entries = []
                for variant in names:
                    if variant not in variants:
                        entries.append("-")
                        continue
                    mean, low, high = mean_interval([ratio(r) for r in variants[variant].values()])
                    entries.append(f"{mean:.0%}" + ("" if np.isnan(low) else f" ({low:.0%} to {high:.0%})"))
                lines.append(f"| {game} | {teacher} | " + " | ".join(entries) + " |")
            comparisons = []
            for (game, teacher), variants in sorted(table.items()):
                baseline = [ratio(r) for r in variants.get("distill", {}).values()]
                for variant in ("distill_rnd", "distill_rnd_uncertainty"):
                    if variant in variants and baseline:
                        values = [ratio(r) for r in variants[variant].values()]
                        comparisons.append((game, teacher, variant, len(values), len(baseline), *difference_interval(values, baseline)))
            tested = sum(not np.isnan(c[6]) for c in comparisons)  # those with 2+ seeds on each side have an interval
            chance = (f" Read per cell: each interval excludes 0 by chance one time in twenty, so among these {tested} the chance "
                      f"that at least one does is {1 - 0.95 ** tested:.0%}.") if tested else ""
            lines += [""] if not comparisons else ["", "Each variant against distill.py in the same cell: difference of the mean ratios, "
                      f"95% Welch t-interval over seeds.{chance}", "",
                      "| game | teacher | variant | seeds (variant / distill.py) | ratio minus distill.py's | 95% CI | reading |",
                      "|---|---|---|---|---:|---|---|"]
            for game, teacher, variant, n_variant, n_baseline, difference, low, high in comparisons:
                interval = "-" if np.isnan(low) else f"{low * 100:+.0f} to {high * 100:+.0f} points"
                lines.append(f"| {game} | {teacher} | {variant} | {n_variant} / {n_baseline} | "
                             f"{difference * 100:+.0f} points | {interval} | {reading(low, high)} |")
            steps = by_tier[tier][0]["steps"]
            spans = [f"{k * steps / TRAINING_SPANS / 1000:g}k-{(k + 1) * steps / TRAINING_SPANS / 1000:g}k" for k in range(TRAINING_SPANS)]
            lines += ["", "Training games of the acting student, mean share of the teacher's sampled score in each fifth of the run, "
                      "mean over seeds (how fast each script learns; the ratios above are where it ends):", "",
                      "| game | teacher | variant | " + " | ".join(spans) + " |", "|---|---|---|" + "---:|" * len(spans)]
            for (game, teacher), variants in sorted(table.items()):
                for variant in [v for v in names if v in variants]:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", category=RuntimeWarning)  # a span no seed reached is NaN, shown as "-"
                        shares = np.nanmean([training_by_span(r) for r in variants[variant].values()], axis=0)
                    lines.append(f"| {game} | {teacher} | {variant} | " + " | ".join("-" if np.isnan(x) else f"{x:.0%}" for x in shares) + " |")
            lines.append("")
            variants = [v for v in ("distill", "distill_rnd", "distill_rnd_uncertainty") if any(v in c for c in table.values())]
            if len(variants) < 2:
                lines += ["Aggregate: waits for a variant beside distill.py (a comparison of one script with nothing says nothing).", ""]
                continue
            several_levels = len({teacher for _, teacher in table}) > 1
            levels = [level for level in LEVELS if several_levels and sum(teacher == level for _, teacher in table) >= 2]
            groups = [("every teacher", by_tier[tier])] + [(f"{level} teachers", [r for r in by_tier[tier] if r["teacher"] == level])
                                                           for level in levels]
            for group, group_results in groups:
                matrices, keys, seeds, waiting = score_matrices(group_results, variants)
                waits = "; waiting for more seeds: " + ", ".join(f"{game} {teacher}" for game, teacher in waiting) if waiting else ""
                if len(seeds) < 2:
                    lines += [f"Aggregate, {group}: waits for 2 or more seeds in a cell's every script (now: {len(seeds)}); one run per "
                              "cell gives bootstrap intervals of zero width, which would say nothing.", ""]
                    continue
                name = tier if group == "every teacher" else f"{tier}, {group}"
                iqm_by_group[name] = iqm_intervals(matrices)
                poi_by_group[name] = improvement_probabilities(matrices)
                lines += [f"Aggregate, {group}: {len(keys)} game x teacher cell{'s' if len(keys) != 1 else ''}, seeds "
                          f"{', '.join(map(str, seeds))}{waits} (rliable, {BOOTSTRAP_REPS} stratified bootstrap resamples):", "",
                          "| variant | IQM ratio | 95% CI | P(beats distill.py) | 95% CI |", "|---|---:|---|---:|---|"]
                for variant, (point, low, high) in iqm_by_group[name].items():
                    p = poi_by_group[name].get(variant)
                    lines.append(f"| {variant} | {point:.0%} | {low:.0%} to {high:.0%} | "
                                 + (f"{p[0]:.2f} | {p[1]:.2f} to {p[2]:.2f} |" if p else "- | - |"))
                lines.append("")
    lines += quality_bar(by_tier)
    if iqm_by_group:
        aggregate_figure(os.path.join(out_dir, "aggregate.png"), iqm_by_group, poi_by_group)
    if "ablation" in by_tier:
        for (game, teacher), variants in cells(by_tier["ablation"]).items():
            main_runs = cells(by_tier.get("100k", [])).get((game, teacher), {})
            runs = {**{v: list(main_runs[v].values()) for v in ("distill", "distill_rnd") if v in main_runs},
                    **{v: list(r.values()) for v, r in variants.items()}}
            learning_figure(os.path.join(out_dir, f"ablation_{game}_{teacher}.png"), f"{game}, {teacher} teacher: curiosity only",
                            runs, next(iter(next(iter(variants.values())).values()))["teacher_sampled_mean"])
    rows = []
    for tier, full_tier in (("compression", "100k"), ("compression_500k", "500k")):
        if tier not in by_tier:
            continue
        steps = by_tier[tier][0]["steps"]
        lines += [f"## Compression: distill.py's student at three widths, {steps:,} steps", "",
                  f"Width 1 is seeds 1-3 of the {full_tier} tier's distill.py in the same cell. Rusu et al. 2016 (DQN teachers, "
                  "far longer training): " + ", ".join(f"{fraction:.0%} of the parameters {score:.0%}" for fraction, score in RUSU_2016) + ".",
                  "", "| game | teacher | --student-width | parameters / teacher's | seeds | ratio | 95% CI |", "|---|---|---:|---:|---:|---:|---|"]
        for (game, teacher), variants in sorted(cells(by_tier[tier]).items()):
            full = cells(by_tier.get(full_tier, [])).get((game, teacher), {}).get("distill", {})
            widths = [("width1", {s: full[s] for s in sorted(full)[:3]}), *variants.items()]
            for variant, runs in sorted(widths, key=lambda item: -float(item[0].removeprefix("width"))):
                if runs:
                    width = float(variant.removeprefix("width"))
                    fraction, (mean, low, high) = parameter_fraction(width, game), mean_interval([ratio(r) for r in runs.values()])
                    rows.append((f"{game.removesuffix('NoFrameskip-v4')} {teacher}", steps, fraction, mean, low, high))
                    interval = "-" if np.isnan(low) else f"{low:.0%} to {high:.0%}"
                    lines.append(f"| {game} | {teacher} | {width:g} | {fraction:.1%} | {len(runs)} | {mean:.0%} | {interval} |")
        lines.append("")
    if rows:
        compression_figure(os.path.join(out_dir, "compression.png"), rows)
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write(text)
    print(text)
