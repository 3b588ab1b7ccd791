"""Shared fixtures: how to run a script as a user would, and a tiny real teacher."""

import os
import subprocess
import sys
import time

# As the scripts do, before torch loads: spinning OpenMP threads take the cores the emulators need between network
# calls, which slows the in-process tests several-fold on 2 cores (the scripts' subprocesses set it themselves).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import gymnasium as gym  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import prewarmed_python  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


class ImageEnv(gym.Env):
    """Just the spaces of a preprocessed Ms. Pac-Man, enough for SB3 to build its CnnPolicy."""

    observation_space = gym.spaces.Box(0, 255, (4, 84, 84), np.uint8)
    action_space = gym.spaces.Discrete(9)

    def reset(self, *, seed=None, options=None):
        return self.observation_space.sample(), {}

    def step(self, action):
        return self.observation_space.sample(), 0.0, False, False, {}


def run_script(script, *args, cwd=None, timeout=300):
    """Run `python <script> <args>` from the repository like a user would (in a fork of an interpreter that has
    imported torch already: prewarmed_python.py); never raises."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return prewarmed_python.run([sys.executable, os.path.join(ROOT, script), *map(str, args)], cwd or ROOT, env, timeout)


def assert_one_line_error(result, *fragments):
    """The bad-input contract: non-zero exit, one line on stderr, no traceback."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def assert_stops_with_one_error_line(result, *fragments):
    """A run stopped mid-way: exit 2, no traceback, one `error:` line (stderr holds the progress bar too)."""
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    for fragment in fragments:
        assert fragment in line, line


def step_of_the_first_periodic_last_pt(script, runs_dir, *args, total_timesteps):
    """Start `script` with `--checkpoint-minutes 0.05`, kill -9 it once its first periodic last.pt exists -> that
    checkpoint's step (what a kill without warning leaves behind)."""
    process = subprocess.Popen([sys.executable, os.path.join(ROOT, script), *map(str, args), "--total-timesteps",
                                str(total_timesteps), "--checkpoint-minutes", "0.05", "--runs-dir", str(runs_dir)],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while not list(runs_dir.glob("*/last.pt")) and time.time() < deadline:
            time.sleep(1)
    finally:
        process.kill()
    (last,) = runs_dir.glob("*/last.pt")
    return torch.load(last, weights_only=True)["global_step"]


@pytest.fixture(scope="session")
def tiny_teacher_run(tmp_path_factory):
    """A real (if barely trained) ppo_atari.py run on Ms. Pac-Man (a greedy untrained policy
    loses its lives in seconds there, where in Breakout it would never press FIRE): 4 iterations of 2 envs x 32 steps,
    a ladder checkpoint at step 128 and `last.pt` at step 256."""
    runs_dir = tmp_path_factory.mktemp("runs")
    result = run_script("ppo_atari.py", "--env-id", "MsPacmanNoFrameskip-v4", "--num-envs", 2, "--num-steps", 32,
                        "--total-timesteps", 256, "--save-steps", 128, "--runs-dir", runs_dir, "--seed", 3)
    assert result.returncode == 0, result.stderr
    (run_dir,) = [p for p in runs_dir.iterdir() if p.is_dir()]
    return run_dir


@pytest.fixture(scope="session")
def tiny_teacher(tiny_teacher_run):
    return tiny_teacher_run / "last.pt"
