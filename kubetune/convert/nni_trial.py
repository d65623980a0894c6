"""The trial of a converted NNI experiment: NNI's shell command -> the trial template's workload.

The command is split like a shell would (`shlex`) and run without a shell; a leading `cd DIR &&`
becomes workingDir (below /code, where the image holds the NNI code directory) and leading
`VAR=value` words become env. A command running the kubetune trainer (`python -m trainer train`)
gets the parameters as flags; it needs no code directory, so it gets no workingDir, and a
`--resume FILE` (seed 000's `--resume ./model_best.pth.tar`, a file in the NNI code directory that
every trial would share) is dropped with a note. Any other command is an NNI trial script run under
`python -m kubetune.compat.nni_launch --`, with NNI's env vars. The workload is a batch Job, or for
NNI's kubeflow / frameworkcontroller platforms a PyTorchJob / TFJob with a replica per role
(kubetune.convert.nni_k8s).
"""
from __future__ import annotations

import copy
import json
import os
import re
import shlex
from typing import Any

from kubetune.trainer_flags import flag_option

from .errors import Note, Problems, show
from .nni_config_common import NniConfig
from .nni_encode import SPACE_ENV
from .nni_k8s import CONTAINER as K8S_CONTAINER
from .nni_k8s import replica_job, resources

DEFAULT_IMAGE = "ghcr.io/kubetune/kubetune-trainer:0.1.0"
CODE_DIR = "/code"  # where the image holds the NNI trial code directory
OUTPUT_DIR = "/nni/output"  # NNI_OUTPUT_DIR: an emptyDir (per-trial directory locally)
CONTAINER = "trial"
TRIAL_NAME_PARAMETER = "kubetuneTrialName"
PYTHON_NAMES = re.compile(r"^(?:.*/)?python(?:3(?:\.\d+)?)?$")
SHELL_OPERATORS = ("&&", "||", ";", "|", "&", ">", ">>", "<", "<<", "(", ")", ">&", "<&", "|&", ";;")
RESUME_FLAG = "--resume"


def command_key(cfg: NniConfig) -> str:
    return "trial.command" if cfg.version == 1 else "trialCommand"


def split_command(command: str, key: str, problems: Problems) -> tuple[str, list[tuple[str, str]], list[str]]:
    """(working dir below the code dir, leading VAR=value words, argv) of NNI's shell command."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError as exc:
        problems.add(key, f"cannot split {show(command)} like a shell would: {exc}")
        return "", [], []
    working = ""
    while len(tokens) >= 3 and tokens[0] == "cd" and tokens[2] == "&&":
        target = tokens[1]
        if target.startswith("/") or target.startswith("~"):
            problems.add(key, f"`cd {target}` leaves the trial code directory; use a directory inside codeDir "
                              "(it becomes the container's workingDir)")
            return "", [], []
        working = os.path.normpath(os.path.join(working, target))
        tokens = tokens[3:]
    env_words = []
    while tokens and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", tokens[0]):
        name, _, value = tokens.pop(0).partition("=")
        env_words.append((name, value))
    operators = [t for t in tokens if t in SHELL_OPERATORS or (t and set(t) <= set("();<>|&"))]
    if operators:
        problems.add(key, f"uses shell syntax {show(operators[0])} in {show(command)}; the trial runs "
                          "without a shell (Katib re-joins the words with spaces): put the commands in a script "
                          "and call it (e.g. `bash run.sh`). Only a leading `cd DIR &&` is understood (as the "
                          "working directory)")
        return "", [], []
    expansions = [t for t in tokens if "$" in t or "`" in t]
    if expansions:
        problems.add(key, f"uses shell expansion {show(expansions[0])}; the trial runs without a shell: read the "
                          "variable inside the program (NNI_OUTPUT_DIR and the other NNI_* variables are set)")
        return "", [], []
    if not tokens:
        problems.add(key, f"no command to run in {show(command)}")
    if working.startswith(".."):
        problems.add(key, f"`cd` leaves the trial code directory ({working})")
    return ("" if working == "." else working), env_words, tokens


def is_trainer(argv: list[str]) -> bool:
    return len(argv) >= 4 and bool(PYTHON_NAMES.match(argv[0])) and argv[1:4] == ["-m", "trainer", "train"]


def trainer_args(args: list[str], key: str, notes: list[Note]) -> list[str]:
    """The trainer's flags without a `--resume FILE`: every trial would resume from that one file,
    which lives in the NNI code directory (not in the image), so every trial failed."""
    out: list[str] = []
    skip = False
    for i, arg in enumerate(args):
        if skip:
            skip = False
            continue
        name, eq, value = arg.partition("=")
        if name == RESUME_FLAG:
            value = value if eq else (args[i + 1] if i + 1 < len(args) else "")
            skip = not eq
            if value == "auto":
                out.append(f"{RESUME_FLAG}=auto")
                continue
            notes.append(Note(key, f"`{RESUME_FLAG} {value}` dropped: every trial would resume from that one "
                                   "checkpoint of the NNI code directory (not in the trial image: each trial fails "
                                   "with file not found, and a found one would make all trials continue the same "
                                   "run); trials start fresh. To fine-tune every trial from that model use "
                                   "--init-weights with a path in the image or a mounted volume; "
                                   f"`{RESUME_FLAG}=auto` resumes a trial from its own last checkpoint"))
            continue
        out.append(arg)
    return out


def container(cfg: NniConfig, mode: str, name: str, out, working_dir: str, env_words, argv: list[str],
              image: str | None, key: str, notes: list[Note]) -> dict:
    """The trial's container for one command (the primary one, or a replica's)."""
    result: dict[str, Any] = {"name": CONTAINER, "image": image or DEFAULT_IMAGE}
    env = [{"name": k, "value": v} for k, v in env_words]
    if mode == "trainer":
        if working_dir:
            notes.append(Note(key, f"`cd {working_dir} &&` dropped: the trainer needs no code directory"))
        args = trainer_args(list(argv[4:]), key, notes)
        if not any(flag_option(a) == "out" for a in args):
            args.append(f"--out={OUTPUT_DIR}")
        result["command"] = list(argv[:4])
        result["args"] = args + out.flags
    else:
        result["workingDir"] = CODE_DIR + ("/" + working_dir if working_dir else "")
        result["command"] = ["python", "-m", "kubetune.compat.nni_launch", "--"] + argv
        env += [
            {"name": "NNI_PLATFORM", "value": "katib"},
            {"name": "NNI_EXP_ID", "value": name},
            {"name": "NNI_TRIAL_JOB_ID", "value": "${trialParameters.%s}" % TRIAL_NAME_PARAMETER},
            {"name": "NNI_TRIAL_SEQ_ID", "value": "0"},
            {"name": "NNI_OUTPUT_DIR", "value": OUTPUT_DIR},
            {"name": "NNI_SYS_DIR", "value": OUTPUT_DIR},
            {"name": "NNI_CODE_DIR", "value": CODE_DIR},
            {"name": SPACE_ENV, "value": json.dumps(out.record, separators=(",", ":"), ensure_ascii=False)},
        ] + out.env
    if env:
        result["env"] = env
    if cfg.gpus:
        result["resources"] = {"limits": {"nvidia.com/gpu": cfg.gpus}}
    result["volumeMounts"] = [{"name": "nni-output", "mountPath": OUTPUT_DIR}]
    return result


def trial_template(cfg: NniConfig, mode: str, name: str, out, working_dir: str, env_words, argv: list[str],
                   image: str | None, *, retain: bool, notes: list[Note], problems: Problems) -> dict:
    key = command_key(cfg)
    primary = container(cfg, mode, name, out, working_dir, env_words, argv, image, key, notes)
    trial_parameters = list(out.trial_parameters)
    if mode != "trainer":
        trial_parameters.append({"name": TRIAL_NAME_PARAMETER, "reference": "${trialSpec.Name}",
                                 "description": "trial name (NNI_TRIAL_JOB_ID)"})
    if cfg.max_trial_duration:
        notes.append(Note("maxTrialDuration", f"-> activeDeadlineSeconds {cfg.max_trial_duration}: an over-time "
                                              "trial fails (DeadlineExceeded); NNI marked it EARLY_STOPPED"))
    pod_extra = {"volumes": [{"name": "nni-output", "emptyDir": {}}]}
    template: dict[str, Any] = {"primaryContainerName": CONTAINER}
    if cfg.roles:
        template["primaryContainerName"] = K8S_CONTAINER[cfg.job_kind]
        workload = replica_job(cfg.job_kind, cfg.roles, _replica_containers(cfg, primary, mode, name, out, image,
                                                                            notes, problems),
                               pod_extra, cfg.max_trial_duration)
    else:
        job_spec: dict[str, Any] = {}
        if cfg.max_trial_duration:
            job_spec["activeDeadlineSeconds"] = cfg.max_trial_duration
        job_spec["template"] = {"spec": {"restartPolicy": "Never", "containers": [primary], **pod_extra}}
        workload = {"apiVersion": "batch/v1", "kind": "Job", "spec": job_spec}
    if retain:
        template["retain"] = True
    template["trialParameters"] = trial_parameters
    template["trialSpec"] = workload
    return template


def _replica_containers(cfg: NniConfig, primary: dict, mode: str, name: str, out, image: str | None,
                        notes: list[Note], problems: Problems) -> dict[str, dict]:
    """Each role's container: the primary's, with the role's own command, resources and name."""
    found = {}
    for role in cfg.roles:
        if role.command == cfg.trial_command:
            c = copy.deepcopy(primary)
        else:
            working_dir, env_words, argv = split_command(role.command, f"{role.path}.command", problems)
            if argv and is_trainer(argv) != (mode == "trainer"):
                problems.add(f"{role.path}.command", f"{show(role.command)} and the {cfg.roles[0].replica}'s "
                                                     f"{show(cfg.trial_command)} must both run the kubetune trainer "
                                                     "or both an NNI trial script")
            c = container(cfg, mode, name, out, working_dir, env_words, argv, image, f"{role.path}.command", notes)
        c["name"] = K8S_CONTAINER[cfg.job_kind]
        c.pop("resources", None)
        if resources(role):
            c["resources"] = resources(role)
        found[role.replica] = c
    return found
