"""Policy files from anywhere -> one format: the one place that knows other libraries' files.

eval_teacher.py and the distill scripts read every teacher through `read_policy_file`: checkpoints of this
project (ppo_atari.py teachers, distill*.py students), stable-baselines3 / RL Zoo PPO, A2C and DQN `CnnPolicy`
zips, and CleanRL's dqn_atari.py `.cleanrl_model` (or a plain state_dict of its ppo_atari.py Agent). All of them
are the same Nature CNN (Mnih et al. 2015) under other layer names. Nothing is unpickled: an SB3 zip's
`policy.pth` is a plain state_dict, and every file is read with `torch.load(weights_only=True)`, so no file
can run code, and no SB3 or CleanRL install is needed.

A teacher on the Hugging Face Hub is named `hf:ORG/REPO[/FILE][@REVISION]`: the file is found by RL Zoo's and
CleanRL's naming, downloaded once into huggingface_hub's cache (HF_HOME, HF_ENDPOINT and HF_HUB_OFFLINE are its
own), checked against the sha256 the Hub publishes, then read exactly as a local file. huggingface_hub is imported
only for such names: local files need no network library.
"""

import functools
import hashlib
import io
import os
import re
import sys
import zipfile
from pathlib import Path, PurePosixPath
from typing import Optional

import torch

CHECKPOINT_FORMAT_VERSION = 1  # the format ppo_atari.py and the distill scripts write
# Where other libraries keep the same Nature CNN (Mnih et al. 2015) -> our layer names. The first
# matching prefix renames a key; keys of no listed prefix (value heads, target networks) are dropped.
FOREIGN_KEY_MAPS = {
    # SB3 / RL Zoo PPO and A2C `CnnPolicy` zips (policy.pth): policy logits.
    "sb3_ppo": {"features_extractor.cnn.": "network.", "features_extractor.linear.0.": "network.7.", "action_net.": "actor."},
    # SB3 / RL Zoo DQN `CnnPolicy` zips: Q-values (q_net_target is a lagging copy).
    "sb3_dqn": {"q_net.features_extractor.cnn.": "network.", "q_net.features_extractor.linear.0.": "network.7.", "q_net.q_net.0.": "actor."},
    # CleanRL's dqn_atari.py `.cleanrl_model`: the state_dict of its QNetwork, Q-values at network.9.
    "cleanrl_dqn": {"network.9.": "actor.", "network.": "network."},
    # A plain state_dict of CleanRL's ppo_atari.py Agent (its names are ours).
    "cleanrl_ppo": {"network.": "network.", "actor.": "actor."},
}


def fail(message: str) -> None:
    """A file that cannot be a policy ends the program with one clear line, never a traceback."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def read_policy_file(path: str) -> dict:
    """A policy file of this project, SB3 / RL Zoo (PPO, A2C, DQN zips) or CleanRL (dqn_atari.py's
    `.cleanrl_model`, a ppo_atari.py Agent state_dict), local or an `hf:` name -> a dict with our layer names in
    "state_dict", "kind" ("policy_logits" or "q_values"), "source", and "env_id" (None where neither the file
    nor the Hub repo's name records it). Everything is read with `torch.load(weights_only=True)`: no file can run code."""
    name, game = path, None  # what the user wrote names the file in every message
    if path.startswith(HUB_PREFIX):
        path, _ = download_from_hub(name)
        game = game_in_repo_name(parse_hub_name(name)[0])
    if os.path.isdir(path):
        fail(f"{name!r} is a directory; pass one policy file in it (.pt, SB3 .zip or .cleanrl_model)")
    if not os.path.isfile(path):
        fail(f"{name!r} does not exist; pass a .pt of ppo_atari.py/distill*.py, an SB3 .zip or a CleanRL .cleanrl_model")
    try:
        if zipfile.is_zipfile(path) and "policy.pth" in zipfile.ZipFile(path).namelist():  # an SB3 zip
            with zipfile.ZipFile(path) as archive:
                state = torch.load(io.BytesIO(archive.read("policy.pth")), map_location="cpu", weights_only=True)
            source = "sb3_dqn" if "q_net.q_net.0.weight" in state else "sb3_ppo"
            if any(key.startswith("quantile_net.") for key in state):  # RL Zoo's qrdqn-* repos: 200 quantiles per action
                fail(f"{name!r} is an SB3-contrib QR-DQN (quantile) policy, which this project does not read; "
                     f"use a PPO, A2C or DQN teacher of the same game (on the Hub: hf:sb3/ppo-<Game>NoFrameskip-v4)")
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
            if isinstance(state, dict) and state.get("format_version") == CHECKPOINT_FORMAT_VERSION:
                return refuse_non_finite(name, {**state, "kind": "policy_logits", "source": "curious-distill"})
            source = "cleanrl_dqn" if isinstance(state, dict) and "network.9.weight" in state else "cleanrl_ppo"
    except SystemExit:
        raise
    except Exception as e:  # truncated file, foreign pickle, code-executing pickle (refused)
        reason = ("it is Flax/JAX msgpack, as CleanRL's *_jax and cleanba scripts save; this project reads torch files only"
                  if looks_like_msgpack(path) else "it holds objects that could run code, refused" if "GLOBAL" in str(e)
                  else "it is truncated or not a torch file")
        fail(f"{name!r} is not a readable checkpoint ({reason}); pass a file written by ppo_atari.py, SB3 or CleanRL")
    state_dict = {}
    for key, value in (state.items() if isinstance(state, dict) else []):
        prefix = next((p for p in FOREIGN_KEY_MAPS[source] if key.startswith(p)), None)
        if prefix is not None and torch.is_tensor(value):
            state_dict[FOREIGN_KEY_MAPS[source][prefix] + key[len(prefix):]] = value
    if not {"network.0.weight", "network.2.weight", "network.4.weight", "network.7.weight", "actor.weight"} <= state_dict.keys():
        fail(f"{name!r} is not a curious-distill checkpoint nor a Nature-CNN policy of SB3 (PPO, A2C, DQN) or CleanRL; "
             f"pass a .pt written by ppo_atari.py, an SB3 CnnPolicy zip or a CleanRL .cleanrl_model")
    kind = "q_values" if source.endswith("dqn") else "policy_logits"
    return refuse_non_finite(name, {
        "state_dict": state_dict, "kind": kind, "source": source, "env_id": game, "global_step": None,
        "num_actions": state_dict["actor.weight"].shape[0], "obs_shape": [state_dict["network.0.weight"].shape[1], 84, 84],
        "architecture": {"name": "nature_cnn", "hidden": state_dict["network.7.weight"].shape[0],
                         "channels": [state_dict[f"network.{i}.weight"].shape[0] for i in (0, 2, 4)]}})


def refuse_non_finite(path: str, checkpoint: dict) -> dict:
    """A policy with a NaN or infinite weight plays garbage that looks like a score: refused."""
    bad = [k for k, v in checkpoint["state_dict"].items() if torch.is_tensor(v) and v.is_floating_point() and not v.isfinite().all()]
    if bad:
        fail(f"{path!r} has non-finite weights (NaN or inf in {bad[0]}); it cannot be played or learned from, pass another file")
    return checkpoint


def looks_like_msgpack(path: str) -> bool:
    """Flax's `to_bytes` (CleanRL's JAX scripts) writes msgpack: a map or an array first (0x80-0x9f, 0xdc-0xdf).
    A legacy torch pickle also starts with 0x80, followed by its protocol (2 to 5)."""
    with open(path, "rb") as f:
        head = f.read(2)
    return len(head) == 2 and (0x80 <= head[0] <= 0x9f or 0xdc <= head[0] <= 0xdf) and not (head[0] == 0x80 and head[1] <= 5)


def file_provenance(path: str) -> dict:
    """Which exact file a result comes from: its sha256, and for an `hf:` name the repo, commit and file it resolved to."""
    if path.startswith(HUB_PREFIX):
        return download_from_hub(path)[1]
    with open(path, "rb") as f:
        return {"sha256": hashlib.sha256(f.read()).hexdigest()}


# The Hugging Face Hub: `hf:ORG/REPO[/FILE][@REVISION]`.
HUB_PREFIX = "hf:"
HUB_TIMEOUT = 10  # seconds to wait for the Hub's answer before trying the cache
POLICY_SUFFIXES = (".zip", ".cleanrl_model", ".pt", ".pth")
NOT_POLICIES = ("train_eval_metrics.zip",)  # RL Zoo's evaluation logs, beside the model
# RL Zoo trains Atari on SB3's AtariWrapper with these defaults and a stack of 4 frames: what this project plays.
ATARI_WRAPPER = "stable_baselines3.common.atari_wrappers.AtariWrapper"
ATARI_WRAPPER_DEFAULTS = {"noop_max": 30, "frame_skip": 4, "screen_size": 84, "terminal_on_life_loss": True,
                          "clip_reward": True, "action_repeat_probability": 0.0}


def parse_hub_name(name: str):
    """`hf:ORG/REPO[/FILE][@REVISION]` -> (repo, file or None, revision or None)."""
    rest, _, revision = name[len(HUB_PREFIX):].partition("@")
    parts = rest.split("/", 2)
    if len(parts) < 2 or not all(parts[:2]):
        fail(f"{name!r} is not a Hub name; write hf:ORG/REPO (e.g. hf:sb3/ppo-QbertNoFrameskip-v4), hf:ORG/REPO/FILE, "
             f"and @REVISION for a branch, tag or commit")
    return "/".join(parts[:2]), (parts[2] if len(parts) == 3 else None) or None, revision or None


def game_in_repo_name(repo: str) -> Optional[str]:
    """The game both zoos put in a repo's name: RL Zoo's `{algo}-{env_id}`, CleanRL's `{env_id}-{exp_name}-seed{N}`."""
    match = re.search(r"[A-Za-z]+NoFrameskip-v4", repo.split("/")[1])
    return match[0] if match else None


def teacher_env_id(teacher: str, env_id: Optional[str]) -> Optional[str]:
    """--env-id for `teacher`: as given, or for an `hf:` name the game its repo's name says (a given one must agree)."""
    if not teacher.startswith(HUB_PREFIX):
        return env_id
    repo = parse_hub_name(teacher)[0]
    game = game_in_repo_name(repo)
    if env_id and game and env_id != game:
        fail(f"{teacher!r} plays {game} (its repo's name says so), not --env-id {env_id}; drop --env-id or pass a teacher of {env_id}")
    if not (env_id or game):
        envpool = " (CleanRL's envpool -v5 repos hold Flax/JAX models, which this project does not read)" if re.search(r"-v5\b", repo) else ""
        fail(f"the name of {teacher!r} does not say which NoFrameskip-v4 game it plays{envpool}; pass its --env-id")
    return env_id or game


def zoo_file_names(repo: str) -> list:
    """Where the two zoos keep the policy: RL Zoo's `{algo}-{env_id}` holds `{algo}-{env_id}.zip`, CleanRL's
    `{env_id}-{exp_name}-seed{N}` holds `{exp_name}.cleanrl_model`."""
    name = repo.split("/")[1]
    rl_zoo = re.fullmatch(r"[a-z0-9_]+-[A-Za-z0-9]+-v\d+", name)
    cleanrl = re.fullmatch(r"[A-Za-z0-9]+-v\d+-(.+)-seed\d+", name)
    return ([f"{name}.zip"] if rl_zoo else []) + ([f"{cleanrl[1]}.cleanrl_model"] if cleanrl else [])


@functools.lru_cache(maxsize=None)  # one resolution per name and run: the file read is the file recorded
def download_from_hub(name: str):
    """`hf:ORG/REPO[/FILE][@REVISION]` -> (the file in huggingface_hub's cache, provenance: sha256, repo, commit, file).

    The Hub's listing says which files the repo holds and the sha256 of each LFS file, which the download must
    match. Without the Hub (HF_HUB_OFFLINE, no network) the file is taken from the cache, found by the zoos' naming
    or /FILE."""
    repo, filename, revision = parse_hub_name(name)
    try:
        import huggingface_hub
        from huggingface_hub.errors import HFValidationError, RepositoryNotFoundError, RevisionNotFoundError
    except ImportError:
        fail(f"{name!r} is on the Hugging Face Hub, which needs `pip install huggingface_hub`; or pass a downloaded file's path")
    try:
        info = huggingface_hub.HfApi().model_info(repo, revision=revision, files_metadata=True, timeout=HUB_TIMEOUT)
        listing, offline_reason = {sibling.rfilename: sibling for sibling in info.siblings or []}, None
    except RepositoryNotFoundError:  # also a private or gated repo without a token
        fail(f"there is no Hub repo {repo!r} (or it is private or gated: log in with `hf auth login`); "
             f"check the name, e.g. hf:sb3/ppo-QbertNoFrameskip-v4 or hf:cleanrl/QbertNoFrameskip-v4-dqn_atari-seed1")
    except RevisionNotFoundError:
        fail(f"the Hub repo {repo!r} has no revision {revision!r}; pass one of its branches, tags or commits, or drop @{revision}")
    except HFValidationError as e:
        fail(f"{name!r} is not a Hub name ({e}); write hf:ORG/REPO, e.g. hf:sb3/ppo-QbertNoFrameskip-v4")
    except Exception as e:  # offline, no network, a proxy, the Hub down: the cache may still hold the file
        listing, offline_reason = None, "HF_HUB_OFFLINE is set" if huggingface_hub.constants.is_offline_mode() else type(e).__name__

    candidates = [filename] if filename else zoo_file_names(repo)
    if listing is not None:
        # Top-level files only: RL Zoo repos also hold their zip unpacked in a folder (policy.pth, ...).
        held = sorted(f for f in listing if "/" not in f and f.endswith(POLICY_SUFFIXES) and f not in NOT_POLICIES)
        found = [f for f in candidates if f in listing] or (held if not filename and len(held) == 1 else [])
        if not found:
            what = f"no {filename!r}" if filename else "several policy files" if held else "no policy file (.zip, .cleanrl_model, .pt)"
            fail(f"the Hub repo {repo!r} holds {what}{': ' + ', '.join(held) if held else ''}; "
                 f"{'pass hf:' + repo + '/FILE for one of them' if held else 'pass another repo or a local file'}")
        candidates = found[:1]
    path = None
    for candidate in candidates:
        try:
            path = huggingface_hub.hf_hub_download(repo, candidate, revision=revision, local_files_only=listing is None)
            filename = candidate
            break
        except Exception as e:  # not in the cache (offline), or the connection dropped
            if listing is not None:
                fail(f"the download of {candidate!r} from the Hub repo {repo!r} failed ({type(e).__name__}); run again")
    if path is None:
        fail(f"cannot reach the Hub ({offline_reason}) and {name!r} is not in its cache ({huggingface_hub.constants.HF_HUB_CACHE}); "
             f"connect once to download it, or pass the path of a local copy of {repr(candidates[0]) if candidates else 'its policy file'}")

    with open(path, "rb") as f:
        sha256 = hashlib.sha256(f.read()).hexdigest()
    lfs = listing[filename].lfs if listing is not None else None
    if lfs is not None and lfs.sha256 != sha256:
        fail(f"{filename!r} of the Hub repo {repo!r} arrived damaged (sha256 {sha256[:12]}, the Hub says {lfs.sha256[:12]}); "
             f"delete {os.path.realpath(path)} and run again")
    commit = Path(path).parents[len(PurePosixPath(filename).parts) - 1].name  # the cache keeps snapshots/<commit>/<file>
    warn_on_other_preprocessing(name, huggingface_hub, repo, commit, listing)
    return path, {"sha256": sha256, "hub_repo": repo, "hub_commit": commit, "hub_file": filename}


def warn_on_other_preprocessing(name: str, huggingface_hub, repo: str, commit: str, listing: Optional[dict]) -> None:
    """RL Zoo repos say how their agent was trained (config.yml, env_kwargs.yml): a teacher trained on other
    preprocessing than SB3's AtariWrapper defaults plays below its published score here, so say so."""
    settings = {}
    for file in ("config.yml", "env_kwargs.yml"):
        if listing is None or file in listing:
            try:
                with open(huggingface_hub.hf_hub_download(repo, file, revision=commit, local_files_only=listing is None)) as f:
                    settings[file] = read_rl_zoo_yaml(f.read()) or {}
            except Exception:  # not cached (offline), or not YAML we can read: nothing to compare
                pass
    config, env_kwargs = settings.get("config.yml", {}), settings.get("env_kwargs.yml", {})
    if not isinstance(config, dict) or not isinstance(env_kwargs, dict):
        return
    differences = [f"env_kwargs {k}={v}" for k, v in env_kwargs.items()]
    wrappers = config.get("env_wrapper") or []
    for wrapper in wrappers if isinstance(wrappers, list) else [wrappers]:
        wrapper, kwargs = (wrapper, {}) if isinstance(wrapper, str) else next(iter(dict(wrapper).items()), ("", {}))
        if wrapper != ATARI_WRAPPER:
            differences.append(f"env_wrapper {wrapper}")
        differences += [f"AtariWrapper {k}={v}" for k, v in (kwargs or {}).items()
                        if k not in ATARI_WRAPPER_DEFAULTS or ATARI_WRAPPER_DEFAULTS[k] != v]
    if config.get("frame_stack", 4) != 4:
        differences.append(f"frame_stack {config['frame_stack']}")
    if config.get("normalize"):
        differences.append("normalize (VecNormalize)")
    if differences:
        print(f"warning: {name!r} was trained on other preprocessing than SB3's AtariWrapper defaults, which this project "
              f"plays ({', '.join(differences)}); expect it to score below its published results", file=sys.stderr)


def read_rl_zoo_yaml(text: str):
    """RL Zoo's config.yml is an OrderedDict dumped by PyYAML (a huggingface_hub dependency). Safe loading, with
    that one Python tag read as a dict and any other as None: nothing in the file can run code."""
    import yaml

    class ZooLoader(yaml.SafeLoader):
        pass

    ZooLoader.add_constructor("tag:yaml.org,2002:python/object/apply:collections.OrderedDict",
                              lambda loader, node: dict((loader.construct_sequence(node, deep=True) or [[]])[0]))
    ZooLoader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)
    return yaml.load(text, Loader=ZooLoader)
