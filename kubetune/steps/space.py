"""Search spaces for the pipeline's search step: a built-in template by name, or inline YAML/JSON.

A search space is a list of Katib `spec.parameters` entries whose `name` is a trainer option
(`lr`, `optimizer`, `cells.normal_cell`, `vit.depth`...): each becomes `--<name>=<value>` on the
trial command. Inline text is either that list, or a mapping with a `parameters` key holding it.
"""
from __future__ import annotations

import copy
import re
from typing import Any

import yaml

from kubetune.experiment.katib_text import katib_string
from trainer.models.registry import model_family


class SpaceError(ValueError):
    """A search space that cannot be used: the message names the parameter and the problem."""


def _double(name: str, lo: str, hi: str, log: bool = False) -> dict:
    space = {"min": lo, "max": hi}
    if log:
        space["distribution"] = "logUniform"
    return {"name": name, "parameterType": "double", "feasibleSpace": space}


def _choice(name: str, values: list[str], kind: str = "categorical") -> dict:
    return {"name": name, "parameterType": kind, "feasibleSpace": {"list": list(values)}}


def _int(name: str, lo: str, hi: str) -> dict:
    return {"name": name, "parameterType": "int", "feasibleSpace": {"min": lo, "max": hi}}


# The shapes come from the project's ready-made Experiments (examples/demo, manifests/experiments).
SPACES: dict[str, list[dict]] = {
    # any model: optimiser settings only
    "basic": [
        _double("lr", "0.001", "0.1", log=True),
        _choice("optimizer", ["sgd", "adam"]),
    ],
    # the lecture's cell network (examples/demo/experiment.yaml)
    "cells": [
        _double("lr", "0.002", "0.2", log=True),
        _choice("optimizer", ["sgd", "adam"]),
        _choice("cells.normal_cell", ["Conv", "DWConv", "InvertedResidualv2", "MBConv"]),
        _int("cells.n_repeat", "1", "2"),
        _choice("cells.activation", ["ReLU", "Hardswish"]),
    ],
    # manifests/experiments/efficientnet-b0.yaml
    "efficientnet": [
        _double("lr", "0.005", "0.1", log=True),
        _double("weight_decay", "0.000001", "0.001", log=True),
        _choice("optimizer", ["sgd", "rmsprop", "adamw"]),
        _double("dropout", "0.1", "0.4"),
    ],
    # a ViT space that fits any image size (patch size left at the model's default)
    "vit": [
        _double("lr", "0.0001", "0.003", log=True),
        _choice("vit.dim", ["64", "128", "256"], kind="discrete"),
        _choice("vit.depth", ["4", "5", "6"], kind="discrete"),
        _choice("vit.heads", ["4", "8"], kind="discrete"),
    ],
}
AUTO = "auto"
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")


# The built-in space `auto` picks for a model family (trainer.models knows each model's family);
# any other family gets `basic`.
SPACE_OF_FAMILY = {"cells": "cells", "efficientnet": "efficientnet", "vit": "vit"}
# torchvision's EfficientNet-B0 has the efficientnet family's knobs (dropout included).
SPACE_OF_MODEL = {"tv_efficientnet_b0": "efficientnet"}


def space_for_model(model: str) -> str:
    """The built-in space `auto` picks for a model."""
    name = model.strip().lower()
    return SPACE_OF_MODEL.get(name) or SPACE_OF_FAMILY.get(model_family(name), "basic")


def resolve_space(spec: str, model: str) -> tuple[str, list[dict]]:
    """(label, Katib parameters) for a space given as `auto`, a built-in name, or inline YAML/JSON."""
    text = (spec or "").strip()
    if not text or text == AUTO:
        name = space_for_model(model)
        return name, copy.deepcopy(SPACES[name])
    if text in SPACES:
        return text, copy.deepcopy(SPACES[text])
    if NAME_RE.match(text) and "\n" not in text:
        raise SpaceError(f"search_space: {text!r} is not a built-in space; built-in: {AUTO}, "
                         f"{', '.join(sorted(SPACES))}; or give the parameters inline as YAML/JSON")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise SpaceError(f"search_space: inline text is not valid YAML/JSON: {e}") from None
    if isinstance(data, dict) and "parameters" in data:
        data = data["parameters"]
    if not isinstance(data, list) or not data:
        raise SpaceError("search_space: inline space must be a non-empty list of Katib parameters "
                         "(or a mapping with `parameters:`), e.g. "
                         "[{name: lr, parameterType: double, feasibleSpace: {min: '0.001', max: '0.1'}}]")
    return "inline", [_check_parameter(p, i) for i, p in enumerate(data)]


def _check_parameter(p: Any, i: int) -> dict:
    where = f"search_space[{i}]"
    if not isinstance(p, dict):
        raise SpaceError(f"{where}: expected a mapping with name, parameterType, feasibleSpace; found {p!r}")
    name = p.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise SpaceError(f"{where}.name: {name!r} is not a trainer option name (letters, digits, _ . -; "
                         "e.g. lr, optimizer, cells.n_repeat)")
    out = copy.deepcopy(p)
    space = out.get("feasibleSpace")
    if isinstance(space, dict):  # Katib wants strings; YAML gives numbers and booleans
        for key in ("min", "max", "step"):
            if key in space:
                space[key] = katib_string(space[key])
        if isinstance(space.get("list"), list):
            space["list"] = [katib_string(v) for v in space["list"]]
    return out


def trial_parameter_name(option: str, taken: set[str]) -> str:
    """A trialParameters name for a trainer option: `cells.n_repeat` -> `cellsNRepeat` (unique)."""
    parts = [x for x in re.split(r"[._-]+", option) if x]
    base = parts[0] + "".join(x[:1].upper() + x[1:] for x in parts[1:])
    name, n = base, 2
    while name in taken:
        name, n = f"{base}{n}", n + 1
    taken.add(name)
    return name
