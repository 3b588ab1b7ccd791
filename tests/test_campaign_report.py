"""Specification of the campaign report's statistics: differences from distill.py, their corrections, the teacher's noise,
equivalence, and the sweep tiers' sections."""

import os
import sys

import numpy as np
import pytest

from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "benchmark"))
import campaign_report  # noqa: E402
import matplotlib.image  # noqa: E402  (after campaign_report, which picks the backend)

REPS = 2000  # enough for these known cases, and fast
MSPACMAN, QBERT = "MsPacmanNoFrameskip-v4", "QbertNoFrameskip-v4"


def spread(center, n=8, width=0.01):
    return center + np.linspace(-width, width, n)


def test_tost_passes_on_identical_samples():
    pairs = [(spread(c), spread(c)) for c in (0.5, 0.8, 1.0, 1.1)]
    assert campaign_report.tost_p(pairs, margin=0.05, reps=REPS) < 0.01


def test_tost_fails_on_samples_shifted_beyond_the_margin():
    pairs = [(spread(c) + 0.1, spread(c)) for c in (0.5, 0.8, 1.0, 1.1)]
    assert campaign_report.tost_p(pairs, margin=0.05, reps=REPS) > 0.5


def test_tost_fails_on_samples_too_noisy_to_bound_the_difference():
    rng = np.random.default_rng(0)
    pairs = [(c + 0.3 * rng.standard_normal(3), c + 0.3 * rng.standard_normal(3)) for c in (0.5, 1.0)]
    assert campaign_report.tost_p(pairs, margin=0.05, reps=REPS) > 0.05


def test_holm_adjusts_known_p_values_like_the_textbook_step_down():
    # Sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 is 0.02, 0.03, 0.06, 0.04; step-down keeps it non-decreasing: 0.06.
    assert campaign_report.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert campaign_report.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])  # capped at 1
    assert campaign_report.holm([0.02]) == pytest.approx([0.02])  # a family of one is not corrected


def test_a_permutation_test_of_one_cell_with_every_run_ahead_gives_the_exact_two_of_252():
    # 5 runs against 5, the variant's all higher: of the C(10, 5) = 252 splits, this one and its mirror are as extreme.
    p = campaign_report.permutation_p([(np.arange(5) + 10.0, np.arange(5.0))], reps=20_000)
    assert p == pytest.approx(2 / 252, abs=0.003)


def test_the_smallest_reachable_p_counts_the_ways_to_split_the_runs_of_each_cell():
    assert campaign_report.smallest_p([(np.zeros(5), np.ones(5))]) == pytest.approx(2 / 252)
    assert campaign_report.smallest_p([(np.zeros(3), np.ones(3))] * 2) == pytest.approx(2 / 400)
    assert campaign_report.smallest_p([(np.zeros(2), np.ones(3))]) == pytest.approx(1 / 10)


def test_the_difference_interval_covers_a_synthetic_shift_and_excludes_zero_when_large():
    rng = np.random.default_rng(1)
    base = [c + 0.05 * rng.standard_normal(5) for c in (0.4, 0.9, 1.1)]
    for shift, excludes_zero in ((0.02, False), (0.3, True)):
        comparison = [(b + shift + 0.05 * rng.standard_normal(5), b, 0.0) for b in base]
        (row,), _ = campaign_report.difference_family([comparison], reps=REPS)
        low, high = row["interval"]
        assert low < shift < high
        assert (low > 0) == excludes_zero
        assert campaign_report.verdict(row) == ("**higher**" if excludes_zero else "not established")


def test_the_corrected_interval_of_a_family_is_wider_than_the_95_percent_one():
    rng = np.random.default_rng(2)
    comparisons = [[(0.5 + 0.05 * rng.standard_normal(5), 0.5 + 0.05 * rng.standard_normal(5), 0.0)] for _ in range(10)]
    rows, level = campaign_report.difference_family(comparisons, reps=REPS)
    assert level == pytest.approx(1 - 0.05 / 10)
    for row in rows:
        assert row["corrected"][0] < row["interval"][0] and row["interval"][1] < row["corrected"][1]
        assert row["holm_p"] >= row["p"]


def test_the_teachers_noise_widens_a_scripts_interval():
    runs = [((np.array([0.6, 0.7, 0.65]),), 0.05), ((np.array([1.0, 1.1, 1.05]),), 0.08)]
    widths = [np.subtract(*campaign_report.percentile_interval(
        campaign_report.bootstrap_cells(runs, REPS, teacher_noise=noise)[0].mean(axis=1), 0.95)[::-1]) for noise in (True, False)]
    assert widths[0] > 1.5 * widths[1]


def test_the_teachers_noise_is_shared_by_the_scripts_of_a_cell_so_it_largely_cancels_in_their_difference():
    # Constant runs: all the spread is the teacher's. A 5% teacher error moves a ratio of 1 by about 5 points, but a
    # difference of 0.1 by only about 0.5.
    runs = [((np.full(3, 1.0), np.full(3, 0.9)), 0.05)]
    variant, baseline = campaign_report.bootstrap_cells(runs, REPS)
    assert np.std(variant) == pytest.approx(0.05, rel=0.15)
    assert np.std(variant - baseline) == pytest.approx(0.005, rel=0.15)


def test_results_against_another_teacher_file_never_share_a_label():
    old = synthetic_result("100k", QBERT, "good", "distill", 1, 1000.0)
    same = dict(synthetic_result("100k", QBERT, "good", "distill", 2, 1000.0), teacher_steps=3506176)
    new = dict(synthetic_result("100k", QBERT, "good", "distill", 3, 1000.0), teacher_steps=10_000_000)
    assert sorted(campaign_report.cells([old, same, new])) == [(QBERT, "good"), (QBERT, "good (10.0M steps)")]


def test_the_iqm_trim_names_the_cells_whose_runs_it_leaves_out():
    matrix = np.array([[0.2, 1.0, 1.5], [0.3, 1.0, 1.6]])  # seeds x cells: the first cell is lowest, the third highest
    low, high = campaign_report.trimmed_runs(matrix, [(QBERT, "good"), (MSPACMAN, "bad"), (MSPACMAN, "good")])
    assert low == {"Qbert good": 1} and high == {"MsPacman good": 1}


def synthetic_result(tier, game, teacher, variant, seed, mean, steps=100_000, teacher_score=None):
    teacher_score = teacher_score or campaign_report.SHIPPED_BEFORE[(game, teacher)][1]
    return {"tier": tier, "game": game, "teacher": teacher, "variant": variant, "seed": seed, "steps": steps, "mean": mean,
            "scores": [mean] * 3, "teacher_sampled_mean": teacher_score,
            "scalars": {"charts/episodic_return": [[s, mean * s / steps] for s in range(10_000, steps + 1, 10_000)],
                        "charts/teacher_agreement": [[steps, 0.6]], "charts/intrinsic_reward": [[steps, 0.02]]}}


def headline_campaign():
    """Two `bad` cells and Qbert's 10M-step `good`, 3 seeds; distill_rnd.py 5 points above distill.py's 90%."""
    results = []
    for game, teacher, steps in ((MSPACMAN, "bad", {}), (QBERT, "bad", {}), (QBERT, "good", {"teacher_steps": 10_002_432})):
        score = campaign_report.SHIPPED_BEFORE[(game, teacher)][1]
        for seed in (1, 2, 3):
            for variant, share in (("distill", 0.9), ("distill_rnd", 0.95), ("distill_rnd_uncertainty", 0.9)):
                results.append(dict(synthetic_result("100k", game, teacher, variant, seed, (share + 0.01 * (seed - 2)) * score), **steps))
    return campaign_report.tier_differences("100k", campaign_report.cells(results), equivalence=False)


def test_the_headline_pools_every_cell_then_each_teacher_label_naming_the_games_of_a_label_that_lacks_some():
    _, headline = headline_campaign()
    assert [row.split(" | ")[1] for row in headline] == ["all (3)", "`bad` (2)", "`good`, 10.0M steps (1: Qbert)"]


def test_a_headline_label_of_one_cell_reads_that_cells_difference_and_corrected_interval_from_the_family():
    lines, headline = headline_campaign()
    family_row = next(line for line in lines if line.startswith("| distill_rnd, Qbert good (10.0M steps) |")).split(" | ")
    assert headline[2].startswith(f"| 100k | `good`, 10.0M steps (1: Qbert) | 90% | +5.0 ({family_row[4]}) | +0.0 (")


def sweep_campaign():
    """distill.py and the 100k defaults, and every sweep's settings, on both sweep cells, 3 seeds; coefficient 1 adds 10%."""
    results = []
    for game in (MSPACMAN, QBERT):
        teacher = campaign_report.SHIPPED_BEFORE[(game, "good")][1]
        for seed in (1, 2, 3):
            noise = 0.01 * (seed - 2) * teacher
            results += [synthetic_result("100k", game, "good", variant, seed, 0.5 * teacher + noise)
                        for variant in ("distill", "distill_rnd", "distill_rnd_uncertainty")]
            results += [synthetic_result("curiosity_dose", game, "good", f"curiosity-coef{value}", seed,
                                         (0.6 if value == "1" else 0.5) * teacher + noise) for value in ("0.03", "0.3", "1", "3")]
            results += [synthetic_result("uncertainty_roles", game, "good", f"uncertainty-distill-discount{value}", seed,
                                         0.5 * teacher + noise) for value in ("0", "0.25")]
        if game == MSPACMAN:
            results += [synthetic_result("rnd_published", game, "good", "rnd-init-steps6400", seed, (0.5 + 0.01 * (seed - 2)) * teacher)
                        for seed in (1, 2, 3)]
    return results


def test_the_sweep_sections_render_from_synthetic_results(tmp_path):
    results = sweep_campaign()
    by_tier = {}
    for r in results:
        by_tier.setdefault(r["tier"], []).append(r)
    main_table = campaign_report.cells(by_tier["100k"])
    lines = []
    for tier in ("curiosity_dose", "uncertainty_roles", "rnd_published"):
        lines += campaign_report.sweep_lines(tier, campaign_report.cells(by_tier[tier]), main_table)
    text = "\n".join(lines)
    for title in ("## Curiosity's dose", "## Uncertainty's two roles", "## RND as published"):
        assert title in text
    assert "| MsPacmanNoFrameskip-v4 | good | distill.py | 3 | 50% (48% to 52%) | " in text  # dose 0, from the 100k tier
    assert "| MsPacmanNoFrameskip-v4 | good | 0.1 (default) | 3 | " in text
    # Coefficient 1 is 10 points above distill.py in both cells, on the same seeds: the pooled difference and its family.
    assert "| --curiosity-coef 1, 2 cells | 2, 6 / 6 | +10.0 | " in text
    assert "Family: 15 comparisons with distill.py" in text  # 5 settings x (2 cells + their pool)
    assert "With these seeds 0 of them can pass the correction at all" in text  # 3 seeds: p >= 2/400 = 0.005 > 0.05/15
    assert "| --rnd-init-steps 6400, MsPacman good | 1, 3 / 3 | +0.0 | " in text
    assert "| 0.6" in text and "| 0.02 |" in text  # agreement and intrinsic reward beside the score


def dose_campaign_500k():
    """distill.py, the default 0.1 and the two 500k doses on Qbert `good`, 2 seeds."""
    teacher = campaign_report.SHIPPED_BEFORE[(QBERT, "good")][1]
    results = []
    for seed in (1, 2):
        results += [synthetic_result("500k", QBERT, "good", variant, seed, 0.9 * teacher, steps=500_000) for variant in ("distill", "distill_rnd")]
        results += [synthetic_result("curiosity_dose_500k", QBERT, "good", f"curiosity-coef{value}", seed, 0.8 * teacher, steps=500_000)
                    for value in ("0.3", "3")]
    return results


def test_the_dose_figure_draws_a_row_per_run_length_below_the_two_dose_sections(tmp_path):
    campaign_report.main(sweep_campaign(), str(tmp_path / "100k"))
    campaign_report.main(sweep_campaign() + dose_campaign_500k(), str(tmp_path / "both"))
    one, two = (matplotlib.image.imread(tmp_path / out / "curiosity_dose.png").shape[0] for out in ("100k", "both"))
    assert two == pytest.approx(2 * one, rel=0.05)
    text = (tmp_path / "both" / "results.md").read_text()
    sections = [text.index(title) for title in ("## Curiosity's dose:", "## Curiosity's dose at 500,000", "![curiosity dose]",
                                                "## Uncertainty's two roles")]
    assert sections == sorted(sections) and text.count("![curiosity dose]") == 1


def test_a_500k_sweep_is_compared_with_the_500k_tiers_runs(tmp_path):
    teacher = campaign_report.SHIPPED_BEFORE[(QBERT, "good")][1]
    other_length = [synthetic_result("100k", QBERT, "good", "distill", seed, 0.3 * teacher) for seed in (1, 2)]  # not the baseline
    campaign_report.main(dose_campaign_500k() + other_length, str(tmp_path))
    text = (tmp_path / "results.md").read_text()
    assert "Tier curiosity_dose_500k, 500,000 steps; distill.py and the default (0.1) are the 500k tier's runs" in text
    assert f"| {QBERT} | good | distill.py | 2 | 90% " in text
    assert "| --curiosity-coef 3, Qbert good | 1, 2 / 2 | -10.0 | " in text


def test_a_500k_sweep_asks_for_equivalence_as_the_500k_tier_does(tmp_path):
    campaign_report.main(dose_campaign_500k(), str(tmp_path))
    text = (tmp_path / "results.md").read_text()
    dose = text[text.index("## Curiosity's dose at 500,000"):]
    assert "| TOST p | TOST Holm p | equivalence |" in dose
    (row,) = [line for line in dose.splitlines() if line.startswith("| --curiosity-coef 3, Qbert good |")]
    assert row.endswith("| not shown |")  # 10 points below distill.py: outside the +-5 margin


def test_the_sweep_tables_say_how_far_into_the_game_the_acting_student_gets_where_runs_logged_it():
    results = [r for r in sweep_campaign() if r["game"] == QBERT]
    for r in results:
        if r["variant"] == "curiosity-coef3":  # frames per game: 1,000 early, then 3,000 over the last quarter
            r["scalars"]["charts/episodic_length"] = [[s, 1000 if s < 80_000 else 3000] for s in range(10_000, 100_001, 10_000)]
    results[[r["variant"] for r in results].index("curiosity-coef3")]["scalars"].pop("charts/episodic_length")  # one run predates it
    main_table = campaign_report.cells([r for r in results if r["tier"] == "100k"])
    sweep = campaign_report.cells([r for r in results if r["tier"] == "curiosity_dose"])
    lines = campaign_report.sweep_lines("curiosity_dose", sweep, main_table)
    (row_3,) = [line for line in lines if line.startswith(f"| {QBERT} | good | 3 |")]
    (row_1,) = [line for line in lines if line.startswith(f"| {QBERT} | good | 1 |")]
    assert row_3.endswith("| 3,000 (2) |") and row_1.endswith("| - |")


def test_the_sweep_sections_are_skipped_when_no_sweep_has_run(tmp_path):
    results = [r for r in sweep_campaign() if r["tier"] == "100k" and r["variant"] == "distill"]
    campaign_report.main(results, str(tmp_path))
    text = (tmp_path / "results.md").read_text()
    assert "Curiosity's dose" not in text and "Uncertainty's two roles" not in text and "RND as published" not in text
    assert not (tmp_path / "curiosity_dose.png").exists()


def test_a_sweep_setting_without_distill_py_on_the_same_teacher_file_waits():
    results = [dict(r, teacher_steps=10_000_000) for r in sweep_campaign() if r["tier"] == "uncertainty_roles"]
    main_table = campaign_report.cells([r for r in sweep_campaign() if r["tier"] == "100k"])
    text = "\n".join(campaign_report.sweep_lines("uncertainty_roles", campaign_report.cells(results), main_table))
    assert "good (10.0M steps)" in text and "Differences from distill.py: wait for" in text


def test_a_result_that_copied_the_fp32_checkpoints_score_is_measured_against_the_shipped_files():
    recorded = synthetic_result("100k", QBERT, "good", "distill", 1, 4785.0, teacher_score=4650.83)
    assert campaign_report.ratio(recorded) == pytest.approx(1.0)  # the fp16 file scored 4,785
    other = synthetic_result("100k", QBERT, "good", "distill", 1, 4785.0, teacher_score=4785.0)
    assert campaign_report.ratio(other) == pytest.approx(1.0)
