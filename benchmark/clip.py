"""A short clip for the README: a student beside its teacher, each in its first scored game, in colour.

    python benchmark/clip.py STUDENT.pt TEACHER.pt --out docs/campaign/clip_MsPacmanNoFrameskip-v4.gif

Both play eval_teacher.py's first game seed (sampled, as they are scored), recorded by eval_teacher's
colour twin; the GIF shows the first `--seconds` of play at half the frame rate, side by side.
"""

import os
import sys
import tempfile
from dataclasses import dataclass

import numpy as np
import tyro

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
import eval_teacher  # noqa: E402


@dataclass
class Args:
    student: tyro.conf.Positional[str]
    """a distill*.py checkpoint"""
    teacher: tyro.conf.Positional[str]
    """its teacher"""
    out: str = "docs/clip.gif"
    """the GIF to write"""
    seconds: float = 10.0
    """seconds of play shown"""
    greedy: bool = False
    """argmax play instead of sampling"""


def first_game_frames(path, env_id, greedy):
    import cv2
    import torch

    policy, env_id, _ = eval_teacher.load_policy(path, env_id)
    with tempfile.TemporaryDirectory() as folder:
        video = os.path.join(folder, "game.mp4")
        scores, _ = eval_teacher.evaluate(policy, env_id, 1, greedy, eval_teacher.Args.seed, torch.device("cpu"), video_path=video)
        capture, frames = cv2.VideoCapture(video), []
        while True:
            ok, frame = capture.read()
            if not ok:
                return frames, float(scores[0]), env_id
            frames.append(frame[::2, ::2, ::-1])  # back to 210x160 RGB


if __name__ == "__main__":
    from PIL import Image

    args = tyro.cli(Args)
    if not 0 < args.seconds < 3600:
        eval_teacher.fail(f"--seconds must be between 0 and 3600 (the length of the clip), got {args.seconds}")
    student, student_score, env_id = first_game_frames(args.student, None, args.greedy)
    teacher, teacher_score, _ = first_game_frames(args.teacher, env_id, args.greedy)
    shown = int(args.seconds * 15)
    gap = np.full((210, 8, 3), 255, dtype=np.uint8)
    pictures = []
    for i in range(0, shown, 2):  # every other screen: 7.5 per second, a small file
        left = student[min(i, len(student) - 1)]
        right = teacher[min(i, len(teacher) - 1)]
        pictures.append(Image.fromarray(np.concatenate([left, gap, right], axis=1)))
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    pictures[0].save(args.out, save_all=True, append_images=pictures[1:], duration=int(1000 / 7.5), loop=0, optimize=True)
    print(f"{args.out}: {env_id}, left the student ({student_score:.0f} points in this game), right the teacher "
          f"({teacher_score:.0f}); first {args.seconds:.0f} s, {os.path.getsize(args.out) / 2**20:.1f} MiB")
