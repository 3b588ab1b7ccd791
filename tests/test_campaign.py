"""Specification of the results campaign: its grid, skip/resume rules, compact results and aggregation."""

import csv
import json
import os
import sys

import numpy as np
import pytest
import torch

from conftest import ROOT, assert_one_line_error, run_script

sys.path.insert(0, os.path.join(ROOT, "benchmark"))
import campaign  # noqa: E402
import campaign_report  # noqa: E402

LEVELS = {"MsPacmanNoFrameskip-v4": ["bad", "medium"], "QbertNoFrameskip-v4": ["bad", "medium"], "BeamRiderNoFrameskip-v4": ["bad"]}


def test_the_grid_has_every_cell_of_the_issue():
    specs = campaign.grid(campaign.TIERS, LEVELS)
    count = lambda tier: sum(s.tier == tier for s in specs)  # noqa: E731
    # 5 game x teacher cells x 3 scripts x 5 seeds; BeamRider's curiosity-only ablation; 2 widths x 3 games x 3 seeds; 3 x 3 x 3;
    # compression again at 500k steps where 100k steps did not decide it (Ms. Pac-Man, Qbert).
    assert [count(tier) for tier in campaign.TIERS] == [75, 5, 18, 27, 12, 0, 0, 0, 0]  # the sweeps take good teachers
    assert {s.teacher for s in specs if s.tier == "500k"} == {"medium", "bad"}  # each game's strongest: BeamRider ships bad only
    assert all(s.steps == 500_000 for s in specs if s.tier in ("500k", "compression_500k"))
    assert [s.key for s in specs] == list(dict.fromkeys(s.key for s in specs))  # no run twice


def test_good_teachers_join_the_100k_and_500k_tiers_and_leave_the_compression_curve_and_ablation_as_they_ran():
    before = {s.key for s in campaign.grid(campaign.TIERS, LEVELS)}
    after = campaign.grid(campaign.TIERS, {game: campaign.LEVELS for game in campaign.GAMES})
    added = [s for s in after if s.key not in before]
    assert before <= {s.key for s in after}  # every committed result stays in the grid
    sweeps = {("curiosity_dose", "good"), ("uncertainty_roles", "good"), ("rnd_published", "good"), ("curiosity_dose_500k", "good")}
    assert {(s.tier, s.teacher) for s in added} == {("100k", "good"), ("100k", "medium"), ("500k", "good")} | sweeps
    assert sum(s.tier == "100k" for s in added) == (3 + 1) * 3 * 5  # good everywhere, BeamRider's medium
    assert sum(s.tier == "500k" for s in added) == 3 * 3 * 3


def test_the_500k_dose_runs_its_two_telling_coefficients_on_the_sweep_cells_for_3_seeds():
    specs = campaign.grid(["curiosity_dose_500k"], {game: campaign.LEVELS for game in campaign.GAMES})
    assert len(specs) == 2 * 2 * 3 and {s.steps for s in specs} == {500_000} and {s.teacher for s in specs} == {"good"}
    assert {tuple(s.flags) for s in specs} == {("--curiosity-coef", "0.3"), ("--curiosity-coef", "3")}
    assert {s.game for s in specs} == {"MsPacmanNoFrameskip-v4", "QbertNoFrameskip-v4"}


def test_a_retrained_teacher_is_keyed_by_its_steps_so_its_runs_never_share_a_key_with_the_first_files(tmp_path):
    rows = [{"env_id": game, "level": level, "steps": steps} for (game, level), (steps, *_) in campaign.SHIPPED_BEFORE.items()]
    rows = [{**row, "steps": 10_002_432} if (row["env_id"], row["level"]) == ("QbertNoFrameskip-v4", "good") else row for row in rows]
    with open(tmp_path / "teachers.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["env_id", "level", "steps"])
        writer.writeheader()
        writer.writerows(rows)
    versions = campaign.teacher_versions(tmp_path / "teachers.csv")
    assert {key: version for key, version in versions.items() if version} == {("QbertNoFrameskip-v4", "good"): "10.0M"}
    levels = {game: campaign.LEVELS for game in campaign.GAMES}
    first, now = campaign.grid(["100k"], levels), campaign.grid(["100k"], levels, versions)
    changed = {a.key: b.key for a, b in zip(first, now) if a.key != b.key}
    assert len(changed) == 3 * 5 and all(a.split("/")[1:3] == ["QbertNoFrameskip-v4", "good"] for a in changed)
    assert all(b.split("/")[2] == "good-10.0M" for b in changed.values())
    assert {s.teacher for s in now} == set(campaign.LEVELS)  # the script is still given the level


def test_the_sweeps_vary_one_flag_on_the_good_teachers_of_ms_pacman_and_qbert_with_the_100k_tiers_seeds():
    specs = campaign.grid(["curiosity_dose", "uncertainty_roles", "rnd_published"], {game: campaign.LEVELS for game in campaign.GAMES})
    count = lambda tier: sum(s.tier == tier for s in specs)  # noqa: E731
    assert [count(tier) for tier in ("curiosity_dose", "uncertainty_roles", "rnd_published")] == [2 * 4 * 5, 2 * 2 * 5, 5]
    assert {(s.game, s.teacher, s.steps) for s in specs} == {("MsPacmanNoFrameskip-v4", "good", 100_000), ("QbertNoFrameskip-v4", "good", 100_000)}
    dose = [s for s in specs if s.tier == "curiosity_dose"]
    assert {(s.script, s.variant, tuple(s.flags)) for s in dose} == {
        ("distill_rnd.py", f"curiosity-coef{c}", ("--curiosity-coef", c)) for c in ("0.03", "0.3", "1", "3")}
    assert {s.seed for s in specs} == {1, 2, 3, 4, 5}  # matched with the 100k tier's distill.py seeds


def test_seed_one_of_every_cell_runs_before_any_seed_two():
    seeds = [s.seed for s in campaign.grid(["100k"], LEVELS)]
    assert seeds == sorted(seeds)


def test_the_sweeps_run_seed_major_together_so_every_sweep_gets_its_third_seed_before_any_gets_a_fourth():
    specs = campaign.grid(["curiosity_dose", "uncertainty_roles", "rnd_published"], {game: campaign.LEVELS for game in campaign.GAMES})
    assert [s.seed for s in specs] == sorted(s.seed for s in specs)
    assert {s.tier for s in specs if s.seed == 3} == {"curiosity_dose", "uncertainty_roles", "rnd_published"}


SPEC = campaign.Spec("100k", "MsPacmanNoFrameskip-v4", "bad", "distill", 1, 100_000, "distill.py")


def save_last(runs, global_step, num_envs=8, num_steps=128, total_timesteps=100_000, key=SPEC.key):
    """A last.pt as the distill scripts write it: the step reached and the run's own arguments."""
    checkpoint = runs / key / "MsPacman__distill__1__123" / "last.pt"
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"global_step": global_step, "args": {"num_envs": num_envs, "num_steps": num_steps,
                                                     "total_timesteps": total_timesteps}}, checkpoint)
    return checkpoint


def test_plan_skips_finished_runs_resumes_interrupted_ones_and_scores_trained_ones(tmp_path):
    results, runs = tmp_path / "results", tmp_path / "runs"
    assert campaign.plan(SPEC, results, runs) == ("start", os.path.join(runs, SPEC.key))
    checkpoint = save_last(runs, 40_960)
    assert campaign.plan(SPEC, results, runs) == ("resume", str(checkpoint))
    save_last(runs, 100_352, num_envs=8, num_steps=64)
    assert campaign.plan(SPEC, results, runs) == ("score", str(checkpoint))
    (results / SPEC.key).parent.mkdir(parents=True)
    (results / (SPEC.key + ".json")).write_text("{}")
    assert campaign.plan(SPEC, results, runs) == ("done", None)


def test_a_run_that_ended_on_its_last_whole_iteration_is_trained(tmp_path):
    # 100,000 steps of 8 x 128-step rollouts are 97 whole iterations: the scripts stop at step 99,328.
    checkpoint = save_last(tmp_path, 99_328)
    assert campaign.plan(SPEC, tmp_path / "results", tmp_path) == ("score", str(checkpoint))
    save_last(tmp_path, 99_328 - 1024)
    assert campaign.plan(SPEC, tmp_path / "results", tmp_path) == ("resume", str(checkpoint))


def test_a_run_that_wrote_its_summary_is_trained(tmp_path):
    checkpoint = save_last(tmp_path, 40_960)  # e.g. --total-timesteps changed on resume: the summary decides
    (checkpoint.parent / "summary.json").write_text("{}")
    assert campaign.plan(SPEC, tmp_path / "results", tmp_path) == ("score", str(checkpoint))


def test_an_unreadable_last_pt_is_resumed_so_that_its_script_reports_it(tmp_path):
    checkpoint = save_last(tmp_path, 0)
    checkpoint.write_bytes(b"not a checkpoint")
    assert campaign.plan(SPEC, tmp_path / "results", tmp_path) == ("resume", str(checkpoint))


def test_runs_write_compact_results_in_parallel_and_running_again_does_nothing(tmp_path):
    where = ["--results-dir", tmp_path / "results", "--runs-root", tmp_path / "runs", "--score-games", 2]
    first = run_script("benchmark/campaign.py", "run", "--tiers", "smoke", "--workers", 2, *where)
    assert first.returncode == 0, first.stderr
    paths = sorted((tmp_path / "results").rglob("seed*.json"))
    assert [p.name for p in paths] == ["seed1.json", "seed2.json"]
    result = json.loads(paths[0].read_text())
    assert len(result["scores"]) == 2 and result["mean"] == np.mean(result["scores"])
    assert result["teacher_sampled_mean"] > 0 and result["teacher_contract"] == "sb3_atari_wrapper"
    assert "charts/teacher_agreement" in result["scalars"] and paths[0].stat().st_size < 20_000
    again = run_script("benchmark/campaign.py", "run", "--tiers", "smoke", *where)
    assert "2 of 2 runs done, 0 to do" in again.stdout and "seed1:" not in again.stdout


def test_each_finished_run_of_the_queue_re_estimates_the_hours_left_at_the_pace_it_measured(tmp_path):
    result = run_script("benchmark/campaign.py", "run", "--tiers", "smoke", "--score-games", 1, "--results-dir", tmp_path / "results",
                        "--runs-root", tmp_path / "runs")
    first, last = [line for line in result.stdout.splitlines() if line.startswith("[")]
    assert result.returncode == 0 and first.startswith("[1/2]") and last.startswith("[2/2]")
    assert "h left at the pace of this machine now)" in first and "left" not in last  # nothing is left after the last


def test_an_unknown_tier_is_refused():
    result = run_script("benchmark/campaign.py", "run", "--tiers", "1M")
    assert_one_line_error(result, "unknown tier '1M'")


def test_levels_plans_the_runs_of_those_teacher_levels_only(tmp_path):
    result = run_script("benchmark/campaign.py", "run", "--dry-run", "--tiers", "100k", "--levels", "good", "--runs-root", tmp_path,
                        "--results-dir", tmp_path / "results")
    planned = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("  ")]
    assert result.returncode == 0 and len(planned) == 3 * 3 * 5  # 3 games x 3 scripts x 5 seeds
    assert {key.split("/")[2].split("-")[0] for key in planned} == {"good"}


def test_an_unknown_teacher_level_is_refused():
    assert_one_line_error(run_script("benchmark/campaign.py", "run", "--levels", "great"), "unknown teacher level 'great'")


def test_only_a_key_outside_the_grid_is_refused(tmp_path):
    result = run_script("benchmark/campaign.py", "run", "--tiers", "smoke", "--only", "garbage/key", "--runs-root", tmp_path)
    assert_one_line_error(result, "--only 'garbage/key' is not a run of the tiers smoke", "--dry-run --tiers smoke")
    assert result.returncode == 2 and not list(tmp_path.iterdir())


@pytest.mark.parametrize("flag, value", [("--max-runs", -1), ("--workers", 0), ("--score-games", 0), ("--threads", -1)])
def test_a_count_out_of_range_is_refused(flag, value, tmp_path):
    result = run_script("benchmark/campaign.py", "run", "--tiers", "smoke", flag, value, "--runs-root", tmp_path)
    assert_one_line_error(result, f"{flag} must be")
    assert result.returncode == 2 and not list(tmp_path.iterdir())


def test_a_run_that_failed_makes_the_queue_exit_non_zero(tmp_path):
    # A corrupt last.pt: distill.py refuses to resume it, the queue goes on, then says so in its exit status.
    key = "smoke/MsPacmanNoFrameskip-v4/bad/distill/seed1"
    (tmp_path / "runs" / key / "run").mkdir(parents=True)
    (tmp_path / "runs" / key / "run" / "last.pt").write_bytes(b"not a checkpoint")
    result = run_script("benchmark/campaign.py", "run", "--tiers", "smoke", "--only", key, "--results-dir", tmp_path / "results",
                        "--runs-root", tmp_path / "runs")
    assert result.returncode == 1 and f"FAILED {key} (exit 2)" in result.stdout
    assert result.stderr.strip().splitlines()[-1].startswith(f"error: 1 run(s) failed: {key}")
    assert not (tmp_path / "results").exists()


def test_iqm_of_known_ratios():
    ratios = np.arange(8, dtype=float).reshape(4, 2) / 4  # 0, 0.25, ..., 1.75
    point, low, high = campaign_report.iqm_intervals({"distill": ratios}, reps=200)["distill"]
    assert point == pytest.approx(np.mean([0.5, 0.75, 1.0, 1.25]))  # the middle half of the eight
    assert low <= point <= high


def test_the_same_results_give_the_same_intervals_every_time():
    rng = np.random.default_rng(0)
    matrices = {"distill": rng.uniform(0.5, 1.0, (5, 5)), "distill_rnd": rng.uniform(0.5, 1.0, (5, 5))}
    assert campaign_report.iqm_intervals(matrices, reps=200) == campaign_report.iqm_intervals(matrices, reps=200)
    first = campaign_report.improvement_probabilities(matrices, reps=200)
    assert campaign_report.improvement_probabilities(matrices, reps=200) == first


def test_identical_runs_give_a_zero_width_interval_and_even_odds():
    ones = np.ones((5, 3))
    assert campaign_report.iqm_intervals({"distill": ones}, reps=200)["distill"] == pytest.approx((1.0, 1.0, 1.0))
    odds = campaign_report.improvement_probabilities({"distill": ones, "distill_rnd": ones.copy()}, reps=200)
    assert odds["distill_rnd"] == pytest.approx((0.5, 0.5, 0.5))


def test_a_variant_better_on_every_run_beats_distill_with_certainty():
    base = np.random.default_rng(0).uniform(0.5, 0.9, size=(5, 3))
    odds = campaign_report.improvement_probabilities({"distill": base, "distill_rnd": base + 1.0}, reps=200)
    assert odds["distill_rnd"] == pytest.approx((1.0, 1.0, 1.0))


def test_the_mean_of_seeds_has_the_student_t_interval():
    assert campaign_report.mean_interval([2.0, 2.0, 2.0]) == (2.0, 2.0, 2.0)
    half = 4.302652729911275 * 1.0 / np.sqrt(3)  # t(0.975, 2 degrees of freedom) x sd / sqrt(n)
    assert campaign_report.mean_interval([1.0, 2.0, 3.0]) == pytest.approx((2.0, 2.0 - half, 2.0 + half))


def test_a_difference_of_seed_means_has_the_welch_t_interval():
    # Variances 1/3 and 0 over 3 seeds each: Welch's degrees of freedom are 2, t(0.975, 2) = 4.3027.
    difference, low, high = campaign_report.difference_interval([1.0, 2.0, 3.0], [0.0, 0.0, 0.0])
    half = 4.302652729911275 * np.sqrt(1 / 3)
    assert (difference, low, high) == pytest.approx((2.0, 2.0 - half, 2.0 + half))


def test_a_difference_is_read_as_detectable_only_when_its_interval_excludes_zero():
    assert campaign_report.reading(0.01, 0.2) == "higher"
    assert campaign_report.reading(-0.2, -0.01) == "lower"
    assert campaign_report.reading(-0.1, 0.2) == "no detectable difference"
    assert campaign_report.difference_interval([1.0], [0.5, 0.6])[1:] == (pytest.approx(np.nan, nan_ok=True),) * 2


def test_the_quality_bar_is_met_at_100k_or_500k_steps_or_not_yet():
    results = [synthetic_result("100k", "MsPacmanNoFrameskip-v4", "good", "distill", 1, 95.0),
               synthetic_result("100k", "QbertNoFrameskip-v4", "medium", "distill", 1, 30.0),
               synthetic_result("500k", "QbertNoFrameskip-v4", "medium", "distill", 1, 110.0),
               synthetic_result("100k", "BeamRiderNoFrameskip-v4", "bad", "distill", 1, 50.0)]
    by_tier = {tier: [r for r in results if r["tier"] == tier] for tier in ("100k", "500k")}
    table = "\n".join(campaign_report.quality_bar(by_tier))
    assert "| MsPacmanNoFrameskip-v4 | good | 95% (1) | not run yet | yes, at 100k |" in table
    assert "| QbertNoFrameskip-v4 | medium | 30% (1) | 110% (1) | yes, at 500k |" in table
    assert "| BeamRiderNoFrameskip-v4 | bad | 50% (1) | not run yet | not yet (below at 100k; 500k not run yet) |" in table


def test_the_quality_bar_says_a_weaker_teacher_is_not_in_the_500k_grid():
    results = [synthetic_result("100k", "QbertNoFrameskip-v4", "bad", "distill", 1, 80.0),
               synthetic_result("100k", "QbertNoFrameskip-v4", "medium", "distill", 1, 95.0)]
    table = "\n".join(campaign_report.quality_bar({"100k": results}))
    assert "| QbertNoFrameskip-v4 | bad | 80% (1) | not in the 500k grid | **no** at 100k (500k not in the grid) |" in table
    assert "| QbertNoFrameskip-v4 | medium | 95% (1) | not run yet | yes, at 100k |" in table


def test_a_tier_with_distill_py_alone_gets_no_aggregate(tmp_path):
    results = [synthetic_result("500k", "QbertNoFrameskip-v4", "medium", "distill", seed, 110.0) for seed in (1, 2, 3)]
    campaign_report.main(results, str(tmp_path))
    assert "Aggregate: waits for a variant beside distill.py" in (tmp_path / "results.md").read_text()
    assert not (tmp_path / "aggregate.png").exists()


def test_a_cell_still_running_its_seeds_waits_outside_the_aggregate():
    results = [synthetic_result("100k", game, teacher, variant, seed, 100.0)
               for game, teacher, seeds in (("MsPacmanNoFrameskip-v4", "bad", (1, 2, 3)), ("QbertNoFrameskip-v4", "bad", (1, 2, 3)),
                                            ("QbertNoFrameskip-v4", "good", (1,)))
               for seed in seeds for variant in ("distill", "distill_rnd")]
    matrices, keys, seeds, waiting = campaign_report.score_matrices(results, ["distill", "distill_rnd"])
    assert seeds == [1, 2, 3] and waiting == [("QbertNoFrameskip-v4", "good")]
    assert keys == [("MsPacmanNoFrameskip-v4", "bad"), ("QbertNoFrameskip-v4", "bad")] and matrices["distill"].shape == (3, 2)


def test_a_tier_with_several_teacher_levels_is_aggregated_per_level_too(tmp_path):
    results = [synthetic_result("100k", game, teacher, variant, seed, mean + (20.0 if teacher == "good" and variant == "distill_rnd" else 0))
               for game in ("MsPacmanNoFrameskip-v4", "QbertNoFrameskip-v4") for teacher in ("bad", "good") for seed in (1, 2)
               for variant, mean in (("distill", 90.0), ("distill_rnd", 90.0))]
    campaign_report.main(results, str(tmp_path))
    table = (tmp_path / "results.md").read_text()
    every, bad, good = (table.index(f"Aggregate, {group}: ") for group in ("every teacher", "bad teachers", "good teachers"))
    assert "| distill_rnd | 90% | 90% to 90% | 0.50 | 0.50 to 0.50 |" in table[bad:good]  # a tie with distill.py on bad teachers
    assert "| distill_rnd | 110% | 110% to 110% | 1.00 | 1.00 to 1.00 |" in table[good:]  # and ahead on every good-teacher run
    assert "Aggregate, good teachers: 2 game x teacher cells, seeds 1, 2 (rliable" in table
    assert every < bad


def synthetic_result(tier, game, teacher, variant, seed, mean, teacher_score=100.0, steps=1000):
    return {"tier": tier, "game": game, "teacher": teacher, "variant": variant, "seed": seed, "steps": steps, "mean": mean,
            "scores": [mean] * 3, "teacher_sampled_mean": teacher_score,
            "scalars": {"charts/episodic_return": [[s, mean * s / steps] for s in range(100, steps + 1, 100)],
                        "charts/teacher_agreement": [[steps, 0.8]]}}


def test_the_report_tabulates_cells_and_aggregates_and_draws_every_figure(tmp_path):
    results = []
    for game in ("MsPacmanNoFrameskip-v4", "QbertNoFrameskip-v4"):
        for seed in (1, 2, 3):
            for variant, mean in (("distill", 90.0), ("distill_rnd", 110.0), ("distill_rnd_uncertainty", 100.0)):
                results.append(synthetic_result("100k", game, "bad", variant, seed, mean))
            results.append(synthetic_result("compression", game, "bad", "width0.5", seed, 80.0))
            results.append(synthetic_result("compression_500k", game, "bad", "width0.25", seed, 70.0, steps=500_000))
            results.append(synthetic_result("500k", game, "bad", "distill", seed, 120.0, steps=500_000))
    for seed in (1, 2):
        results.append(synthetic_result("ablation", "BeamRiderNoFrameskip-v4", "bad", "curiosity_only", seed, 10.0))
    campaign_report.main(results, str(tmp_path))
    table = (tmp_path / "results.md").read_text()
    # AUC: the curve 11, 22, ..., 110 (one game every 100 steps) on a 40-point grid with a 100-step trailing
    # window is four points each of 11 ... 99 and one of 110, after three empty points: 2090 / 37 = 56.5.
    assert "| MsPacmanNoFrameskip-v4 | bad (100) | distill_rnd | 3 | 110 +- 0 | 110% | 110% to 110% | 56 | 0.80 |" in table
    assert "| distill | 90% | 90% to 90% | - | - |" in table  # IQM of identical seeds, no interval width
    assert "| distill_rnd | 110% | 110% to 110% | 1.00 | 1.00 to 1.00 |" in table
    assert "| BeamRiderNoFrameskip-v4 | bad (100) | curiosity_only | 2 | 10 +- 0 | 10% |" in table
    assert "| QbertNoFrameskip-v4 | bad | distill_rnd | 3 / 3 | +20 points | +20 to +20 points | higher |" in table
    assert "among these 4 the chance that at least one does is 19%." in table  # 1 - 0.95^4 of a false reading
    assert "| MsPacmanNoFrameskip-v4 | bad | 90% (90% to 90%) | 110% (110% to 110%) | 100% (100% to 100%) |" in table
    assert "| MsPacmanNoFrameskip-v4 | bad | 90% (3, 90% to 90%) | 120% (3, 120% to 120%) | yes, at 100k |" in table
    # Compression: width 1 is the 100k tier's distill.py; 0.5 halves channels and units (a quarter of the parameters).
    assert "| MsPacmanNoFrameskip-v4 | bad | 1 | 25.2% | 3 | 90% | 90% to 90% |" in table
    assert "| MsPacmanNoFrameskip-v4 | bad | 0.5 | 6.4% | 3 | 80% | 80% to 80% |" in table
    # ... and at 500k steps, where width 1 is the 500k tier's distill.py.
    assert table.index("## Compression: distill.py's student at three widths, 500,000 steps") < table.index(
        "| MsPacmanNoFrameskip-v4 | bad | 1 | 25.2% | 3 | 120% | 120% to 120% |")
    assert "| MsPacmanNoFrameskip-v4 | bad | 0.25 | 1.7% | 3 | 70% | 70% to 70% |" in table
    for figure in ("100k_MsPacmanNoFrameskip-v4_bad.png", "100k_QbertNoFrameskip-v4_bad.png", "aggregate.png", "compression.png",
                   "ablation_BeamRiderNoFrameskip-v4_bad.png"):
        assert (tmp_path / figure).stat().st_size > 10_000, figure


def test_training_games_are_read_per_fifth_of_the_run_as_a_share_of_the_teacher():
    # Games end every 100 steps with return s / 10 (s the step), the teacher scores 100: the fifths (0, 200], (200, 400],
    # ... hold the games at 100, 200 | 300, 400 | 500, 600 | 700, 800 | 900, 1000.
    result = synthetic_result("100k", "QbertNoFrameskip-v4", "bad", "distill", 1, 100.0)
    assert campaign_report.training_by_span(result) == pytest.approx([0.15, 0.35, 0.55, 0.75, 0.95])
    result["scalars"]["charts/episodic_return"] = [[900, 50.0]]
    assert np.isnan(campaign_report.training_by_span(result)[:4]).all() and campaign_report.training_by_span(result)[4] == 0.5


def test_a_run_whose_script_stopped_short_is_not_scored_and_counts_as_failed(tmp_path, monkeypatch):
    key = "smoke/MsPacmanNoFrameskip-v4/bad/distill/seed1"

    class StoppedShort:  # the script saves last.pt half-way and exits 0, as after a signal sent to it alone
        def __init__(self, command, **kwargs):
            save_last(tmp_path / "runs", 128, num_envs=2, num_steps=64, total_timesteps=256, key=key)

        def wait(self):
            return 0

    monkeypatch.setattr(campaign.subprocess, "Popen", StoppedShort)
    monkeypatch.setattr(campaign.signal, "signal", lambda *args: None)  # keep pytest's own Ctrl-C
    args = campaign.Args("run", tiers=("smoke",), results_dir=str(tmp_path / "results"), runs_root=str(tmp_path / "runs"), only=key)
    assert campaign.run(args) == [key]
    assert not (tmp_path / "results").exists()
