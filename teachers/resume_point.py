"""Where a game's long teacher run goes on from on a machine without its last.pt: the most-trained file that ships.

    python teachers/resume_point.py BeamRiderNoFrameskip-v4    # prints e.g. teachers/BeamRiderNoFrameskip-v4/medium.pt

That is the most-trained of the game's rungs (teachers.csv) and its continuation point (teachers/<game>/continuation.pt:
the run's fp16 weights and step between two rungs, written by `ship_teacher.py --continuation`, never a teacher
itself). Prints nothing when the game ships neither. benchmark/teachers.sh and benchmark/gpu_teachers.sh ask it.
"""

import csv
import os
import sys

TEACHERS_DIR = os.path.dirname(os.path.abspath(__file__))


def continuation_path(env_id, teachers_dir=TEACHERS_DIR):
    return os.path.join(teachers_dir, env_id, "continuation.pt")


def continuation_steps(env_id, teachers_dir=TEACHERS_DIR):
    """The step of the game's continuation point, or None when it has none."""
    path = continuation_path(env_id, teachers_dir)
    if not os.path.exists(path):
        return None
    import torch

    return int(torch.load(path, map_location="cpu", weights_only=True)["global_step"])


def resume_point(env_id, teachers_dir=TEACHERS_DIR):
    """(path, steps) of the most-trained shipped file of `env_id`, or None."""
    table_path = os.path.join(teachers_dir, "teachers.csv")
    rows = [r for r in csv.DictReader(open(table_path, newline=""))] if os.path.exists(table_path) else []
    candidates = [(os.path.join(teachers_dir, r["path"]), int(r["steps"])) for r in rows if r["env_id"] == env_id]
    steps = continuation_steps(env_id, teachers_dir)
    if steps is not None:
        candidates.append((continuation_path(env_id, teachers_dir), steps))
    return max(candidates, key=lambda c: c[1]) if candidates else None


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("error: give one game, e.g. `python teachers/resume_point.py QbertNoFrameskip-v4`", file=sys.stderr)
        sys.exit(2)
    found = resume_point(sys.argv[1])
    if found:
        print(os.path.relpath(found[0], os.getcwd()))
