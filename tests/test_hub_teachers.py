"""Teachers from the Hugging Face Hub by name: `hf:ORG/REPO[/FILE][@REVISION]`.

No test touches the internet: `LocalHub` is a Hub-compatible HTTP server on 127.0.0.1, started here and serving
an SB3 zip and a CleanRL `.cleanrl_model` made here, in RL Zoo's and CleanRL's layouts. Scripts are pointed at it
by HF_ENDPOINT (with HF_HOME in a temporary folder, so nothing reaches the user's cache); tests that call
policy_files directly point huggingface_hub's constants at it, as those environment variables would at import."""

import collections
import csv
import hashlib
import http.server
import io
import json
import socket
import subprocess
import sys
import threading
import urllib.parse
import zipfile

import pytest
import torch
import yaml

import distill
import policy_files
from conftest import ROOT, ImageEnv, assert_one_line_error, run_script
from test_foreign_teachers import CleanRLQNetwork

GAME = "AsterixNoFrameskip-v4"  # 9 actions, as ImageEnv; not the scripts' default game, so the name must choose it
RL_ZOO, CLEANRL = f"sb3/ppo-{GAME}", f"cleanrl/{GAME}-dqn_atari-seed1"
OBS = torch.randint(0, 256, (6, 4, 84, 84), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
SHORT_RUN = ["--total-timesteps", 128, "--num-envs", 2, "--num-steps", 32, "--num-minibatches", 2, "--n-eval-episodes", 1]
# RL Zoo's config.yml for Atari PPO (an OrderedDict dumped by PyYAML), and the same with other preprocessing.
RL_ZOO_CONFIG = [("batch_size", 256), ("env_wrapper", ["stable_baselines3.common.atari_wrappers.AtariWrapper"]),
                 ("frame_stack", 4), ("n_timesteps", 10_000_000.0), ("policy", "CnnPolicy"), ("normalize", False)]
OTHER_CONFIG = [("env_wrapper", [{"stable_baselines3.common.atari_wrappers.AtariWrapper": {"terminal_on_life_loss": False}}]),
                ("frame_stack", 4), ("policy", "CnnPolicy")]


class LocalHub:
    """The part of the Hub's HTTP API that huggingface_hub's `model_info` and `hf_hub_download` use:
    GET /api/models/{repo}[/revision/{rev}] (the commit `sha` and `siblings`, LFS sha256 included) and
    HEAD/GET /{repo}/resolve/{rev}/{file} (X-Repo-Commit, ETag, Content-Length), and the Hub's X-Error-Code on a 404."""

    def __init__(self):
        self.repos = {}  # repo -> {"refs": {branch: commit}, "commits": {commit: {file: bytes}}}
        self.damaged = set()  # (repo, file) whose listed sha256 is not that of the bytes served
        self.requests = []
        hub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                hub.answer(self, send_body=True)

            def do_HEAD(self):
                hub.answer(self, send_body=False)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add(self, repo, files, branch="main"):
        """A new commit on `branch` holding `files` -> its hash."""
        entry = self.repos.setdefault(repo, {"refs": {}, "commits": {}})
        commit = hashlib.sha1(f"{repo}@{len(entry['commits'])}".encode()).hexdigest()
        entry["commits"][commit] = {name: data if isinstance(data, bytes) else data.encode() for name, data in files.items()}
        entry["refs"][branch] = commit
        return commit

    def answer(self, handler, send_body):
        parts = [urllib.parse.unquote(p) for p in urllib.parse.urlsplit(handler.path).path.split("/")[1:]]
        self.requests.append((handler.command, "/".join(parts)))
        api = parts[:2] == ["api", "models"]
        repo, rest = ("/".join(parts[2:4]), parts[4:]) if api else ("/".join(parts[:2]), parts[2:])
        if repo not in self.repos:
            return self.send(handler, 404, b"", {"X-Error-Code": "RepoNotFound"}, send_body)
        revision = rest[1] if len(rest) >= 2 else "main"
        entry = self.repos[repo]
        commit = entry["refs"].get(revision) or (revision if revision in entry["commits"] else None)
        if commit is None:
            return self.send(handler, 404, b"", {"X-Error-Code": "RevisionNotFound"}, send_body)
        files = entry["commits"][commit]
        if api:
            siblings = [{"rfilename": name, "size": len(data), "lfs": {
                "sha256": hashlib.sha256(b"damaged" if (repo, name) in self.damaged else data).hexdigest(),
                "size": len(data), "pointerSize": 134}} for name, data in files.items()]
            return self.send(handler, 200, json.dumps({"id": repo, "sha": commit, "siblings": siblings}).encode(),
                             {"Content-Type": "application/json"}, send_body)
        name = "/".join(rest[2:])
        if rest[:1] != ["resolve"] or name not in files:
            return self.send(handler, 404, b"", {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": commit}, send_body)
        etag = f'"{hashlib.sha256(files[name]).hexdigest()}"'
        self.send(handler, 200, files[name], {"X-Repo-Commit": commit, "ETag": etag}, send_body)

    @staticmethod
    def send(handler, status, body, headers, send_body):
        handler.send_response(status)
        for key, value in {**headers, "Content-Length": str(len(body))}.items():
            handler.send_header(key, value)
        handler.end_headers()
        if send_body:
            handler.wfile.write(body)


def rl_zoo_yaml(pairs):
    return yaml.dump(collections.OrderedDict(pairs))


def with_extra_file(zip_bytes, name):
    """The same SB3 zip with one more file: another file, the same policy."""
    buffer = io.BytesIO(zip_bytes)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr(name, "another upload")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def teachers(tmp_path_factory):
    """An SB3 PPO zip and a CleanRL dqn_atari.py model, as local files."""
    from stable_baselines3 import PPO

    folder = tmp_path_factory.mktemp("teachers")
    model = PPO("CnnPolicy", ImageEnv(), n_steps=16, batch_size=16, n_epochs=1, device="cpu", seed=1)
    model.learn(16)  # move the weights off their initialisation
    model.save(folder / f"ppo-{GAME}.zip")
    torch.manual_seed(1)
    torch.save(CleanRLQNetwork(9).state_dict(), folder / "dqn_atari.cleanrl_model")  # as dqn_atari.py --save-model
    return {RL_ZOO: folder / f"ppo-{GAME}.zip", CLEANRL: folder / "dqn_atari.cleanrl_model"}


@pytest.fixture(scope="module")
def hub(teachers):
    hub = LocalHub()
    sb3_zip, cleanrl_model = teachers[RL_ZOO].read_bytes(), teachers[CLEANRL].read_bytes()
    hub.add(RL_ZOO, {f"ppo-{GAME}.zip": sb3_zip, "config.yml": rl_zoo_yaml(RL_ZOO_CONFIG), "env_kwargs.yml": "{}\n",
                     "train_eval_metrics.zip": with_extra_file(sb3_zip, "metrics"), "README.md": "# PPO Agent"})
    hub.add(CLEANRL, {"dqn_atari.cleanrl_model": cleanrl_model, "dqn_atari.py": "# CleanRL", "README.md": "# DQN"})
    hub.add(f"cleanrl/{GAME}-dqn_atari_jax-seed1", {"dqn_atari_jax.cleanrl_model": b"\x81\xa6params\x80"})  # Flax msgpack
    hub.add(f"other/ppo-{GAME}", {f"ppo-{GAME}.zip": sb3_zip, "config.yml": rl_zoo_yaml(OTHER_CONFIG),
                                  "env_kwargs.yml": "repeat_action_probability: 0.25\n"})
    hub.add("someone/teachers", {"first.zip": sb3_zip, "second.zip": with_extra_file(sb3_zip, "second"), "unpacked/policy.pth": b""})
    hub.add(f"damaged/ppo-{GAME}", {f"ppo-{GAME}.zip": sb3_zip})
    hub.damaged.add((f"damaged/ppo-{GAME}", f"ppo-{GAME}.zip"))
    hub.first_commit = hub.add(f"pinned/ppo-{GAME}", {f"ppo-{GAME}.zip": sb3_zip})
    hub.add(f"pinned/ppo-{GAME}", {f"ppo-{GAME}.zip": with_extra_file(sb3_zip, "retrained")})
    yield hub
    hub.server.shutdown()
    hub.server.server_close()


@pytest.fixture
def local_hub(hub, tmp_path, monkeypatch):
    """huggingface_hub, in this process and in the scripts run, pointed at the local Hub with an empty cache."""
    import huggingface_hub.constants as constants

    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    # What HF_ENDPOINT, HF_HOME and HF_HUB_OFFLINE set when huggingface_hub is imported.
    monkeypatch.setattr(constants, "ENDPOINT", hub.url)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", hub.url + "/{repo_id}/resolve/{revision}/{filename}")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf_home" / "hub"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    policy_files.download_from_hub.cache_clear()
    yield hub
    policy_files.download_from_hub.cache_clear()


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def error_line(capsys, call):
    """The one `error:` line a call ends with (policy_files.fail exits with status 2)."""
    with pytest.raises(SystemExit) as exit_info:
        call()
    assert exit_info.value.code == 2
    (line,) = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error: ")]
    return line


# Finding, downloading and reading a Hub teacher.

@pytest.mark.parametrize("repo", [RL_ZOO, CLEANRL])
def test_a_hub_teacher_gives_the_same_action_probabilities_as_its_local_file(repo, local_hub, teachers):
    local, _, _ = distill.load_teacher(str(teachers[repo]), GAME, 9, q_temperature=0.01)
    downloaded, kind, source = distill.load_teacher(f"hf:{repo}", GAME, 9, q_temperature=0.01)
    with torch.no_grad():
        assert torch.equal(downloaded(OBS).softmax(dim=1), local(OBS).softmax(dim=1))
    assert (kind, source) == (("policy_logits", "sb3_ppo") if repo == RL_ZOO else ("q_values", "cleanrl_dqn"))


@pytest.mark.parametrize("repo, file", [(RL_ZOO, f"ppo-{GAME}.zip"), (CLEANRL, "dqn_atari.cleanrl_model")])
def test_the_file_is_found_by_each_zoos_naming_and_named_by_repo_commit_and_sha256(repo, file, local_hub, teachers):
    assert policy_files.file_provenance(f"hf:{repo}") == {
        "sha256": sha256(teachers[repo]), "hub_repo": repo, "hub_commit": local_hub.repos[repo]["refs"]["main"], "hub_file": file}
    assert policy_files.read_policy_file(f"hf:{repo}")["env_id"] == GAME  # the repo's name says the game


def test_a_cached_teacher_is_read_offline_without_asking_the_hub(local_hub, monkeypatch):
    online = policy_files.file_provenance(f"hf:{RL_ZOO}")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    policy_files.download_from_hub.cache_clear()
    requests = len(local_hub.requests)
    assert policy_files.file_provenance(f"hf:{RL_ZOO}") == online
    assert len(local_hub.requests) == requests


def test_a_pinned_revision_is_the_file_of_that_commit(local_hub, teachers):
    pinned = policy_files.file_provenance(f"hf:pinned/ppo-{GAME}@{local_hub.first_commit}")
    latest = policy_files.file_provenance(f"hf:pinned/ppo-{GAME}")
    assert (pinned["hub_commit"], pinned["sha256"]) == (local_hub.first_commit, sha256(teachers[RL_ZOO]))
    assert latest["hub_commit"] != local_hub.first_commit and latest["sha256"] != pinned["sha256"]


def test_a_repo_of_several_policy_files_asks_for_one_and_reads_the_one_named(local_hub, capsys):
    line = error_line(capsys, lambda: policy_files.read_policy_file("hf:someone/teachers"))
    assert "holds several policy files: first.zip, second.zip; pass hf:someone/teachers/FILE" in line
    assert policy_files.file_provenance("hf:someone/teachers/second.zip")["hub_file"] == "second.zip"


def test_a_teacher_trained_on_other_preprocessing_is_warned_about(local_hub, capsys):
    policy_files.read_policy_file(f"hf:{RL_ZOO}")
    assert "warning" not in capsys.readouterr().err  # RL Zoo's AtariWrapper defaults: what this project plays
    policy_files.read_policy_file(f"hf:other/ppo-{GAME}")
    (warning,) = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning: ")]
    assert "other preprocessing than SB3's AtariWrapper defaults" in warning
    assert "env_kwargs repeat_action_probability=0.25" in warning and "AtariWrapper terminal_on_life_loss=False" in warning


# The end-to-end commands.

@pytest.mark.parametrize("repo", [RL_ZOO, CLEANRL])
def test_distill_learns_from_a_hub_teacher_named_by_its_repo_alone_and_records_which(repo, local_hub, teachers, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    result = run_script("distill.py", "--teacher", f"hf:{repo}", *SHORT_RUN, "--runs-dir", tmp_path / "runs")
    assert result.returncode == 0, result.stderr
    (run_dir,) = (tmp_path / "runs").iterdir()
    checkpoint = torch.load(run_dir / "last.pt", weights_only=True)
    provenance = {"sha256": sha256(teachers[repo]), "hub_repo": repo, "hub_commit": local_hub.repos[repo]["refs"]["main"],
                  "hub_file": teachers[repo].name}
    assert checkpoint["env_id"] == GAME and checkpoint["global_step"] == 128
    assert checkpoint["teacher"] == {"path": f"hf:{repo}", "kind": "policy_logits" if repo == RL_ZOO else "q_values",
                                     "source": "sb3_ppo" if repo == RL_ZOO else "cleanrl_dqn", **provenance}
    assert json.load(open(run_dir / "summary.json"))["teacher"] == checkpoint["teacher"]
    events = EventAccumulator(str(run_dir), size_guidance={"tensors": 0}).Reload()
    hyperparameters = events.Tensors("hyperparameters/text_summary")[0].tensor_proto.string_val[0].decode()
    assert f"|teacher_hub_commit|{provenance['hub_commit']}|" in hyperparameters
    assert f"|teacher_sha256|{provenance['sha256']}|" in hyperparameters


def test_eval_teacher_scores_a_hub_teacher_and_its_ledger_row_names_the_commit_and_sha256(local_hub, teachers, tmp_path):
    ledger = tmp_path / "ledger.csv"
    result = run_script("eval_teacher.py", f"hf:{CLEANRL}", "--n-eval-episodes", 1, "--max-frames", 400, "--ledger", ledger)
    assert result.returncode == 0, result.stderr
    (row,) = csv.DictReader(open(ledger))
    assert (row["checkpoint"], row["env_id"]) == (f"hf:{CLEANRL}", GAME)
    assert (row["sha256"], row["hub_commit"]) == (sha256(teachers[CLEANRL]), local_hub.repos[CLEANRL]["refs"]["main"])


# What cannot work ends in one line.

def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("offline", ["HF_HUB_OFFLINE", "no network"])
def test_a_hub_teacher_neither_reachable_nor_cached_ends_in_one_line_naming_it(offline, local_hub, monkeypatch, tmp_path):
    if offline == "HF_HUB_OFFLINE":
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    else:
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    result = run_script("distill.py", "--teacher", f"hf:{RL_ZOO}", *SHORT_RUN, "--runs-dir", tmp_path / "runs")
    assert_one_line_error(result, "cannot reach the Hub", f"'hf:{RL_ZOO}' is not in its cache", f"local copy of 'ppo-{GAME}.zip'")
    assert not (tmp_path / "runs").exists()


def test_a_repo_that_does_not_exist_ends_in_one_line(local_hub, tmp_path):
    result = run_script("eval_teacher.py", f"hf:sb3/ppo-{GAME}-typo", "--ledger", tmp_path / "ledger.csv")
    assert_one_line_error(result, f"there is no Hub repo 'sb3/ppo-{GAME}-typo'")


@pytest.mark.parametrize("name, fragment", [
    (f"hf:{RL_ZOO}/ppo.zip", f"the Hub repo '{RL_ZOO}' holds no 'ppo.zip': ppo-{GAME}.zip; pass hf:{RL_ZOO}/FILE"),
    (f"hf:{RL_ZOO}@v9", f"the Hub repo '{RL_ZOO}' has no revision 'v9'"),
    ("hf:sb3", "is not a Hub name; write hf:ORG/REPO"),
    ("hf:sb3/ppo qbert", "is not a Hub name (Repo id must use alphanumeric chars"),
])
def test_a_file_or_revision_the_repo_does_not_hold_ends_in_one_line(name, fragment, local_hub, capsys):
    assert fragment in error_line(capsys, lambda: policy_files.read_policy_file(name))


def test_a_flax_model_of_cleanrls_jax_scripts_is_refused_as_such(local_hub, capsys):
    line = error_line(capsys, lambda: policy_files.read_policy_file(f"hf:cleanrl/{GAME}-dqn_atari_jax-seed1"))
    assert "it is Flax/JAX msgpack" in line and "this project reads torch files only" in line


@pytest.mark.parametrize("head", [b"\x81\xa6params\x80", b"\x92\xde\x00\x20\xa4seed"])  # a map (dqn_atari_jax), a list (cleanba)
def test_a_flax_msgpack_file_is_named_as_such_on_disk_too(head, tmp_path, capsys):
    (tmp_path / "model.cleanrl_model").write_bytes(head)
    assert "it is Flax/JAX msgpack" in error_line(capsys, lambda: policy_files.read_policy_file(str(tmp_path / "model.cleanrl_model")))


def test_a_qr_dqn_zip_of_rl_zoo_is_refused_as_such(tmp_path, capsys):
    policy = io.BytesIO()
    torch.save({"quantile_net.features_extractor.cnn.0.weight": torch.zeros(32, 4, 8, 8),
                "quantile_net.quantile_net.0.weight": torch.zeros(200 * 9, 512)}, policy)
    with zipfile.ZipFile(tmp_path / f"qrdqn-{GAME}.zip", "w") as archive:  # as sb3-contrib saves a QRDQN
        archive.writestr("policy.pth", policy.getvalue())
    line = error_line(capsys, lambda: policy_files.read_policy_file(str(tmp_path / f"qrdqn-{GAME}.zip")))
    assert "is an SB3-contrib QR-DQN (quantile) policy, which this project does not read" in line


def test_a_download_that_is_not_the_file_the_hub_lists_is_refused(local_hub, capsys):
    assert "arrived damaged" in error_line(capsys, lambda: policy_files.read_policy_file(f"hf:damaged/ppo-{GAME}"))


def test_an_env_id_other_than_the_repos_game_ends_in_one_line_before_any_download(local_hub, tmp_path):
    requests = len(local_hub.requests)
    result = run_script("distill.py", "--teacher", f"hf:{RL_ZOO}", "--env-id", "MsPacmanNoFrameskip-v4", "--runs-dir", tmp_path)
    assert_one_line_error(result, f"plays {GAME} (its repo's name says so), not --env-id MsPacmanNoFrameskip-v4")
    assert len(local_hub.requests) == requests


def test_a_repo_name_that_names_no_game_needs_env_id(capsys):
    assert policy_files.teacher_env_id("hf:someone/teachers/first.zip", GAME) == GAME
    assert "pass its --env-id" in error_line(capsys, lambda: policy_files.teacher_env_id("hf:someone/teachers/first.zip", None))
    envpool = error_line(capsys, lambda: policy_files.teacher_env_id("hf:cleanrl/Breakout-v5-cleanba_ppo_envpool-seed1", None))
    assert "Flax/JAX" in envpool


def test_local_files_need_no_network_library(teachers):
    code = (f"import sys, policy_files; policy_files.read_policy_file({str(teachers[RL_ZOO])!r}); "
            f"sys.exit('huggingface_hub' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
