"""Policy files from anywhere -> one format: the one place that knows other libraries' files.

eval_teacher.py and the distill scripts read every teacher through `read_policy_file`: checkpoints of this
project (ppo_atari.py teachers, distill*.py students), stable-baselines3 / RL Zoo PPO, A2C and DQN `CnnPolicy`
zips, and CleanRL's dqn_atari.py `.cleanrl_model` (or a plain state_dict of its ppo_atari.py Agent). All of them
are the same Nature CNN (Mnih et al. 2015) under other layer names. Nothing is unpickled: an SB3 zip's
`policy.pth` is a plain state_dict, and every file is read with `torch.load(weights_only=True)`, so no file
can run code, and no SB3 or CleanRL install is needed.
"""

import io
import os
import sys
import zipfile

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
    `.cleanrl_model`, a ppo_atari.py Agent state_dict) -> a dict with our layer names in "state_dict",
    "kind" ("policy_logits" or "q_values"), "source", and "env_id" (None where the file does not record it).
    Everything is read with `torch.load(weights_only=True)`: no file can run code."""
    if os.path.isdir(path):
        fail(f"{path!r} is a directory; pass one policy file in it (.pt, SB3 .zip or .cleanrl_model)")
    if not os.path.isfile(path):
        fail(f"{path!r} does not exist; pass a .pt of ppo_atari.py/distill*.py, an SB3 .zip or a CleanRL .cleanrl_model")
    try:
        if zipfile.is_zipfile(path) and "policy.pth" in zipfile.ZipFile(path).namelist():  # an SB3 zip
            with zipfile.ZipFile(path) as archive:
                state = torch.load(io.BytesIO(archive.read("policy.pth")), map_location="cpu", weights_only=True)
            source = "sb3_dqn" if "q_net.q_net.0.weight" in state else "sb3_ppo"
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
            if isinstance(state, dict) and state.get("format_version") == CHECKPOINT_FORMAT_VERSION:
                return refuse_non_finite(path, {**state, "kind": "policy_logits", "source": "curious-distill"})
            source = "cleanrl_dqn" if isinstance(state, dict) and "network.9.weight" in state else "cleanrl_ppo"
    except SystemExit:
        raise
    except Exception as e:  # truncated file, foreign pickle, code-executing pickle (refused)
        reason = "it holds objects that could run code, refused" if "weights_only" in str(e) else "it is truncated or not a torch file"
        fail(f"{path!r} is not a readable checkpoint ({reason}); pass a file written by ppo_atari.py, SB3 or CleanRL")
    state_dict = {}
    for key, value in (state.items() if isinstance(state, dict) else []):
        prefix = next((p for p in FOREIGN_KEY_MAPS[source] if key.startswith(p)), None)
        if prefix is not None and torch.is_tensor(value):
            state_dict[FOREIGN_KEY_MAPS[source][prefix] + key[len(prefix):]] = value
    if not {"network.0.weight", "network.2.weight", "network.4.weight", "network.7.weight", "actor.weight"} <= state_dict.keys():
        fail(f"{path!r} is not a curious-distill checkpoint nor a Nature-CNN policy of SB3 (PPO, A2C, DQN) or CleanRL; "
             f"pass a .pt written by ppo_atari.py, an SB3 CnnPolicy zip or a CleanRL .cleanrl_model")
    kind = "q_values" if source.endswith("dqn") else "policy_logits"
    return refuse_non_finite(path, {
        "state_dict": state_dict, "kind": kind, "source": source, "env_id": None, "global_step": None,
        "num_actions": state_dict["actor.weight"].shape[0], "obs_shape": [state_dict["network.0.weight"].shape[1], 84, 84],
        "architecture": {"name": "nature_cnn", "hidden": state_dict["network.7.weight"].shape[0],
                         "channels": [state_dict[f"network.{i}.weight"].shape[0] for i in (0, 2, 4)]}})


def refuse_non_finite(path: str, checkpoint: dict) -> dict:
    """A policy with a NaN or infinite weight plays garbage that looks like a score: refused."""
    bad = [k for k, v in checkpoint["state_dict"].items() if torch.is_tensor(v) and v.is_floating_point() and not v.isfinite().all()]
    if bad:
        fail(f"{path!r} has non-finite weights (NaN or inf in {bad[0]}); it cannot be played or learned from, pass another file")
    return checkpoint
