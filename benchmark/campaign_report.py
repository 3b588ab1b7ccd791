"""Figures and tables of the campaign, made from its committed results only (`campaign.py report`).

The unit of every comparison is a run's score ratio: its 30-game sampled score over the teacher's
sampled score on the same game seeds. Aggregates follow Agarwal et al. 2021 (rliable): per script,
the interquartile mean (IQM) of the ratios over all runs of all game x teacher cells, with 95%
stratified-bootstrap confidence intervals (runs resampled within each cell), and the probability
that a variant's run beats a distill.py run of the same cell (with its own interval). A tier is
aggregated over all its teachers and, where it has several levels, over each level's cells (the seed
project's question: does curiosity help more with a good teacher?). Only cells that have every script at
the seeds the most complete cell has enter, so every cell weighs the same; cells still running wait.

Every comparison with distill.py (the 100k and 500k tiers, the sweeps) is also made on the difference itself: the
equal-weight mean over cells of (variant's mean ratio - distill.py's), a stratified bootstrap interval that carries the
teacher's own sampling noise, a stratified permutation test, Holm's correction across the comparisons of one table, and
at 500k steps an equivalence test (TOST) at +-5 points of the teacher's score. STATISTICS says how, in results.md's words.
"""

import csv
import functools
import os
import warnings
from collections import Counter

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

# Teacher levels (weakest first), the teachers the campaign began with, the teachers and sweeps of each tier.
from campaign import LEVELS, ROOT, SHIPPED_BEFORE, SWEEPS, TEACHERS, tier_steps  # noqa: E402
from plot import resample  # noqa: E402  (the same resampled learning curve as the quick benchmark)

COLOURS = {"distill": "tab:blue", "distill_rnd": "tab:orange", "distill_rnd_uncertainty": "tab:green",
           "curiosity_only": "tab:red", "width0.5": "tab:purple", "width0.25": "tab:brown"}
BOOTSTRAP_REPS = 2000
# Rusu et al. 2016, Table 2: students of a DQN at 25% / 7% / 4% of its parameters scored 108% / 102% / 84%.
RUSU_2016 = [(0.25, 1.08), (0.07, 1.02), (0.04, 0.84)]


def teacher_steps(result):
    """The training steps of the teacher the run distilled (a result without them ran against the one shipped before)."""
    return result.get("teacher_steps") or SHIPPED_BEFORE[(result["game"], result["teacher"])][0]


def teacher_label(result):
    """The teacher's name in every table: its level for a teacher shipped before, its level and steps for another file, so
    that results against two teacher files never share a label."""
    if teacher_steps(result) == SHIPPED_BEFORE[(result["game"], result["teacher"])][0]:
        return result["teacher"]
    return f"{result['teacher']} ({teacher_steps(result) / 1e6:.1f}M steps)"


@functools.lru_cache(maxsize=None)
def teacher_relative_se(game, level, steps):
    """The standard error of a teacher's sampled mean (its sampled_std over sqrt(episodes)) over that mean: the part of every
    score ratio's denominator that is noise."""
    rows = {(r["env_id"], r["level"], int(r["steps"])): (float(r["sampled_mean"]), float(r["sampled_std"]), int(r["episodes"]))
            for r in csv.DictReader(open(os.path.join(ROOT, "teachers", "teachers.csv")))}
    rows.update({(g, lv, row[0]): row[1:] for (g, lv), row in SHIPPED_BEFORE.items()})
    if (game, level, steps) not in rows:
        raise SystemExit(f"error: no sampled_std for the {game} {level} teacher of {steps} steps (teachers.csv, SHIPPED_BEFORE)")
    mean, std, episodes = rows[(game, level, steps)]
    return std / np.sqrt(episodes) / mean


def relative_se_of(result):
    return teacher_relative_se(result["game"], result["teacher"], teacher_steps(result))


# Two rows of teachers.csv had recorded the sampled score of the fp32 checkpoint, not of the fp16 file that ships (and that
# students learn from); the results of those cells copied it. {(game, level, recorded score): the shipped file's score}.
FP32_SCORES_RECORDED = {("MsPacmanNoFrameskip-v4", "good", 1764.33): 1843.0, ("QbertNoFrameskip-v4", "good", 4650.83): 4785.0}


def teacher_score(result):
    """The sampled score of the teacher file the run learned from (30 whole games on eval_teacher.py's seeds)."""
    recorded = result["teacher_sampled_mean"]
    return FP32_SCORES_RECORDED.get((result["game"], result["teacher"], recorded), recorded)


def ratio(result):
    return result["mean"] / teacher_score(result)


def cells(results):
    """{(game, teacher label): {variant: {seed: result}}}"""
    table = {}
    for r in results:
        table.setdefault((r["game"], teacher_label(r)), {}).setdefault(r["variant"], {})[r["seed"]] = r
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


ALPHA = 0.05  # of each family of tests, and 1 - the level of every uncorrected interval
EQUIVALENCE_MARGIN = 0.05  # the 500k tier's equivalence test: +-5 points of the teacher's score, in ratio units
# Resamples and permutations of each difference: a Bonferroni-corrected interval over 30 comparisons reads its 0.08% tails,
# which 20,000 resamples place on 16 values each.
DIFFERENCE_REPS = 20_000
STATISTICS = (
    "How the differences from distill.py are measured. A comparison's difference is the mean over its game x teacher cells, each "
    "cell weighing the same, of (the variant's mean ratio - distill.py's mean ratio) over the cell's seeds; 1 point is 1% of "
    "the teacher's sampled score. Its interval is a stratified percentile bootstrap ({reps:,} resamples): every replicate "
    "resamples each script's seeds within each cell and draws the teacher's true score once per cell, as a normal around its "
    "30-game sampled mean with that mean's standard error (teachers.csv: sampled_std / sqrt(30), {se_low:.1%} to {se_high:.1%} "
    "of the score for the teachers shipped on 2026-11-28), shared by every script of the cell as they share the teacher. Within a cell that draw only "
    "rescales the difference (both scripts divide by the same teacher score), so it widens a difference's interval far less "
    "than a single script's. The test of no difference is a stratified permutation test ({reps:,} permutations of the "
    "runs' script labels within each cell, the same equal-weight statistic): exact for any number of seeds, it conditions "
    "on the teachers' measured scores. Each table is one family: its p-values are Holm-adjusted over the table's "
    "comparisons (the family size is stated above each table), a reading of higher or lower needs a Holm-adjusted p < "
    "{alpha:g}, and beside each 95% interval stands the Bonferroni-corrected one (level 1 - {alpha:g}/family size). The "
    "reading follows the test, not the interval: a percentile bootstrap over 3-5 seeds is somewhat narrow (it can exclude 0 "
    "where the exact test cannot pass), so an interval is the size of a difference, the test whether it is there. With 5 seeds against 5 in one "
    "cell the smallest permutation p is 2/252 = 0.008 and with 3 against 3 it is 0.1: single cells cannot pass a "
    "family's correction, pooled comparisons can. Equivalence (every table of 500k-step runs): two one-sided permutation tests (TOST) of the "
    "difference against -{margin:g} and +{margin:g} points (the variant's runs shifted by the margin), p the larger of "
    "the two, Holm-adjusted over the family; 'equivalent within +-{margin:g} points' only where that passes."
).format(reps=DIFFERENCE_REPS, alpha=ALPHA, margin=EQUIVALENCE_MARGIN * 100,
         se_low=min(std / np.sqrt(n) / mean for _, mean, std, n in SHIPPED_BEFORE.values()),
         se_high=max(std / np.sqrt(n) / mean for _, mean, std, n in SHIPPED_BEFORE.values()))


def resampled_means(values, reps, rng):
    """Means of `reps` resamples (with replacement, same size) of a cell's seeds."""
    values = np.asarray(values, dtype=float)
    return values[rng.integers(0, len(values), (reps, len(values)))].mean(axis=1)


def bootstrap_cells(cells_runs, reps=DIFFERENCE_REPS, seed=0, teacher_noise=True):
    """Stratified bootstrap of each script's mean ratio in each cell.

    cells_runs: [(runs, relative_se)] per cell, `runs` one array of score ratios per script (the cell's seeds), `relative_se`
    the standard error of the cell's teacher score over that score. Returns a (scripts, reps, cells) array. With
    teacher_noise each replicate also draws the teacher's true score, once per cell for all its scripts."""
    rng = np.random.default_rng(seed)
    replicates = np.empty((len(cells_runs[0][0]), reps, len(cells_runs)))
    for j, (runs, relative_se) in enumerate(cells_runs):
        # sampled teacher score / true teacher score = 1 / (1 + relative_se z): the ratios scale by its inverse
        teacher = 1 + relative_se * rng.standard_normal(reps) if teacher_noise else np.ones(reps)
        for i, values in enumerate(runs):
            replicates[i, :, j] = resampled_means(values, reps, rng) / teacher
    return replicates


def percentile_interval(replicates, level):
    low, high = np.quantile(replicates, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def permutation_p(pairs, shift=0.0, alternative="two-sided", reps=DIFFERENCE_REPS, seed=0):
    """Stratified permutation test of the equal-weight mean over cells of mean(variant - shift) - mean(baseline).

    pairs: [(variant ratios, baseline ratios)] per cell. The null: within each cell the runs of the two scripts (the
    variant's moved by `shift`) are exchangeable, so their labels are permuted within cells. alternative: "two-sided",
    "greater" or "less" (the observed statistic against the permuted ones); p counts the observed arrangement."""
    rng = np.random.default_rng(seed)
    observed, permuted = 0.0, np.zeros(reps)
    for variant, baseline in pairs:
        runs = np.concatenate([np.asarray(variant, dtype=float) - shift, np.asarray(baseline, dtype=float)])
        n = len(variant)
        observed += runs[:n].mean() - runs[n:].mean()
        shuffled = rng.permuted(np.tile(runs, (reps, 1)), axis=1)
        permuted += shuffled[:, :n].mean(axis=1) - shuffled[:, n:].mean(axis=1)
    observed, permuted = observed / len(pairs), permuted / len(pairs)
    slack = 1e-12  # the same sum added in another order differs in its last bits
    extreme = {"greater": permuted >= observed - slack, "less": permuted <= observed + slack,
               "two-sided": np.abs(permuted) >= abs(observed) - slack}[alternative]
    return float((1 + extreme.sum()) / (1 + reps))


def tost_p(pairs, margin=EQUIVALENCE_MARGIN, reps=DIFFERENCE_REPS, seed=0):
    """Two one-sided tests of equivalence, |difference| < margin: the larger p of "difference > -margin" and "difference < margin"."""
    return max(permutation_p(pairs, -margin, "greater", reps, seed), permutation_p(pairs, margin, "less", reps, seed))


def smallest_p(pairs):
    """The smallest two-sided p a stratified permutation test of these cells can give: that of the most extreme arrangement
    (and its mirror where the scripts have as many runs) among all label permutations within the cells."""
    from math import comb

    arrangements = np.prod([float(comb(len(v) + len(b), len(v))) for v, b in pairs])
    return (2 if all(len(v) == len(b) for v, b in pairs) else 1) / arrangements


def holm(p_values):
    """Holm's step-down adjusted p-values: the k-th smallest p times (m - k + 1), made non-decreasing, capped at 1."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p, kind="stable")
    adjusted = np.minimum(1.0, np.maximum.accumulate((len(p) - np.arange(len(p))) * p[order]))
    out = np.empty(len(p))
    out[order] = adjusted
    return out


def difference_family(comparisons, equivalence=False, reps=DIFFERENCE_REPS):
    """One family of comparisons with distill.py, each [(variant ratios, distill.py ratios, teacher relative SE)] per cell.

    Returns a dict per comparison: the difference (equal-weight mean over cells), its 95% interval with and without the
    teacher's noise, its Bonferroni-corrected interval, the permutation p and its Holm adjustment, and with `equivalence`
    the TOST p and its Holm adjustment."""
    corrected_level = 1 - ALPHA / len(comparisons)
    rows = []
    for comparison in comparisons:
        runs = [((variant, baseline), relative_se) for variant, baseline, relative_se in comparison]
        noisy, exact = (np.subtract(*bootstrap_cells(runs, reps, teacher_noise=noise)).mean(axis=1) for noise in (True, False))
        pairs = [(variant, baseline) for variant, baseline, _ in comparison]
        rows.append({"difference": float(np.mean([np.mean(v) - np.mean(b) for v, b in pairs])),
                     "interval": percentile_interval(noisy, 1 - ALPHA), "interval_teacher_exact": percentile_interval(exact, 1 - ALPHA),
                     "corrected": percentile_interval(noisy, corrected_level), "p": permutation_p(pairs, reps=reps),
                     "reachable": smallest_p(pairs) < ALPHA / len(comparisons),
                     **({"tost_p": tost_p(pairs, reps=reps)} if equivalence else {})})
    for key in ("p", "tost_p") if equivalence else ("p",):
        for row, adjusted in zip(rows, holm([row[key] for row in rows])):
            row[f"holm_{key}"] = float(adjusted)
    return rows, corrected_level


def verdict(row):
    """A family row in words: a difference only when its Holm-adjusted test passes."""
    if row["holm_p"] < ALPHA:
        return "**higher**" if row["difference"] > 0 else "**lower**"
    return "not established"


def points(low, high):
    return f"{low * 100:+.1f} to {high * 100:+.1f}"


def curve_of(result, grid, window):
    curve = result["scalars"].get("charts/episodic_return", [])
    return resample(curve, grid, window) if curve else np.full(len(grid), np.nan)


TRAINING_SPANS = 5  # the training-games table reads each run in fifths


def training_by_span(result):
    """The acting student's training games: mean return of the games that ended in each fifth of the run, over the
    teacher's sampled score (NaN before the first game). Reads how fast a script learns, not where it ends."""
    grid = np.arange(1, TRAINING_SPANS + 1) * result["steps"] / TRAINING_SPANS
    return curve_of(result, grid, result["steps"] / TRAINING_SPANS) / teacher_score(result)


def learning_figure(path, title, runs_by_variant, teacher_mean, points=40, smoothing=0.1):
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
    axis.axhline(teacher_mean, color="black", linestyle="--", label=f"teacher, sampled ({teacher_mean:.0f})")
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


def short(key):
    """A cell's name in the comparison tables: `MsPacman good`."""
    game, teacher = key
    return f"{game.removesuffix('NoFrameskip-v4')} {teacher}"


def ordered_labels(keys):
    """The teacher labels of these cells, weakest level first (a retrained teacher after the one shipped before)."""
    return sorted({teacher for _, teacher in keys}, key=lambda label: (LEVELS.index(label.split(" (")[0]), label))


def cell_relative_se(variants):
    """The relative standard error of the teacher of a cell ({variant: {seed: result}}); all its runs share that teacher."""
    return relative_se_of(next(iter(next(iter(variants.values())).values())))


def family_lines(comparisons, equivalence=False, family=None):
    """The table of one family of comparisons with distill.py. comparisons: [(what, cells)], cells
    [(variant ratios, distill.py ratios, teacher relative SE)]; the first is the one whose teacher noise the text spells out.
    family: difference_family's answer for these comparisons, where the caller needs its rows too."""
    rows, corrected_level = family or difference_family([cells_ for _, cells_ in comparisons], equivalence)
    first = rows[0]
    reachable = sum(row["reachable"] for row in rows)
    lines = [f"Family: {len(rows)} comparison{'s' if len(rows) != 1 else ''} with distill.py (Holm-adjusted p; the corrected "
             f"intervals are Bonferroni's {corrected_level:.2%}). With these seeds {reachable} of them can pass the correction at "
             f"all (Holm's first step needs p < {ALPHA:g}/{len(rows)}; the smallest permutation p of a comparison is 2 over the "
             f"number of ways to split its runs, 2/252 for 5 runs against 5 in one cell). The teachers' noise: {comparisons[0][0]}'s 95% interval is "
             f"{points(*first['interval'])} points with it, {points(*first['interval_teacher_exact'])} with the teachers' scores "
             "taken as exact.", "",
             "| comparison | cells, runs (variant / distill.py) | difference | 95% CI | corrected CI | p | Holm p | reading |"
             + (" TOST p | TOST Holm p | equivalence |" if equivalence else ""),
             "|---|---|---:|---|---|---:|---:|---|" + ("---:|---:|---|" if equivalence else "")]
    for (what, cells_), row in zip(comparisons, rows):
        runs = f"{len(cells_)}, {sum(len(v) for v, _, _ in cells_)} / {sum(len(b) for _, b, _ in cells_)}"
        line = (f"| {what} | {runs} | {row['difference'] * 100:+.1f} | {points(*row['interval'])} | {points(*row['corrected'])} "
                f"| {row['p']:.3f} | {row['holm_p']:.3f} | {verdict(row)} |")
        if equivalence:
            equivalent = f"**equivalent within +-{EQUIVALENCE_MARGIN * 100:g} points**" if row["holm_tost_p"] < ALPHA else "not shown"
            line += f" {row['tost_p']:.3f} | {row['holm_tost_p']:.3f} | {equivalent} |"
        lines.append(line)
    return lines


VARIANTS = ("distill_rnd", "distill_rnd_uncertainty")  # each compared with distill.py


def tier_differences(tier, table, equivalence):
    """The 100k or 500k tier's family: each variant against distill.py over every cell, over each teacher label's cells
    (where there are several labels) and in each cell, from the cells where every script has 2+ runs. Returns its lines
    and the tier's headline rows (the README's results table): every cell, then each teacher label's cells, with
    distill.py's mean ratio and each variant's difference and Bonferroni-corrected interval from this family."""
    keys = [key for key in sorted(table) if all(len(table[key].get(v, {})) >= 2 for v in ("distill", *VARIANTS))]
    if not keys:
        return [], []
    labels = ordered_labels(keys)
    by_label = {label: [key for key in keys if key[1] == label] for label in labels}
    groups = [("every teacher", keys)] if len(keys) >= 2 else []
    groups += [(f"{label} teachers", label_keys) for label, label_keys in by_label.items() if len(labels) > 1 and len(label_keys) >= 2]
    comparisons = []
    for variant in VARIANTS:
        entry = {key: ([ratio(r) for r in table[key][variant].values()], [ratio(r) for r in table[key]["distill"].values()],
                       cell_relative_se(table[key])) for key in keys}
        comparisons += [(f"{variant}, {group}", [entry[key] for key in group_keys]) for group, group_keys in groups]
        comparisons += [(f"{variant}, {short(key)}", [entry[key]]) for key in keys]
    family = difference_family([cells_ for _, cells_ in comparisons], equivalence)
    row_of = {what: row for (what, _), row in zip(comparisons, family[0])}
    lines = ["", "Differences from distill.py, corrected for the number of comparisons (pooled rows: the mean over their cells, "
             "each weighing the same; see the statistics note at the top):", ""] + family_lines(comparisons, equivalence, family)
    headline, games = [], {game for game, _ in keys}
    for label, group_keys in [("all", keys)] + [(label, label_keys) for label, label_keys in by_label.items() if len(labels) > 1]:
        pooled = "every teacher" if label == "all" else f"{label} teachers"
        what = pooled if len(group_keys) >= 2 else short(group_keys[0])  # one cell is its own comparison
        level, _, steps = label.partition(" (")
        name = "all" if label == "all" else f"`{level}`" + (f", {steps.removesuffix(')')}" if steps else "")
        count = f"{len(group_keys)}" + ("" if {game for game, _ in group_keys} == games else ": " + ", ".join(
            game.removesuffix("NoFrameskip-v4") for game, _ in group_keys))
        distill_mean = np.mean([np.mean([ratio(r) for r in table[key]["distill"].values()]) for key in group_keys])
        differences = [row_of[f"{variant}, {what}"] for variant in VARIANTS]
        headline.append(f"| {tier} | {name} ({count}) | {distill_mean:.0%} | "
                        + " | ".join(f"{row['difference'] * 100:+.1f} ({points(*row['corrected'])})" for row in differences) + " |")
    return lines, headline


def cell_mean_intervals(matrices, relative_ses, reps=BOOTSTRAP_REPS):
    """{variant: (mean over cells of the cell's mean ratio, 95% interval with the teachers' noise, 95% interval with exact
    teachers)} from balanced (seeds x cells) matrices: the aggregate in which every cell weighs the same."""
    out = {}
    for variant, matrix in matrices.items():
        runs = [((matrix[:, j],), relative_se) for j, relative_se in enumerate(relative_ses)]
        noisy, exact = (bootstrap_cells(runs, reps, teacher_noise=noise)[0].mean(axis=1) for noise in (True, False))
        out[variant] = (float(matrix.mean()), percentile_interval(noisy, 0.95), percentile_interval(exact, 0.95))
    return out


def trimmed_runs(matrix, keys):
    """The runs the IQM leaves out (the lowest and highest quarter of all runs pooled): ({cell: count}, {cell: count})."""
    flat = matrix.ravel()  # seeds x cells, row by row: a run's cell is its index modulo the number of cells
    cut = int(0.25 * flat.size)  # scipy's trim_mean, under rliable's IQM, drops this many from each end
    order = np.argsort(flat, kind="stable")
    return tuple(Counter(short(keys[i % len(keys)]) for i in ends) for ends in (order[:cut], order[flat.size - cut:]))


def trim_line(matrices, keys):
    parts = []
    for variant, matrix in matrices.items():
        low, high = trimmed_runs(matrix, keys)
        described = lambda counts: ", ".join(f"{cell} {n}" for cell, n in sorted(counts.items(), key=lambda kv: -kv[1])) or "none"  # noqa: E731
        parts.append(f"{variant}: lowest {described(low)}; highest {described(high)}")
    return ["Runs the IQM's trim leaves out (the lowest and highest quarter of all runs pooled, by cell): " + " | ".join(parts) + ".", ""]


def final_scalar(result, tag):
    """The mean of the last quarter of a logged curve (NaN where the run did not log it)."""
    curve = result["scalars"].get(tag, [])
    return float(np.mean([v for _, v in curve[-max(1, len(curve) // 4):]])) if curve else float("nan")


def learning_auc(result, points=40):
    """The mean of the acting student's learning curve over the run, over the teacher's sampled score."""
    grid = np.linspace(result["steps"] / points, result["steps"], points)
    curve = curve_of(result, grid, 0.1 * result["steps"])
    return float(np.nanmean(curve)) / teacher_score(result) if np.isfinite(curve).any() else float("nan")


def game_length(runs):
    """The acting student's frames per game (last quarter of the run), over the runs that logged it: '-' if none did."""
    lengths = [final_scalar(r, "charts/episodic_length") for r in runs]
    lengths = [x for x in lengths if np.isfinite(x)]
    return f"{np.mean(lengths):,.0f}" + (f" ({len(lengths)})" if 0 < len(lengths) < len(runs) else "") if lengths else "-"


# The setting of each sweep that the 100k tier ran: {tier: (that variant, its value)}. distill.py is the sweeps' common zero.
SWEEP_DEFAULTS = {"curiosity_dose": ("distill_rnd", "0.1"), "curiosity_dose_500k": ("distill_rnd", "0.1"),
                  "uncertainty_roles": ("distill_rnd_uncertainty", "0.5"),
                  "rnd_published": ("distill_rnd", "50")}
SWEEP_TITLES = {"curiosity_dose": "Curiosity's dose: distill_rnd.py's --curiosity-coef",
                "curiosity_dose_500k": "Curiosity's dose at 500,000 steps: distill_rnd.py's --curiosity-coef 0.3 and 3",
                "uncertainty_roles": "Uncertainty's two roles: distill_rnd_uncertainty.py's --uncertainty-distill-discount "
                                     "(0: uncertainty steers curiosity only)",
                "rnd_published": "RND as published: distill_rnd.py's --rnd-init-steps (50 x 128 = 6400 random steps per env)"}


def sweep_main_tier(tier):
    """The tier whose distill.py and default runs a sweep is compared with: the one of its length."""
    return "500k" if tier_steps(tier) == 500_000 else "100k"


def sweep_runs(tier, sweep_table, main_table):
    """{cell: [(value, variant, {seed: result})]} of a sweep, its settings by value, the 100k tier's distill.py first (value
    None) and its default among them; every setting on the seeds the sweep ran in that cell, the teacher the same file."""
    _, flag, values = SWEEPS[tier]
    default_variant, default_value = SWEEP_DEFAULTS[tier]
    out = {}
    for key, variants in sorted(sweep_table.items()):
        seeds = set().union(*variants.values())
        main = main_table.get(key, {})
        settings = [(None, "distill", main.get("distill", {})), (default_value, default_variant, main.get(default_variant, {}))]
        settings += [(value, f"{flag.removeprefix('--')}{value}", variants.get(f"{flag.removeprefix('--')}{value}", {})) for value in values]
        out[key] = [(value, variant, {s: runs[s] for s in sorted(seeds) if s in runs})
                    for value, variant, runs in sorted(settings, key=lambda item: -1 if item[0] is None else float(item[0]))]
    return out


def sweep_lines(tier, sweep_table, main_table):
    """A sweep tier's section: each setting's behaviour per cell and its difference from distill.py (matched seeds of the main
    tier)."""
    _, flag, _ = SWEEPS[tier]
    by_cell = sweep_runs(tier, sweep_table, main_table)
    lines = [f"## {SWEEP_TITLES[tier]}", "",
             f"Tier {tier}, {tier_steps(tier):,} steps; distill.py and the default ({SWEEP_DEFAULTS[tier][1]}) are the "
             f"{sweep_main_tier(tier)} tier's runs of the same "
             "cell and teacher file on the same seeds. Ratio: mean over seeds (95% t-interval); learning: the training games' "
             "mean return over the run / the teacher's score; agreement, intrinsic reward and game length (frames the acting student "
             "survives per game: how far into the game it gets) over the last quarter of the run; - where the runs predate that curve, (n) where only n of them have it.", "",
             f"| game | teacher | {flag} | seeds | ratio | learning | agreement | intrinsic reward | game length |",
             "|---|---|---|---:|---|---:|---:|---:|---:|"]
    comparisons, settings = [], {}
    for key, entries in by_cell.items():
        baseline = entries[0][2]
        for value, variant, runs in entries:
            if not runs:
                continue
            mean, low, high = mean_interval([ratio(r) for r in runs.values()])
            behaviour = [np.nanmean([f(r) for r in runs.values()]) for f in (
                learning_auc, lambda r: final_scalar(r, "charts/teacher_agreement"), lambda r: final_scalar(r, "charts/intrinsic_reward"))]
            setting = "distill.py" if value is None else f"{value}" + (" (default)" if variant == SWEEP_DEFAULTS[tier][0] else "")
            lines.append(f"| {key[0]} | {key[1]} | {setting} | {len(runs)} | {mean:.0%}" + ("" if np.isnan(low) else f" ({low:.0%} to {high:.0%})")
                         + " | " + " | ".join("-" if np.isnan(x) else f"{x:.2f}" for x in behaviour)
                         + f" | {game_length(runs.values())} |")
            matched = [s for s in runs if s in baseline]
            if value is not None and len(matched) >= 2:
                settings.setdefault(setting, []).append(
                    (key, ([ratio(runs[s]) for s in matched], [ratio(baseline[s]) for s in matched], cell_relative_se({variant: runs}))))
    lines.append("")
    for setting, entries in settings.items():
        if len(entries) >= 2:
            comparisons.append((f"{flag} {setting}, {len(entries)} cells", [entry for _, entry in entries]))
        comparisons += [(f"{flag} {setting}, {short(key)}", [entry]) for key, entry in entries]
    if comparisons:
        equivalence = sweep_main_tier(tier) == "500k"  # as in the 500k tier's own table
        lines += ["Differences from distill.py (same cells, seeds and teacher file):", ""] + family_lines(comparisons, equivalence) + [""]
    else:
        lines += [f"Differences from distill.py: wait for 2 or more seeds of a setting with distill.py's {sweep_main_tier(tier)} runs of "
                  "the same cell and teacher file.", ""]
    return lines


DOSE_TIERS = ("curiosity_dose", "curiosity_dose_500k")


def dose_figure(path, by_tier):
    """Final ratio, learning and agreement against --curiosity-coef on a log axis, a row per run length ({tier: sweep_runs()}),
    a line per cell, distill.py (the dose 0) at the left edge, each point the mean over seeds with its 95% t-interval."""
    figure, rows = plt.subplots(len(by_tier), 3, figsize=(14, 4.2 * len(by_tier)), squeeze=False)
    zero = 0.01  # where distill.py's dose 0 is drawn: a log axis has no 0
    measures = [("final score / teacher's", ratio), ("learning: training return / teacher's", learning_auc),
                ("teacher agreement, last quarter", lambda r: final_scalar(r, "charts/teacher_agreement"))]
    for axes, (tier, by_cell) in zip(rows, by_tier.items()):
        for i, (key, entries) in enumerate(by_cell.items()):
            drawn = [(zero if value is None else float(value), runs) for value, _, runs in entries if runs]
            x = np.array([dose for dose, _ in drawn]) * 1.06 ** i  # cells side by side, not on top of each other
            for axis, (label, measure) in zip(axes, measures):
                mean, low, high = np.array([mean_interval([measure(r) for r in runs.values()]) for _, runs in drawn]).T
                errors = np.nan_to_num([mean - low, high - mean])  # one seed: no interval
                axis.errorbar(x, mean, yerr=errors, fmt="o-", capsize=3, color=f"C{i}", label=short(key))
                axis.set_ylabel(label)
        for axis in axes:
            axis.set_xscale("log")
            axis.set_xticks([zero, 0.03, 0.1, 0.3, 1, 3], ["0\n(distill.py)", "0.03", "0.1\n(default)", "0.3", "1", "3"])
            axis.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            axis.axvline(0.018, color="grey", linestyle=":")  # the axis breaks between the dose 0 and the swept doses
            axis.set_xlabel("--curiosity-coef")
            axis.grid(alpha=0.3)
        axes[0].yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
        axes[1].yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
        axes[0].legend(fontsize=8)
        axes[1].set_title(f"{tier_steps(tier):,} steps")
    figure.suptitle("Curiosity's dose (mean over seeds, 95% t-interval)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return ["![curiosity dose](curiosity_dose.png)", ""]


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
        in_500k_grid = teacher.split(" (")[0] in TEACHERS["500k"].get(game, [])  # the level of a `good (10.0M steps)` label
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
    shipped = {level: sorted(steps for (_, lv), (steps, *_) in SHIPPED_BEFORE.items() if lv == level) for level in LEVELS}
    lines = ["# Campaign results", "", "Made by `python benchmark/campaign.py report` from results/campaign/ "
             f"({len(results)} runs). Ratio = student's 30-game sampled score / teacher's sampled score.", "",
             "Teachers: a plain level is the teacher file shipped on 2026-11-28 (" + ", ".join(
                 f"{level} {steps[0] / 1e6:.1f}" + (f"-{steps[-1] / 1e6:.1f}" if steps[-1] != steps[0] else "") + "M steps"
                 for level, steps in shipped.items())
             + "); a result against another file is labelled with its level and steps, e.g. `good (10.0M steps)`, and never "
             "pooled with the first.", "", STATISTICS, ""]
    iqm_by_group, poi_by_group, headline, headline_at = {}, {}, [], len(lines)
    for tier in [t for t in ("100k", "500k", "ablation", "compression", "compression_500k", "smoke") if t in by_tier]:
        table = cells(by_tier[tier])
        lines += [f"## Tier {tier}", "", "| game | teacher | variant | seeds | score (mean +- sd) | ratio | 95% CI | AUC (mean return) | agreement |",
                  "|---|---|---|---:|---:|---:|---|---:|---:|"]
        for (game, teacher), variants in sorted(table.items()):
            teacher_score_of_cell = teacher_score(next(iter(next(iter(variants.values())).values())))
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
                lines.append(f"| {game} | {teacher} ({teacher_score_of_cell:.0f}) | {variant} | {len(runs)} | {np.mean(scores):.0f} +- {np.std(scores):.0f} "
                             f"| {mean:.0%} | {interval} | {auc} | {agreement} |")
            if tier in ("100k", "500k", "smoke"):
                file_label = teacher.replace(" (", "_").replace(" steps)", "")  # `good (10.0M steps)` -> good_10.0M
                learning_figure(os.path.join(out_dir, f"{tier}_{game}_{file_label}.png"), f"{game}, {teacher} teacher, {tier} steps",
                                {v: [runs[s] for s in sorted(runs)] for v, runs in variants.items()}, teacher_score_of_cell)
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
                for variant in VARIANTS:
                    if variant in variants and baseline:
                        values = [ratio(r) for r in variants[variant].values()]
                        comparisons.append((game, teacher, variant, len(values), len(baseline), *difference_interval(values, baseline)))
            tested = sum(not np.isnan(c[6]) for c in comparisons)  # those with 2+ seeds on each side have an interval
            chance = (f" Read per cell: each interval excludes 0 by chance one time in twenty, so among these {tested} the chance "
                      f"that at least one does is {1 - 0.95 ** tested:.0%}.") if tested else ""
            lines += [""] if not comparisons else ["", "Each variant against distill.py in the same cell: difference of the mean ratios, "
                      f"95% Welch t-interval over seeds, uncorrected.{chance} The corrected family follows the table.", "",
                      "| game | teacher | variant | seeds (variant / distill.py) | ratio minus distill.py's | 95% CI | reading (uncorrected) |",
                      "|---|---|---|---|---:|---|---|"]
            for game, teacher, variant, n_variant, n_baseline, difference, low, high in comparisons:
                interval = "-" if np.isnan(low) else f"{low * 100:+.0f} to {high * 100:+.0f} points"
                lines.append(f"| {game} | {teacher} | {variant} | {n_variant} / {n_baseline} | "
                             f"{difference * 100:+.0f} points | {interval} | {reading(low, high)} |")
            difference_lines, tier_headline = tier_differences(tier, table, equivalence=tier == "500k")
            lines += difference_lines
            headline += tier_headline
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
            variants = [v for v in ("distill", *VARIANTS) if any(v in c for c in table.values())]
            if len(variants) < 2:
                lines += ["Aggregate: waits for a variant beside distill.py (a comparison of one script with nothing says nothing).", ""]
                continue
            labels = ordered_labels(table)
            levels = [label for label in labels if len(labels) > 1 and sum(teacher == label for _, teacher in table) >= 2]
            groups = [("every teacher", by_tier[tier])] + [(f"{level} teachers", [r for r in by_tier[tier] if teacher_label(r) == level])
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
                means = cell_mean_intervals(matrices, [cell_relative_se(table[key]) for key in keys])
                lines += [f"Aggregate, {group}: {len(keys)} game x teacher cell{'s' if len(keys) != 1 else ''}, seeds "
                          f"{', '.join(map(str, seeds))}{waits} (rliable, {BOOTSTRAP_REPS} stratified bootstrap resamples). The "
                          "headline: the mean of the cells' mean ratios, every cell weighing the same, its interval with and without "
                          "the teachers' noise:", "",
                          "| variant | mean of cells | 95% CI | 95% CI, teachers exact |", "|---|---:|---|---|"]
                lines += [f"| {variant} | {mean:.1%} | {low:.1%} to {high:.1%} | {exact_low:.1%} to {exact_high:.1%} |"
                          for variant, (mean, (low, high), (exact_low, exact_high)) in means.items()]
                lines += ["", "The same runs by rliable's IQM (which pools the runs of all cells) and probability of improvement:", "",
                          "| variant | IQM ratio | 95% CI | P(beats distill.py) | 95% CI |", "|---|---:|---|---:|---|"]
                for variant, (point, low, high) in iqm_by_group[name].items():
                    p = poi_by_group[name].get(variant)
                    lines.append(f"| {variant} | {point:.0%} | {low:.0%} to {high:.0%} | "
                                 + (f"{p[0]:.2f} | {p[1]:.2f} to {p[2]:.2f} |" if p else "- | - |"))
                lines += [""] + trim_line(matrices, keys)
    if headline:  # README.md's results table is this one, copied
        lines[headline_at:headline_at] = [
            "## The headline", "", "Per tier, over every cell and over each teacher label's cells (a cell: one game and teacher "
            "file): distill.py's mean ratio, each cell weighing the same, and each variant's difference from it in points (1 point = "
            "1% of the teacher's score) with its bootstrap interval, which carries the teachers' noise, Bonferroni-corrected over "
            "the tier's family of comparisons (its table below).", "",
            "| steps | teachers (cells) | `distill.py` | `distill_rnd.py` minus `distill.py` | `distill_rnd_uncertainty.py` minus `distill.py` |",
            "|---|---|---:|---|---|", *headline, ""]
    lines += quality_bar(by_tier)
    sweeps = sorted([t for t in SWEEPS if t in by_tier], key=lambda t: t not in DOSE_TIERS)  # the doses' sections together
    doses = {}
    for tier in sweeps:
        sweep_table, main_table = cells(by_tier[tier]), cells(by_tier.get(sweep_main_tier(tier), []))
        lines += sweep_lines(tier, sweep_table, main_table)
        if tier in DOSE_TIERS:
            doses[tier] = sweep_runs(tier, sweep_table, main_table)
            if set(doses) == {t for t in DOSE_TIERS if t in by_tier}:  # after the last dose section, one figure of them all
                lines += dose_figure(os.path.join(out_dir, "curiosity_dose.png"), doses)
    if iqm_by_group:
        aggregate_figure(os.path.join(out_dir, "aggregate.png"), iqm_by_group, poi_by_group)
    if "ablation" in by_tier:
        for (game, teacher), variants in cells(by_tier["ablation"]).items():
            main_runs = cells(by_tier.get("100k", [])).get((game, teacher), {})
            runs = {**{v: list(main_runs[v].values()) for v in ("distill", "distill_rnd") if v in main_runs},
                    **{v: list(r.values()) for v, r in variants.items()}}
            learning_figure(os.path.join(out_dir, f"ablation_{game}_{teacher}.png"), f"{game}, {teacher} teacher: curiosity only",
                            runs, teacher_score(next(iter(next(iter(variants.values())).values()))))
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
