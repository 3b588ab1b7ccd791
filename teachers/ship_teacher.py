"""Ship a ppo_atari.py checkpoint as a compact teacher: teachers/<EnvId>/<level>.pt + a teachers.csv row.

    python teachers/ship_teacher.py runs/<run>/step_1000000.pt --level bad --train-wall-time "75 min"
    python teachers/ship_teacher.py runs/<run>/step_5000000.pt --level medium --train-wall-time "3 h" --replace
    python teachers/ship_teacher.py teachers/<game>/bad.pt --level bad --rescore   # new scores only
    python teachers/ship_teacher.py runs/<run>/last.pt --continuation            # a long run's point between rungs

The shipped file keeps the network in float16 (torso, actor and the 513-number value head, no optimizer)
with the checkpoint's metadata and training args: what distillation needs, and what `ppo_atari.py --resume`
needs to continue the run later (Adam's moments are rebuilt then). Before anything is written, the fp16
policy is checked against the fp32 one on real game frames (logits within fp16 tolerance, the same greedy
action on every frame), and then the fp16 file itself is scored: 30 whole games greedy and 30 sampled, on
eval_teacher.py's game seeds. fp16 changes sampled play a little, and students learn from the file that
ships, so its row holds that file's scores. A shipped level is replaced only with --replace.

--continuation writes the same fp16 file, checked but not scored and without a row, as teachers/<game>/continuation.pt:
where a long run goes on from on a fresh machine (teachers/resume_point.py) when it stopped between two rungs. It is
no teacher; the next rung shipped past it removes it (git keeps its history).
"""

import csv
import datetime
import os
import platform
import sys
from dataclasses import dataclass

import torch
import tyro

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
import eval_teacher  # noqa: E402  (the project's policy network and scorer)
from policy_files import read_policy_file  # noqa: E402
from resume_point import continuation_path, continuation_steps, resume_point  # noqa: E402

CSV_FIELDS = ["env_id", "level", "path", "steps", "mean", "std", "sampled_mean", "sampled_std", "episodes", "eval_date",
              "contract", "command", "machine", "train_wall_time"]
MIN_GAMES = 30  # a teacher's score is every student's yardstick: fewer games make its noise everyone's


@dataclass
class Args:
    checkpoint: tyro.conf.Positional[str]
    """a ppo_atari.py checkpoint (a ladder rung or last.pt)"""
    level: str = ""
    """bad, medium or good (none with --continuation)"""
    train_wall_time: str = ""
    """how long training took, for the record (e.g. "75 min"); required unless --rescore"""
    replace: bool = False
    """replace the teacher already shipped at this level, or the game's continuation point (what it replaces is printed)"""
    rescore: bool = False
    """only re-score this already-shipped teacher file (after a change of the preprocessing contract):
    weights, command, machine and training time stay as they are"""
    continuation: bool = False
    """write the run's point between rungs, teachers/<game>/continuation.pt (fp16 weights and step, checked, not scored,
    no row), for a fresh machine to go on from; it must be more trained than every file the game ships"""
    n_eval_episodes: int = MIN_GAMES
    """whole games scored in each mode (greedy and sampled); at least 30"""
    machine: str = f"{platform.machine()} CPU, {os.cpu_count()} cores"
    """the machine that trained it, for the record"""
    logit_tolerance: float = 0.05
    """largest allowed |fp32 - fp16| logit difference"""
    teachers_dir: str = os.path.dirname(os.path.abspath(__file__))
    """the folder of shipped teachers and teachers.csv (this one)"""


def training_command(args: dict) -> str:
    """The ppo_atari.py command line that reproduces the run (its non-default arguments)."""
    import ppo_atari

    defaults = vars(ppo_atari.Args())
    changed = [f"--{k.replace('_', '-')} {v}" for k, v in args.items()
               if k not in ("exp_name", "resume", "runs_dir", "save_steps") and defaults.get(k) != v]
    return " ".join(["python ppo_atari.py", *changed])


def score_file(path, env_id, games, name):
    """Greedy and sampled scores of the policy file `path` itself (to ship as `name`); a game cut short is refused."""
    policy, _, _ = eval_teacher.load_policy(path, env_id)
    scores = {}
    for greedy, column in ((True, "mean"), (False, "sampled_mean")):
        played, cut = eval_teacher.evaluate(policy, env_id, games, greedy, eval_teacher.Args.seed, torch.device("cpu"))
        if cut.any():
            eval_teacher.fail(f"{cut.sum()} of the {games} {'greedy' if greedy else 'sampled'} games of {name} were cut by the "
                              f"frame limit; a teacher's score must come from whole games, so it was not shipped")
        scores[column], scores[column.replace("mean", "std")] = round(float(played.mean()), 2), round(float(played.std()), 2)
    print(f"{name}: greedy {scores['mean']} +- {scores['std']}, sampled {scores['sampled_mean']} +- {scores['sampled_std']} "
          f"over {games} whole games each")
    return {**scores, "episodes": games, "eval_date": datetime.date.today().isoformat(),
            "contract": eval_teacher.AtariWrapperVectorEnv.contract}


def fp16_payload(path, checkpoint, tolerance):
    """The shipped form of the teacher checkpoint at `path`: its network in float16 with its metadata, once the fp16
    policy is shown to act as the fp32 one on real game frames."""
    policy32, _, _ = eval_teacher.load_policy(path, checkpoint["env_id"])
    state16 = {k: v.half() for k, v in policy32.state_dict().items()}
    # The value head too (513 numbers): ppo_atari.py --resume continues a shipped rung without re-learning it.
    state16.update({k: v.half() for k, v in checkpoint["state_dict"].items() if k.startswith("critic.")})
    policy16 = eval_teacher.PolicyCNN(checkpoint["num_actions"], **{k: checkpoint["architecture"][k] for k in ("channels", "hidden")})
    policy16.load_state_dict({k: v.float() for k, v in state16.items() if not k.startswith("critic.")})
    frames = eval_teacher.play_frames(policy32, checkpoint["env_id"])  # real frames, where the teacher's decisions are made
    with torch.no_grad():
        logits32, logits16 = policy32(frames), policy16(frames)
    max_diff = (logits32 - logits16).abs().max().item()
    agreement = (logits32.argmax(1) == logits16.argmax(1)).float().mean().item()
    print(f"fp16 check on {len(frames)} frames: max |logit diff| {max_diff:.4f}, greedy agreement {agreement:.2%}")
    if max_diff > tolerance or agreement < 1.0:
        eval_teacher.fail(f"the fp16 policy drifts from fp32 (max diff {max_diff:.4f}, agreement {agreement:.2%}); not shipped")
    payload = {k: checkpoint[k] for k in ("format_version", "architecture", "env_id", "num_actions", "obs_shape",
                                          "global_step", "mean_episodic_return", "args")}
    payload["state_dict"] = state16
    return payload


def ship_continuation(path, checkpoint, args):
    """Write the run's point between rungs as teachers/<game>/continuation.pt, if it is past every file the game ships."""
    env_id, steps = checkpoint["env_id"], checkpoint["global_step"]
    shipped = resume_point(env_id, args.teachers_dir)
    if shipped and shipped[1] >= steps:
        eval_teacher.fail(f"{path!r} is at step {steps:,}, but {shipped[0]} ships {shipped[1]:,} steps of {env_id}: a fresh "
                          f"machine goes on from that already; nothing was written")
    target = continuation_path(env_id, args.teachers_dir)
    # Git keeps every version of the file, and every clone carries them all: a game's run leaves one point at most.
    previous = continuation_steps(env_id, args.teachers_dir)
    if previous is not None and not args.replace:
        eval_teacher.fail(f"{target} already holds step {previous:,}, and every point stays in the repository's history "
                          f"(~{os.path.getsize(target) / 2**20:.1f} MiB each): pass --replace to replace it anyway")
    payload = fp16_payload(path, checkpoint, args.logit_tolerance)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    torch.save(payload, f"{target}.tmp")
    if previous is not None:
        print(f"replacing {target}: step {previous:,}")
    os.replace(f"{target}.tmp", target)
    print(f"wrote {target} ({os.path.getsize(target) / 2**20:.1f} MiB): {env_id} at step {steps:,}, where "
          f"benchmark/teachers.sh goes on from on a machine without the run's last.pt")


def write_table(table_path, table):
    table.sort(key=lambda r: (r["env_id"], ["bad", "medium", "good"].index(r["level"])))
    with open(f"{table_path}.tmp", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(table)
    os.replace(f"{table_path}.tmp", table_path)


if __name__ == "__main__":
    args = tyro.cli(Args)
    if args.continuation and (args.level or args.rescore):
        eval_teacher.fail("--continuation writes teachers/<game>/continuation.pt: it takes no --level or --rescore")
    if not args.continuation and args.level not in ("bad", "medium", "good"):
        eval_teacher.fail(f"--level must be bad, medium or good, not {args.level!r}")
    if not args.rescore and not args.continuation and not args.train_wall_time:
        eval_teacher.fail("--train-wall-time is required to ship a teacher (how long it trained, e.g. \"75 min\")")
    if not 0 < args.logit_tolerance < float("inf"):
        eval_teacher.fail(f"--logit-tolerance must be a positive number, got {args.logit_tolerance}")
    if args.n_eval_episodes < MIN_GAMES:
        eval_teacher.fail(f"--n-eval-episodes must be at least {MIN_GAMES} (the score every student is measured against), "
                          f"got {args.n_eval_episodes}")
    checkpoint = read_policy_file(args.checkpoint)
    # A ppo_atari.py teacher records its PPO arguments; a distill*.py student records the teacher it learned from.
    if checkpoint["source"] != "curious-distill" or "clip_coef" not in checkpoint.get("args", {}) or "teacher" in checkpoint:
        eval_teacher.fail(f"{args.checkpoint!r} is not a ppo_atari.py teacher checkpoint; only those can be shipped")
    env_id = checkpoint["env_id"]
    if args.continuation:
        ship_continuation(args.checkpoint, checkpoint, args)
        sys.exit(0)
    table_path = os.path.join(args.teachers_dir, "teachers.csv")
    table = list(csv.DictReader(open(table_path, newline=""))) if os.path.exists(table_path) else []
    if table and list(table[0]) != CSV_FIELDS:
        eval_teacher.fail(f"{table_path} does not have ship_teacher.py's columns; it was left as it is: fix its header")
    shipped = next((r for r in table if (r["env_id"], r["level"]) == (env_id, args.level)), None)
    relative_path = f"{env_id}/{args.level}.pt"
    target = os.path.join(args.teachers_dir, relative_path)

    if args.rescore:
        if shipped is None or os.path.abspath(os.path.join(args.teachers_dir, shipped["path"])) != os.path.abspath(args.checkpoint):
            eval_teacher.fail(f"{args.checkpoint!r} is not the shipped {args.level} teacher of {env_id}; "
                              f"--rescore takes a teachers/<game>/<level>.pt listed in teachers.csv")
        shipped.update(score_file(args.checkpoint, env_id, args.n_eval_episodes, args.checkpoint))
        write_table(table_path, table)
        print(f"rescored {args.checkpoint} in {table_path}")
        sys.exit(0)

    if (shipped or os.path.exists(target)) and not args.replace:
        what = f"{shipped['steps']} steps, greedy {shipped['mean']}, sampled {shipped['sampled_mean']}" if shipped else "not in teachers.csv"
        eval_teacher.fail(f"{target} already ships ({what}); pass --replace to replace it, or choose another --level")
    if os.path.abspath(args.checkpoint) == os.path.abspath(target):
        eval_teacher.fail(f"{args.checkpoint!r} is the shipped file itself; to score it again use --rescore")

    payload = fp16_payload(args.checkpoint, checkpoint, args.logit_tolerance)
    # The fp16 file is written beside its destination, scored as it is, and only then moved into place.
    os.makedirs(os.path.dirname(target), exist_ok=True)
    staged = f"{target}.new.tmp"
    try:
        torch.save(payload, staged)
        scores = score_file(staged, env_id, args.n_eval_episodes, f"{target} (fp16)")
        if shipped:
            print(f"replacing {target}: {shipped['steps']} steps, greedy {shipped['mean']}, sampled {shipped['sampled_mean']}")
        os.replace(staged, target)
    finally:
        if os.path.exists(staged):
            os.remove(staged)

    table = [r for r in table if r is not shipped]
    table.append({"env_id": env_id, "level": args.level, "path": relative_path, "steps": checkpoint["global_step"], **scores,
                  "command": training_command(checkpoint["args"]), "machine": args.machine,
                  "train_wall_time": args.train_wall_time})
    write_table(table_path, table)
    # A continuation point this rung has caught up with is spent: a fresh machine goes on from the rung.
    if (continuation_steps(env_id, args.teachers_dir) or float("inf")) <= checkpoint["global_step"]:
        os.remove(continuation_path(env_id, args.teachers_dir))
        print(f"removed {continuation_path(env_id, args.teachers_dir)}: the new rung is at least as far")
    print(f"shipped {target} ({os.path.getsize(target) / 2**20:.1f} MiB): {env_id} {args.level}, "
          f"{checkpoint['global_step']:,} steps, greedy {scores['mean']}, sampled {scores['sampled_mean']}")
