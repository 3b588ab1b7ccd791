"""Ship a ppo_atari.py checkpoint as a compact teacher: teachers/<EnvId>/<level>.pt + a teachers.csv row.

    python eval_teacher.py runs/<run>/step_1000000.pt            # score it first: greedy...
    python eval_teacher.py runs/<run>/step_1000000.pt --no-greedy   # ...and sampling
    python teachers/ship_teacher.py runs/<run>/step_1000000.pt --level bad --train-wall-time "75 min"
    python teachers/ship_teacher.py teachers/<game>/bad.pt --level bad --rescore   # new scores only (after both evals)

The shipped file keeps the network in float16 (torso, actor and the 513-number value head, no optimizer)
with the checkpoint's metadata and training args: what distillation needs, and what `ppo_atari.py --resume`
needs to continue the run later (Adam's moments are rebuilt then). Before writing, the fp16
policy is checked against the fp32 one on real game frames: logits within fp16 tolerance and the
same greedy action on every frame; otherwise nothing is written.
"""

import csv
import os
import platform
import sys
from dataclasses import dataclass

import torch
import tyro

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
import eval_teacher  # noqa: E402  (the project's one checkpoint reader and policy network)

CSV_FIELDS = ["env_id", "level", "path", "steps", "mean", "std", "sampled_mean", "sampled_std", "episodes", "eval_date",
              "contract", "command", "machine", "train_wall_time"]


@dataclass
class Args:
    checkpoint: tyro.conf.Positional[str]
    """a ppo_atari.py checkpoint already scored by eval_teacher.py, greedy and --no-greedy"""
    level: str
    """bad, medium or good"""
    train_wall_time: str = ""
    """how long training took, for the record (e.g. "75 min"); required unless --rescore"""
    rescore: bool = False
    """only replace the scores of this already-shipped teacher with its newest ledger rows (after a change
    of the preprocessing contract): weights, command, machine and training time stay as they are"""
    machine: str = f"{platform.machine()} CPU, {os.cpu_count()} cores"
    """the machine that trained it, for the record"""
    ledger: str = "runs/eval_ledger.csv"
    """the eval_teacher.py ledger holding this checkpoint's score"""
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


if __name__ == "__main__":
    args = tyro.cli(Args)
    if args.level not in ("bad", "medium", "good"):
        eval_teacher.fail(f"--level must be bad, medium or good, not {args.level!r}")
    if not args.rescore and not args.train_wall_time:
        eval_teacher.fail("--train-wall-time is required to ship a teacher (how long it trained, e.g. \"75 min\")")
    checkpoint = eval_teacher.read_policy_file(args.checkpoint)
    if checkpoint.get("env_id") is None or "args" not in checkpoint:
        eval_teacher.fail(f"{args.checkpoint!r} is not a ppo_atari.py checkpoint; only those can be shipped")
    rows = [r for r in csv.DictReader(open(args.ledger))] if os.path.exists(args.ledger) else []
    rows = [r for r in rows if os.path.abspath(r["checkpoint"]) == os.path.abspath(args.checkpoint)
            and r.get("contract") == eval_teacher.AtariWrapperVectorEnv.contract]
    greedy_rows, sampled_rows = [r for r in rows if r["greedy"] == "True"], [r for r in rows if r["greedy"] == "False"]
    if not greedy_rows or not sampled_rows:
        missing = "" if not greedy_rows else " --no-greedy"
        eval_teacher.fail(f"{args.checkpoint!r} lacks a{' sampled' if missing else ''} score in {args.ledger}; "
                          f"run `python eval_teacher.py {args.checkpoint}{missing}` first")
    score, sampled = greedy_rows[-1], sampled_rows[-1]
    scores = {"mean": score["mean"], "std": score["std"], "sampled_mean": sampled["mean"], "sampled_std": sampled["std"],
              "episodes": min(score["episodes"], sampled["episodes"]), "eval_date": score["date"],
              "contract": eval_teacher.AtariWrapperVectorEnv.contract}
    table_path = os.path.join(args.teachers_dir, "teachers.csv")
    table = [r for r in csv.DictReader(open(table_path))] if os.path.exists(table_path) else []

    def write_table():
        table.sort(key=lambda r: (r["env_id"], ["bad", "medium", "good"].index(r["level"])))
        with open(f"{table_path}.tmp", "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
            writer.writeheader()
            writer.writerows(table)
        os.replace(f"{table_path}.tmp", table_path)

    if args.rescore:
        (row,) = [r for r in table if (r["env_id"], r["level"]) == (checkpoint["env_id"], args.level)] or [None]
        if row is None or os.path.abspath(os.path.join(args.teachers_dir, row["path"])) != os.path.abspath(args.checkpoint):
            eval_teacher.fail(f"{args.checkpoint!r} is not the shipped {args.level} teacher of {checkpoint['env_id']}; "
                              f"--rescore takes a teachers/<game>/<level>.pt listed in teachers.csv")
        row.update(scores)
        write_table()
        print(f"rescored {args.checkpoint}: greedy {score['mean']} +- {score['std']}, sampled {sampled['mean']} +- {sampled['std']}")
        sys.exit(0)

    policy32, env_id, _ = eval_teacher.load_policy(args.checkpoint, None)
    state16 = {k: v.half() for k, v in policy32.state_dict().items()}
    # The value head too (513 numbers): ppo_atari.py --resume continues a shipped rung without re-learning it.
    state16.update({k: v.half() for k, v in checkpoint["state_dict"].items() if k.startswith("critic.")})
    policy16 = eval_teacher.PolicyCNN(checkpoint["num_actions"], **{k: checkpoint["architecture"][k] for k in ("channels", "hidden")})
    policy16.load_state_dict({k: v.float() for k, v in state16.items() if not k.startswith("critic.")})
    frames = eval_teacher.play_frames(policy32, env_id)  # real frames, where the teacher's decisions are made
    with torch.no_grad():
        logits32, logits16 = policy32(frames), policy16(frames)
    max_diff = (logits32 - logits16).abs().max().item()
    agreement = (logits32.argmax(1) == logits16.argmax(1)).float().mean().item()
    print(f"fp16 check on {len(frames)} frames: max |logit diff| {max_diff:.4f}, greedy agreement {agreement:.2%}")
    if max_diff > args.logit_tolerance or agreement < 1.0:
        eval_teacher.fail(f"the fp16 policy drifts from fp32 (max diff {max_diff:.4f}, agreement {agreement:.2%}); not shipped")

    relative_path = f"{env_id}/{args.level}.pt"
    os.makedirs(os.path.join(args.teachers_dir, env_id), exist_ok=True)
    payload = {k: checkpoint[k] for k in ("format_version", "architecture", "env_id", "num_actions", "obs_shape",
                                          "global_step", "mean_episodic_return", "args")}
    payload["state_dict"] = state16
    target = os.path.join(args.teachers_dir, relative_path)
    torch.save(payload, f"{target}.tmp")
    os.replace(f"{target}.tmp", target)

    table = [r for r in table if (r["env_id"], r["level"]) != (env_id, args.level)]
    table.append({"env_id": env_id, "level": args.level, "path": relative_path, "steps": checkpoint["global_step"], **scores,
                  "command": training_command(checkpoint["args"]), "machine": args.machine,
                  "train_wall_time": args.train_wall_time})
    write_table()
    print(f"shipped {target} ({os.path.getsize(target) / 2**20:.1f} MiB): {env_id} {args.level}, "
          f"{checkpoint['global_step']} steps, greedy {score['mean']} +- {score['std']}, sampled {sampled['mean']} +- {sampled['std']}")
