"""A Python interpreter that has already imported torch, gymnasium and ale-py, and runs each script in a fork of itself.

`python distill.py ...` spends 2-4 s on 2 cores importing torch before the script does any work of its own, and the
suite starts about 260 such runs: some 40% of its time. A fork of an interpreter that paid for those imports once is
still a process of its own (its own working directory, environment, argv, stdout, stderr and exit status, what
`subprocess.run` gives), so `run` returns what `subprocess.run([python, script, ...])` returns. The warm interpreter
always started in the run's environment, since some libraries read variables once, at import: a run in a changed
environment gets a new one. Where none can start, runs go to fresh interpreters. One difference remains: runs forked
from one warm interpreter share its string-hash seed, where each fresh interpreter draws its own, so two runs that
must agree bit for bit do not show that they agree across hash seeds. Tests that signal or kill a running script
start real processes themselves.

The warm interpreter is this file run as a script. It reads one JSON request per line on stdin ({"argv", "cwd",
"env", "stdout", "stderr"}) and answers on stdout with one JSON line holding the run's pid when it starts and one holding
its exit status (subprocess's convention: -N after signal N) when it ends.
"""

import importlib
import json
import os
import runpy
import select
import signal
import subprocess
import sys
import tempfile
import time

PRELOADED = ("ale_py", "gymnasium", "numpy", "torch", "torch.distributions.categorical", "torch.nn", "torch.nn.functional",
             "torch.optim", "torch.utils.tensorboard", "tqdm", "tyro")  # what the scripts import, bar this project's own


def serve():
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read once, when torch loads: the scripts set it the same way
    for name in PRELOADED:  # nothing here runs torch, so no thread pool exists yet to be lost in a fork
        importlib.import_module(name)
    numpy = sys.modules["numpy"]

    print(json.dumps({"ready": os.getpid()}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:  # the run: what `python <script> <args>` does from here on
            os.chdir(request["cwd"])
            os.environ.clear()
            os.environ.update(request["env"])
            for fd, path, flags in ((0, os.devnull, os.O_RDONLY), (1, request["stdout"], os.O_WRONLY | os.O_TRUNC),
                                    (2, request["stderr"], os.O_WRONLY | os.O_TRUNC)):
                opened = os.open(path, flags)
                os.dup2(opened, fd)
                os.close(opened)
            script = request["argv"][1]
            sys.argv = request["argv"][1:]
            sys.path[0] = os.path.dirname(os.path.abspath(script))  # python puts the script's folder first
            numpy.random.seed()  # `random` reseeds itself in a fork; numpy's global generator does not
            runpy.run_path(script, run_name="__main__")
            # Falling off the end, sys.exit and an uncaught exception all end this process the way they end python:
            # exit handlers run, threads are joined, a traceback is printed, the exit status is the same.
            sys.exit(0)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}), flush=True)


class WarmInterpreter:
    """The client side, one warm interpreter per test process."""

    def __init__(self, env):
        self.env = env
        self.pending = b""
        self.process = subprocess.Popen([sys.executable, os.path.abspath(__file__)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, env=env, bufsize=0)
        self.ready = "ready" in self._message(timeout=120)

    def _message(self, timeout):
        """The next JSON line from the warm interpreter; {} when it has ended or `timeout` seconds pass."""
        deadline = time.time() + timeout
        while b"\n" not in self.pending:
            wait = deadline - time.time()
            if wait <= 0 or not select.select([self.process.stdout], [], [], wait)[0]:
                return {}
            chunk = os.read(self.process.stdout.fileno(), 65536)
            if not chunk:
                return {}
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return json.loads(line)

    def close(self):
        self.process.stdin.close()  # its loop ends at the end of its input
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def run(self, argv, cwd, env, timeout):
        """subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout), forked."""
        with tempfile.TemporaryDirectory() as folder:
            out, err = os.path.join(folder, "stdout"), os.path.join(folder, "stderr")
            for path in (out, err):  # there to read even if the run fails before it opens them
                open(path, "w").close()
            request = {"argv": argv, "cwd": str(cwd), "env": env, "stdout": out, "stderr": err}
            self.process.stdin.write((json.dumps(request) + "\n").encode())
            started = self._message(timeout=30)
            if "pid" not in started:
                self.ready = False
                return in_a_fresh_interpreter(argv, cwd, env, timeout)
            pid = started["pid"]
            ended = self._message(timeout)
            if not ended:
                os.kill(pid, signal.SIGKILL)
                self._message(timeout=30)
            with open(out) as stdout, open(err) as stderr:  # text mode reads newlines as subprocess's text=True does
                result = subprocess.CompletedProcess(argv, ended.get("returncode"), stdout.read(), stderr.read())
        if not ended:  # subprocess.run's TimeoutExpired holds bytes, even with text=True
            raise subprocess.TimeoutExpired(argv, timeout, output=result.stdout.encode(), stderr=result.stderr.encode())
        return result


def in_a_fresh_interpreter(argv, cwd, env, timeout):
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def without_test_name(env):
    """`env` less PYTEST_CURRENT_TEST, which pytest changes for every test and no library reads at import."""
    return {name: value for name, value in env.items() if name != "PYTEST_CURRENT_TEST"}


_warm = None


def run(argv, cwd, env, timeout):
    """What subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout) returns."""
    global _warm
    if _warm is None or _warm.process.poll() is not None or without_test_name(env) != without_test_name(_warm.env):
        if _warm is not None:
            _warm.close()
        _warm = WarmInterpreter(env)
    if not _warm.ready:
        return in_a_fresh_interpreter(argv, cwd, env, timeout)
    return _warm.run(argv, cwd, env, timeout)


if __name__ == "__main__":
    serve()
