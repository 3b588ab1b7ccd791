"""Specification of tests/prewarmed_python.py, the runner behind run_script: a run forked from the warm interpreter
gives what a fresh `python script.py` gives."""

import os
import subprocess
import sys

import pytest

import prewarmed_python

SCRIPT = """
import os, sys
import numpy as np
print("argv", sys.argv[1:], "cwd", os.getcwd(), "path0", sys.path[0], "name", __name__, "var", os.environ.get("COLOUR"))
print("progress 1/2\\rprogress 2/2", file=sys.stderr)
print("parent", os.getppid(), "draw", np.random.rand(), file=sys.stderr)
sys.exit(int(sys.argv[1]))
"""


def environment(**variables):
    return dict(os.environ, PYTHONUNBUFFERED="1", **variables)


def script(tmp_path, text=SCRIPT):
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "script.py").write_text(text)
    return str(tmp_path / "folder" / "script.py")


def forked(argv, cwd, env, timeout=60):
    result = prewarmed_python.run(argv, cwd, env, timeout)
    assert prewarmed_python._warm.ready  # so it was forked, not run in a fresh interpreter
    return result


def parent(result):
    return int(result.stderr.splitlines()[2].split()[1])


def test_a_forked_run_returns_what_subprocess_run_returns_but_for_its_parent_and_its_fresh_randomness(tmp_path):
    argv, env = [sys.executable, script(tmp_path), "7", "two words"], environment()
    fresh = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    warm = forked(argv, tmp_path, env)
    assert (warm.args, warm.returncode, warm.stdout) == (fresh.args, fresh.returncode, fresh.stdout) == (argv, 7, warm.stdout)
    assert "'two words'" in warm.stdout and f"path0 {tmp_path / 'folder'} name __main__" in warm.stdout
    progress, (_, parent, _, draw) = warm.stderr.splitlines()[:2], warm.stderr.splitlines()[2].split()
    assert progress == fresh.stderr.splitlines()[:2] == ["progress 1/2", "progress 2/2"]  # "\r" read as text=True reads it
    assert int(parent) == prewarmed_python._warm.process.pid != os.getpid()
    assert draw != forked(argv, tmp_path, env).stderr.splitlines()[2].split()[3]


def test_each_run_gets_its_own_working_directory_from_the_same_warm_interpreter(tmp_path):
    argv = [sys.executable, script(tmp_path), "0"]
    (tmp_path / "elsewhere").mkdir()
    first = forked(argv, tmp_path / "elsewhere", environment(PYTEST_CURRENT_TEST="a test (call)"))
    second = forked(argv, tmp_path, environment())  # pytest's test name changes all the time; no library reads it
    assert f"cwd {tmp_path / 'elsewhere'}" in first.stdout and f"cwd {tmp_path}" in second.stdout
    assert parent(first) == parent(second)


def test_a_run_in_a_changed_environment_is_forked_from_a_warm_interpreter_started_in_it_as_libraries_read_some_at_import(tmp_path):
    argv = [sys.executable, script(tmp_path), "0"]
    before = forked(argv, tmp_path, environment())
    changed = forked(argv, tmp_path, environment(COLOUR="green"))
    assert "var green" in changed.stdout and parent(changed) == prewarmed_python._warm.process.pid != parent(before)


def test_an_uncaught_exception_prints_its_traceback_and_exits_1(tmp_path):
    result = forked([sys.executable, script(tmp_path, "raise ValueError('bad value')")], tmp_path, environment())
    assert result.returncode == 1
    assert result.stderr.startswith("Traceback") and result.stderr.splitlines()[-1] == "ValueError: bad value"


def test_a_run_past_its_timeout_is_killed_and_raises_timeout_expired_as_subprocess_does(tmp_path):
    slow = script(tmp_path, "import time\nprint('started', flush=True)\ntime.sleep(600)")
    with pytest.raises(subprocess.TimeoutExpired) as expired:
        forked([sys.executable, slow], tmp_path, environment(), timeout=3)
    assert expired.value.output == b"started\n"
    assert forked([sys.executable, script(tmp_path / "folder", "print('next')")], tmp_path, environment()).stdout == "next\n"
