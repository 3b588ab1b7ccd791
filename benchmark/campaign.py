"""The results campaign: every game and shipped teacher, the three scripts, enough seeds to tell them apart.

    python benchmark/campaign.py run                 # run what is missing, one run at a time
    python benchmark/campaign.py run --dry-run       # the plan: done / resume / score / start, and the time left
    python benchmark/campaign.py run --workers 6     # several runs at a time (a GPU machine's 16 cores)
    python benchmark/campaign.py run --levels good   # only the `good` teachers' cells (after a retrained `good` ships)
    python benchmark/campaign.py report              # figures and tables from the committed results -> docs/campaign/

The grid (tiers, in the order they run; the teachers of each in TEACHERS):
  100k         3 games x every teacher level x distill / distill_rnd / distill_rnd_uncertainty x 5 seeds
  ablation     BeamRider x bad teacher x curiosity only (`distill_rnd.py --no-distill`) x 5 seeds, 100k steps
  compression  3 games x the first strongest teacher x distill.py `--student-width` 0.5 and 0.25 x 3 seeds, 100k
               steps (width 1 is the 100k tier's distill.py)
  500k         3 games x {first strongest, good} teacher x the three scripts x 3 seeds, 500k steps
  compression_500k  compression again at 500k steps on Ms. Pac-Man and Qbert (width 1 is the 500k tier's distill.py):
               whether the narrow students catch up when given time, as Rusu et al.'s were; BeamRider's
               matched its teacher at every width by 100k steps
  curiosity_dose  Ms. Pac-Man and Qbert x good teacher x distill_rnd.py `--curiosity-coef` 0.03, 0.3, 1, 3 x 5 seeds,
               100k steps (0.1 is the 100k tier's distill_rnd; distill.py is the dose 0)
  uncertainty_roles  the same cells x distill_rnd_uncertainty.py `--uncertainty-distill-discount` 0 (uncertainty steers
               curiosity only) and 0.25 x 5 seeds, 100k steps (0.5 is the 100k tier's)
  rnd_published  Ms. Pac-Man x good teacher x distill_rnd.py with RND's observation statistics started from 50 x 128
               random steps per env, as Burda et al. did (`--rnd-init-steps 6400`) x 5 seeds, 100k steps
  curiosity_dose_500k  the dose's two most telling coefficients at 500k steps, 0.3 (its best at 100k) and 3 (its clear
               cost), on the same cells x 3 seeds (the 500k tier holds distill.py and the default 0.1)
A level that is not shipped (teachers/teachers.csv) is left out of the grid.
Every final student is scored like the teachers of teachers.csv: 30 whole games, sampled, on
eval_teacher.py's game seeds.

Outliving a session: each finished run writes one compact result, results/campaign/<tier>/<game>/<teacher>/
<variant>/seed<k>.json (its logged curves and its 30 game scores, a few KB; `--commit` commits it at
once), and `run` skips every run whose result exists. Checkpoints stay outside the work tree
(`--runs-root`, default ~/runs/campaign): SIGINT/SIGTERM stop the run in flight, which saves its
`last.pt`, and the next `run` resumes it. A run counts as trained once its script reached its summary
(summary.json beside last.pt), and only a trained run is scored; `run` exits non-zero when a run failed or
stopped short. So `run` is safe to start in the background at every session's start; `report` reads only
results/, so a fresh clone redraws every figure.
"""

import csv
import glob
import json
import os
import platform
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np
import tyro

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
GAMES = ["MsPacmanNoFrameskip-v4", "QbertNoFrameskip-v4", "BeamRiderNoFrameskip-v4"]
SCRIPTS = {"distill": "distill.py", "distill_rnd": "distill_rnd.py", "distill_rnd_uncertainty": "distill_rnd_uncertainty.py"}
LEVELS = ["bad", "medium", "good"]
TIERS = ["100k", "ablation", "compression", "500k", "compression_500k", "curiosity_dose", "uncertainty_roles", "rnd_published",
         "curiosity_dose_500k"]
# The teachers of each tier, by game. The campaign began when each game's strongest shipped teacher was `medium`
# (Ms. Pac-Man, Qbert) or `bad` (BeamRider, "the first strongest"); BeamRider's `medium` and every game's `good`
# shipped after the ablation and the compression tiers had run. The 100k and 500k tiers, which ask what curiosity
# and uncertainty add, take the new teachers too; the compression curve keeps its teachers, and so does the
# ablation (curiosity alone never reads the teacher: another one would change only the ratio's denominator).
# compression_500k runs where 100k steps left the narrow students still learning; BeamRider's matched its teacher at every width.
MSPACMAN, QBERT, BEAMRIDER = GAMES
TEACHERS = {
    "100k": {MSPACMAN: LEVELS, QBERT: LEVELS, BEAMRIDER: LEVELS},
    "ablation": {BEAMRIDER: ["bad"]},
    "compression": {MSPACMAN: ["medium"], QBERT: ["medium"], BEAMRIDER: ["bad"]},
    "500k": {MSPACMAN: ["medium", "good"], QBERT: ["medium", "good"], BEAMRIDER: ["bad", "good"]},
    "compression_500k": {MSPACMAN: ["medium"], QBERT: ["medium"]},
    "curiosity_dose": {MSPACMAN: ["good"], QBERT: ["good"]},
    "uncertainty_roles": {MSPACMAN: ["good"], QBERT: ["good"]},
    "rnd_published": {MSPACMAN: ["good"]},
    "curiosity_dose_500k": {MSPACMAN: ["good"], QBERT: ["good"]},
}
# The settings each sweep tier varies: {tier: (script, flag, values)}. The tiers' defaults (0.1, 0.5, 50) are in 100k.
SWEEPS = {
    "curiosity_dose": ("distill_rnd.py", "--curiosity-coef", ["0.03", "0.3", "1", "3"]),
    "uncertainty_roles": ("distill_rnd_uncertainty.py", "--uncertainty-distill-discount", ["0", "0.25"]),
    "rnd_published": ("distill_rnd.py", "--rnd-init-steps", ["6400"]),
    "curiosity_dose_500k": ("distill_rnd.py", "--curiosity-coef", ["0.3", "3"]),
}
# The teachers shipped on 2026-11-28 (teachers.csv of commit 859b1c0), which every result ran against until results began
# to record their teacher's steps and sha256: {(game, level): (steps, sampled_mean, sampled_std, episodes)}. Kept here
# because teachers.csv moves on when a teacher is retrained, and these results still need their teacher's noise.
SHIPPED_BEFORE = {
    ("BeamRiderNoFrameskip-v4", "bad"): (1000448, 554.4, 118.94, 30),
    ("BeamRiderNoFrameskip-v4", "medium"): (2008064, 642.67, 186.6, 30),
    ("BeamRiderNoFrameskip-v4", "good"): (2810880, 906.8, 347.15, 30),
    ("MsPacmanNoFrameskip-v4", "bad"): (1000448, 587.33, 144.89, 30),
    ("MsPacmanNoFrameskip-v4", "medium"): (1925120, 1502.0, 775.69, 30),
    ("MsPacmanNoFrameskip-v4", "good"): (3719168, 1843.0, 587.03, 30),  # the fp16 file's; 1764.33 recorded (fp32)
    ("QbertNoFrameskip-v4", "bad"): (1000448, 790.83, 106.55, 30),
    ("QbertNoFrameskip-v4", "medium"): (1769472, 3659.17, 1492.57, 30),
    ("QbertNoFrameskip-v4", "good"): (3506176, 4785.0, 242.35, 30),  # the fp16 file's; 4650.83 recorded (fp32)
}
# A teacher shipped since (a retrained `good`) is another file: its runs are keyed <level>-<steps>M, so that results
# against the two files never share a key or a label (campaign_report.teacher_label), and the report keeps both.


# Steps/s of each script on a 2-core CPU beside other work, for the estimate of the time left until committed
# results measure it (the median SPS their runs logged); each run adds about a minute of scoring.
CPU_SPS = {"distill": 240, "distill_rnd": 170, "distill_rnd_uncertainty": 130}


@dataclass
class Args:
    command: tyro.conf.Positional[Literal["run", "report"]]
    """run: train and score what is missing; report: figures and tables from the results"""
    tiers: tuple[str, ...] = tuple(TIERS)
    """tiers to run, in this order (100k, ablation, compression, 500k, compression_500k; `smoke`: two 256-step runs, a check)"""
    levels: tuple[str, ...] = tuple(LEVELS)
    """(run) teacher levels to run, e.g. `--levels good` to re-run the cells of a retrained `good` and nothing else"""
    results_dir: str = "results/campaign"
    """where the compact per-run results live (committed)"""
    runs_root: str = os.path.join(os.path.expanduser("~"), "runs", "campaign")
    """where run directories and resumable checkpoints live (outside the work tree)"""
    out_dir: str = "docs/campaign"
    """(report) where figures and results.md go"""
    score_games: int = 30
    """whole sampled games per final student"""
    threads: int = 0
    """torch threads of each run (0: torch's default); 1 leaves a core to whoever works beside the campaign"""
    commit: bool = False
    """git-commit each result as soon as it is written"""
    dry_run: bool = False
    """(run) print the plan and the time it needs, run nothing"""
    max_runs: int = 0
    """(run) stop after this many runs (0: all)"""
    workers: int = 1
    """(run) runs at a time, each in a process of its own (a GPU machine's cores want several)"""
    only: str = ""
    """(run) just this run of the grid, by its key (tier/game/teacher/variant/seed<k>): how --workers starts each"""


@dataclass
class Spec:
    """One run of the grid."""

    tier: str
    game: str
    teacher: str
    variant: str
    seed: int
    steps: int
    script: str
    flags: list = field(default_factory=list)
    teacher_version: str = ""  # "" for the teacher the campaign began with, else the shipped file's steps, e.g. "10.0M"

    @property
    def key(self):
        teacher = f"{self.teacher}-{self.teacher_version}" if self.teacher_version else self.teacher
        return os.path.join(self.tier, self.game, teacher, self.variant, f"seed{self.seed}")


def shipped_levels(table_path=os.path.join(ROOT, "teachers", "teachers.csv")):
    """{game: [levels, weakest first]} of the shipped teachers."""
    levels = {}
    for row in csv.DictReader(open(table_path)):
        levels.setdefault(row["env_id"], []).append(row["level"])
    return {game: sorted(found, key=LEVELS.index) for game, found in levels.items()}


def tier_steps(tier):
    """Training steps of each run of a tier: 500k for the tiers named so, else 100k."""
    return 500_000 if "500k" in tier else 100_000


def teacher_versions(table_path=os.path.join(ROOT, "teachers", "teachers.csv")):
    """{(game, level): version} of the shipped teachers: "" for the file the campaign began with, else its steps ("10.0M")."""
    versions = {}
    for row in csv.DictReader(open(table_path)):
        steps, first = int(row["steps"]), SHIPPED_BEFORE.get((row["env_id"], row["level"]), (None,))[0]
        versions[(row["env_id"], row["level"])] = "" if steps == first else f"{steps / 1e6:.1f}M"
    return versions


def grid(tiers, levels, versions=None):
    """The runs of `tiers` with the shipped `levels` ({game: [level, ...]}) in their `versions` (teacher_versions()), seed-major
    within a tier (and across the sweep tiers) so that a partial tier is balanced across its cells."""
    specs = []
    for tier in tiers:
        if tier == "smoke":  # two tiny runs: a check of the machinery, not a result
            specs += [Spec("smoke", "MsPacmanNoFrameskip-v4", "bad", "distill", seed, 256, "distill.py",
                           ["--num-envs", "2", "--num-steps", "64", "--num-minibatches", "2"]) for seed in (1, 2)]
            continue
        steps = tier_steps(tier)
        seeds = {"100k": 5, "ablation": 5, "compression": 3, "500k": 3, "compression_500k": 3, "curiosity_dose": 5,
                 "uncertainty_roles": 5, "rnd_published": 5, "curiosity_dose_500k": 3}
        for seed in range(seeds.get(tier, 0)):
            for game in GAMES:
                for level in [level for level in TEACHERS[tier].get(game, []) if level in levels.get(game, [])]:
                    if tier == "ablation":
                        specs.append(Spec(tier, game, level, "curiosity_only", seed + 1, steps, "distill_rnd.py", ["--no-distill"]))
                    elif tier in SWEEPS:
                        script, flag, values = SWEEPS[tier]
                        specs += [Spec(tier, game, level, f"{flag.removeprefix('--')}{value}", seed + 1, steps, script, [flag, value])
                                  for value in values]
                    elif tier.startswith("compression"):
                        specs += [Spec(tier, game, level, f"width{width}", seed + 1, steps, "distill.py", ["--student-width", str(width)])
                                  for width in (0.5, 0.25)]
                    else:
                        specs += [Spec(tier, game, level, name, seed + 1, steps, script) for name, script in SCRIPTS.items()]
    # The sweeps answer together (is curiosity strong enough, which of uncertainty's roles costs): seed-major across
    # them, so that a partial sweep has as many seeds in every cell of every sweep. (Python's sort is stable.)
    sweeps = sorted((s for s in specs if s.tier in SWEEPS), key=lambda s: s.seed)
    for spec in specs:
        spec.teacher_version = (versions or {}).get((spec.game, spec.teacher), "")
    return [s for s in specs if s.tier not in SWEEPS] + sweeps


def fail(message):
    """Bad input ends the program with one clear line, never a traceback."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def trained(checkpoint_path):
    """Whether the run of this last.pt reached its closing summary: the distill scripts write summary.json beside last.pt
    then. Runs of older scripts count when last.pt holds the run's last whole iteration (a 100k run of 8 x 128-step
    rollouts ends at step 99,328: the scripts train total_timesteps // batch iterations, by the run's own args)."""
    import torch

    if os.path.exists(os.path.join(os.path.dirname(checkpoint_path), "summary.json")):
        return True
    try:
        checkpoint = torch.load(checkpoint_path, map_location="cpu", weights_only=True)
        batch = checkpoint["args"]["num_envs"] * checkpoint["args"]["num_steps"]
        return checkpoint["global_step"] >= max(1, checkpoint["args"]["total_timesteps"] // batch) * batch
    except Exception:  # unreadable or not a run's checkpoint: resuming it lets its script say what is wrong
        return False


def plan(spec, results_dir, runs_root):
    """What `run` does for this spec: ("done", None), ("score", last.pt), ("resume", last.pt) or ("start", run_dir)."""
    if os.path.exists(os.path.join(results_dir, spec.key + ".json")):
        return "done", None
    run_dir = os.path.join(runs_root, spec.key)
    checkpoints = sorted(glob.glob(os.path.join(run_dir, "*", "last.pt")))
    if checkpoints:
        return ("score" if trained(checkpoints[-1]) else "resume"), checkpoints[-1]
    return "start", run_dir


def read_scalars(run_dir):
    """{tag: [[step, value], ...]} of the run's TensorBoard events (all of them: a resumed run appends)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(run_dir, size_guidance={"scalars": 0}).Reload()
    return {tag: [[int(e.step), round(float(e.value), 4)] for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


def score(checkpoint, spec, games):
    """30 (or `games`) whole sampled games on eval_teacher.py's game seeds -> scores."""
    import torch

    import eval_teacher

    policy, _, _ = eval_teacher.load_policy(checkpoint, spec.game)
    scores, cut = eval_teacher.evaluate(policy, spec.game, games, greedy=False, seed=eval_teacher.Args.seed,
                                        device=torch.device("cpu"))
    return [float(s) for s in scores], int(cut.sum())


def teacher_row(game, level):
    (row,) = [r for r in csv.DictReader(open(os.path.join(ROOT, "teachers", "teachers.csv")))
              if (r["env_id"], r["level"]) == (game, level)]
    return row


def teacher_file_sha256(game, level):
    """sha256 of the shipped teacher file, so results against an old and a new `good` never mix under one label."""
    import hashlib

    with open(os.path.join(ROOT, "teachers", game, f"{level}.pt"), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def run_teacher_sha256(checkpoint):
    """sha256 of the teacher file a run distilled, as its last.pt records it (None for runs that predate the record)."""
    import torch

    return torch.load(checkpoint, map_location="cpu", weights_only=True).get("teacher", {}).get("sha256")


def write_result(spec, checkpoint, args):
    scores, cut = score(checkpoint, spec, args.score_games)
    scalars = read_scalars(os.path.dirname(checkpoint))
    keep = ["charts/episodic_return", "charts/episodic_length", "charts/teacher_agreement", "losses/distill_kl", "charts/intrinsic_reward",
            "charts/teacher_uncertainty", "charts/uncertainty_weight", "charts/SPS"]
    row = teacher_row(spec.game, spec.teacher)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    result = {**asdict(spec), "scores": scores, "mean": float(np.mean(scores)), "games_cut": cut,
              "teacher_sampled_mean": float(row["sampled_mean"]), "teacher_contract": row.get("contract", ""),
              "teacher_sampled_std": float(row["sampled_std"]), "teacher_episodes": int(row["episodes"]),
              "teacher_steps": int(row["steps"]), "teacher_sha256": teacher_file_sha256(spec.game, spec.teacher),
              "scalars": {tag: scalars[tag] for tag in keep if tag in scalars},
              "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores", "date": time.strftime("%Y-%m-%d"),
              "commit": commit}
    path = os.path.join(args.results_dir, spec.key + ".json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(result, f, separators=(",", ":"))
    os.replace(path + ".tmp", path)
    if args.commit:
        for attempt in range(10):  # someone else's commit may hold the index for a moment
            added = subprocess.run(["git", "add", "--", path], cwd=ROOT, capture_output=True)
            done = subprocess.run(["git", "commit", "-q", "-m", f"campaign result {spec.key}: {result['mean']:.0f} "
                                   f"({result['mean'] / result['teacher_sampled_mean']:.0%} of the teacher)", "--", path],
                                  cwd=ROOT, capture_output=True)
            if added.returncode == 0 and done.returncode == 0:
                break
            time.sleep(3)
    return result


def run(args):
    """Train and score what is missing; returns the keys of the runs that failed."""
    levels = {game: [level for level in found if level in args.levels] for game, found in shipped_levels().items()}
    specs = [spec for spec in grid(args.tiers, levels, teacher_versions()) if not args.only or spec.key == args.only]
    if args.only and not specs:
        fail(f"--only {args.only!r} is not a run of the tiers {' '.join(args.tiers)}; pick a key "
             f"(tier/game/teacher/variant/seed<k>) that `campaign.py run --dry-run --tiers {' '.join(args.tiers)}` lists")
    plans = [(spec, *plan(spec, args.results_dir, args.runs_root)) for spec in specs]
    todo = [(spec, action, where) for spec, action, where in plans if action != "done"]
    measured = {}
    for result in load_results(args.results_dir):
        if result["scalars"].get("charts/SPS"):
            measured.setdefault(result["script"], []).append(result["scalars"]["charts/SPS"][-1][1])
    sps = {script: float(np.median(measured[script])) if script in measured else CPU_SPS[script.removesuffix(".py")]
           for script in SCRIPTS.values()}

    def hours(specs):
        return sum(spec.steps / sps[spec.script] / 3600 + 1 / 60 for spec in specs)

    if not args.only:
        print(f"campaign: {len(plans) - len(todo)} of {len(plans)} runs done, {len(todo)} to do "
              f"(about {hours(spec for spec, _, _ in todo):.1f} h one run at a "
              f"time at the speeds the committed runs logged: " + ", ".join(f"{script} {value:.0f}" for script, value in sps.items())
              + " steps/s; a slower or busier CPU takes longer, and each finished run says how much)",
              flush=True)
    if args.dry_run:
        for spec, action, where in plans:
            print(f"  {action:<6} {spec.key}")
        return []
    if args.workers > 1:
        return run_in_parallel(args, [spec for spec, _, _ in todo][: args.max_runs or None])
    child = []

    def stop(signum, frame):  # the run in flight saves last.pt; the next `run` resumes it
        if child:
            child[0].send_signal(signal.SIGINT)
        stopping.append(signum)

    stopping = []
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    env = dict(os.environ, **({"OMP_NUM_THREADS": str(args.threads)} if args.threads else {}))
    failed, pace = [], []  # pace: (hours taken, hours estimated) of each run started afresh here, the machine's speed now
    queue = todo[: args.max_runs or None]
    for count, (spec, action, where) in enumerate(queue):
        if stopping:
            break
        started, fresh = time.time(), action == "start"
        if action in ("start", "resume"):
            command = [sys.executable, os.path.join(ROOT, spec.script)]
            if action == "resume":
                command += ["--resume", where]
            else:
                command += ["--env-id", spec.game, "--teacher", spec.teacher, "--seed", str(spec.seed), "--total-timesteps",
                            str(spec.steps), "--runs-dir", where, "--n-eval-episodes", "1", *spec.flags]
            os.makedirs(os.path.join(args.runs_root, spec.key), exist_ok=True)
            with open(os.path.join(args.runs_root, spec.key, "log.txt"), "a") as log:
                child[:] = [subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)]
                returncode = child[0].wait()
            child.clear()
            if stopping:
                print(f"stopped during {spec.key}; `campaign.py run` resumes it", flush=True)
                break
            if returncode != 0:
                print(f"FAILED {spec.key} (exit {returncode}); see {os.path.join(args.runs_root, spec.key, 'log.txt')}", flush=True)
                failed.append(spec.key)
                continue
        action, checkpoint = plan(spec, args.results_dir, args.runs_root)
        if action != "score":  # its script exited 0 short of the end (a signal of its own): a partial run is no result
            print(f"UNFINISHED {spec.key}: its script stopped early; `campaign.py run` resumes it", flush=True)
            failed.append(spec.key)
            continue
        if run_teacher_sha256(checkpoint) not in (None, teacher_file_sha256(spec.game, spec.teacher)):
            print(f"STALE {spec.key}: it distilled a teacher file that no longer ships (replaced during the run); remove "
                  f"{os.path.join(args.runs_root, spec.key)} to run it again", flush=True)
            failed.append(spec.key)
            continue
        result = write_result(spec, checkpoint, args)
        if fresh:
            pace.append(((time.time() - started) / 3600, hours([spec])))
        left = [s for s, _, _ in queue[count + 1:]]
        speed = sum(taken for taken, _ in pace) / sum(estimate for _, estimate in pace) if pace else 0
        print(f"[{count + 1}/{len(todo)}] {spec.key}: {result['mean']:.0f} over {len(result['scores'])} games "
              f"= {result['mean'] / result['teacher_sampled_mean']:.0%} of the teacher ({(time.time() - started) / 60:.1f} min"
              + (f"; about {hours(left) * speed:.1f} h left at the pace of this machine now" if left and pace else "") + ")",
              flush=True)
    return failed


def run_in_parallel(args, specs):
    """`--workers` runs at a time, each a `campaign.py run --only KEY` of its own: it trains, scores, writes (and
    commits) its result, and on SIGINT/SIGTERM saves its checkpoint like a single run. Returns the keys that failed."""
    command = [sys.executable, os.path.abspath(__file__), "run", "--results-dir", args.results_dir, "--runs-root", args.runs_root,
               "--score-games", str(args.score_games), "--threads", str(args.threads), "--tiers", *args.tiers,
               *(["--commit"] if args.commit else [])]
    running, stopping, failed = [], [], []

    def stop(signum, frame):
        stopping.append(signum)
        for _, process in running:
            process.send_signal(signal.SIGINT)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while (specs and not stopping) or running:
        while specs and not stopping and len(running) < args.workers:
            key = specs.pop(0).key
            running.append((key, subprocess.Popen([*command, "--only", key], cwd=ROOT)))
        time.sleep(1)
        polled = [(key, process, process.poll()) for key, process in running]
        failed += [key for key, _, code in polled if code not in (None, 0)]
        running = [(key, process) for key, process, code in polled if code is None]
    return failed


def load_results(results_dir):
    results = []
    for path in sorted(glob.glob(os.path.join(results_dir, "*", "*", "*", "*", "seed*.json"))):
        with open(path) as f:
            results.append(json.load(f))
    return results


if __name__ == "__main__":
    args = tyro.cli(Args)
    unknown = [t for t in args.tiers if t not in TIERS + ["smoke"]]
    if unknown:
        fail(f"unknown tier {unknown[0]!r}; pick from {', '.join(TIERS + ['smoke'])}")
    if set(args.levels) - set(LEVELS):
        fail(f"unknown teacher level {sorted(set(args.levels) - set(LEVELS))[0]!r} in --levels; pick from {', '.join(LEVELS)}")
    for flag, value, smallest in [("max-runs", args.max_runs, 0), ("workers", args.workers, 1), ("score-games", args.score_games, 1),
                                  ("threads", args.threads, 0)]:
        if value < smallest:
            fail(f"--{flag} must be {smallest} or more, got {value}")
    if args.command == "run":
        failed = run(args)
        if failed:  # a queue that lost runs must not look finished to whoever started it
            sys.exit(f"error: {len(failed)} run(s) failed: {', '.join(failed)}; see their log.txt under {args.runs_root}")
    else:
        import campaign_report

        campaign_report.main(load_results(args.results_dir), args.out_dir)
