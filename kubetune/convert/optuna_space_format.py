"""The SearchSpace file format (Optuna-style search spaces, seeds 003/004): its keys, detecting and
reading a space file. kubetune.convert.optuna_space_compile turns one into a Katib Experiment.

The lecture writes its search as Optuna code: `trial.suggest_categorical("optimizer", [...])`,
`suggest_float("lr", 1e-4, 1e-1, log=True)`, `suggest_int("n_repeat", 1, 3)`, and conditional
parameters inside `if optimizer == "sgd":`. This format says the same in YAML:

    apiVersion: kubetune.io/v1alpha1
    kind: SearchSpace
    metadata: {name: lecture-nas}
    objective: {metric: accuracy, direction: maximize}
    algorithm: tpe
    trials: 20
    parallel: 2
    trial:
      image: ghcr.io/kubetune/kubetune-trainer:0.1.0
      command: [python, -m, trainer, train]
      args: [--data=/data, --model=cells]
    parameters:
      optimizer: {type: categorical, choices: [sgd, adam]}
      momentum: {type: float, low: 0.5, high: 0.99, when: {optimizer: sgd}}
      lr: {type: float, low: 1.0e-4, high: 0.1, log: true}
      n_repeat: {type: int, low: 1, high: 3}
      epochs: 2                                     # a fixed value

`compile_space` (optuna_space_compile) turns it into a complete Katib Experiment: every parameter (conditional or not)
is a Katib parameter with its whole domain (the flattened space Katib searches), passed to the
trial as `--<name>=${trialParameters.<name>}` (or its `flag`); fixed values become fixed flags;
the conditions go into the annotation `kubetune.io/conditions` (kubetune.experiment.conditions), which
`kubetune run` uses to sample define-by-run and Katib ignores. `objective.objectives` becomes
`kubetune.io/objectives` (multi-objective, kubetune.experiment.objectives). The format is described in
docs/search-spaces.md.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .errors import ConvertError, Problems

API_VERSION = "kubetune.io/v1alpha1"
KIND = "SearchSpace"
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
K8S_NAME_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")

TOP_KEYS = ("apiVersion", "kind", "metadata", "objective", "algorithm", "trials", "parallel", "maxFailed",
            "trial", "parameters")
METADATA_KEYS = ("name", "namespace", "annotations", "labels")
OBJECTIVE_KEYS = ("metric", "direction", "goal", "additionalMetrics", "strategies", "objectives", "populationSize")
ALGORITHM_KEYS = ("name", "settings")
TRIAL_KEYS = ("image", "command", "args", "env", "resources", "volumes", "workingDir", "deadlineSeconds",
              "primaryContainerName")
VOLUME_KEYS = ("mountPath", "pvc", "subPath", "readOnly", "emptyDir")
PARAMETER_TYPES = ("categorical", "float", "int")
PARAMETER_KEYS = {
    "categorical": ("type", "choices", "when", "neutral", "flag", "description"),
    "float": ("type", "low", "high", "step", "log", "when", "neutral", "flag", "description"),
    "int": ("type", "low", "high", "step", "log", "when", "neutral", "flag", "description"),
}
FIXED_KEYS = ("fixed", "flag")
DIRECTIONS = ("minimize", "maximize")
STRATEGIES = ("min", "max", "latest")


def check_keys(problems: Problems, path: str, node: Any, allowed: tuple[str, ...]) -> None:
    """An unknown-key problem (with the allowed keys) for each key of the mapping `node` not in `allowed`."""
    if isinstance(node, dict):
        for key in node:
            if key not in allowed:
                problems.unknown_key(path, key, allowed)


def is_space_document(document: Any) -> bool:
    return isinstance(document, dict) and document.get("kind") == KIND


def is_space_file(path: str | Path) -> bool:
    """True when the file's first YAML document is a `kind: SearchSpace`."""
    try:
        with open(path, encoding="utf-8") as f:
            documents = [d for d in yaml.safe_load_all(f) if d is not None]
    except (OSError, ValueError, yaml.YAMLError, RecursionError):  # ValueError: UnicodeDecodeError
        return False  # not a space file: the Experiment loader reports what is wrong with it
    return bool(documents) and is_space_document(documents[0])


def load_space(path: str | Path) -> dict:
    """The SearchSpace document of a file; ConvertError naming the file otherwise."""
    source = str(path)
    try:
        with open(path, encoding="utf-8") as f:
            documents = [d for d in yaml.safe_load_all(f) if d is not None]
    except OSError as exc:
        raise ConvertError([f"{source}: {exc.strerror or exc}"]) from None
    except yaml.YAMLError as exc:
        raise ConvertError([f"{source}: not valid YAML: {str(exc).strip()}"]) from None
    except RecursionError:
        raise ConvertError([f"{source}: not valid YAML: nested too deeply"]) from None
    except ValueError as exc:  # UnicodeDecodeError
        raise ConvertError([f"{source}: not UTF-8 text: {exc}"]) from None
    if len(documents) != 1 or not is_space_document(documents[0]):
        raise ConvertError([f"{source}: expected one document with kind: {KIND}"])
    return documents[0]
