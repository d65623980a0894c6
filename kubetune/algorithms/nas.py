"""Katib's NAS services (pkg/suggestion/v1beta1/nas/enas, nas/darts): settings checks and lint.

Both search `spec.nasConfig` (graphConfig + operations, katib-semantics 9) instead of
spec.parameters and run on a Katib cluster only: kubetune run has no port of them. The checks
mirror their ValidateAlgorithmSettings: the operation checks both share, enas' graphConfig and
typed settings (unknown names rejected), darts' minima (unknown names forwarded to the trials).
"""
from __future__ import annotations

import math
from typing import Iterator

from kubetune.algorithms._checks import (
    AlgorithmContext,
    at_least,
    number_setting,
    parses,
    unknown_setting,
)
from kubetune.algorithms.registry import FORWARDS, REJECTS, Algorithm, cluster_only
from kubetune.experiment.access import as_list, as_str, dig
from kubetune.experiment.errors import Problem, did_you_mean, error, show, warning
from kubetune.experiment.template import is_meta_reference
from kubetune.experiment.types import Experiment

T = "spec.trialTemplate"
# What each service assigns to the trial (the trialParameters must reference exactly these).
NAS_ASSIGNMENTS = {"enas": ("architecture", "nn_config"),
                   "darts": ("algorithm-settings", "search-space", "num-layers")}


def _mappings(items: list, path: str) -> Iterator[tuple[str, dict]]:
    """(path of the entry, entry) for the mapping entries of a list (others are reported elsewhere)."""
    for i, item in enumerate(items):
        if isinstance(item, dict):
            yield f"{path}[{i}]", item


def _required(mapping: dict, key: str, path: str) -> list[Problem]:
    return [] if mapping.get(key) else [error(f"{path}.{key}", "required field is missing")]


def _nas_operations(ctx: AlgorithmContext) -> list[Problem]:
    nas = ctx.spec.get("nasConfig")
    if not isinstance(nas, dict):
        return [error("spec.nasConfig", f"algorithm {ctx.name} needs spec.nasConfig",
                      "describe graphConfig and operations (katib-semantics 9)")]
    problems = []
    operations = as_list(nas.get("operations"))
    if not operations:
        problems.append(error("spec.nasConfig.operations", "at least one operation is required"))
    for path, op in _mappings(operations, "spec.nasConfig.operations"):
        problems += _required(op, "operationType", path)
        params = as_list(op.get("parameters"))
        if not params:
            problems.append(error(f"{path}.parameters", "each operation needs at least one parameter"))
        for ppath, p in _mappings(params, f"{path}.parameters"):
            problems += _required(p, "name", ppath)
            ptype = p.get("parameterType")
            space = p.get("feasibleSpace") if isinstance(p.get("feasibleSpace"), dict) else {}
            if not ptype:
                problems += _required(p, "parameterType", ppath)
            elif ptype in ("categorical", "discrete"):
                if not space.get("list"):
                    problems.append(error(f"{ppath}.feasibleSpace.list", f"a {ptype} parameter needs a list"))
            elif ptype in ("int", "double"):
                if not space.get("min") and not space.get("max"):
                    problems.append(error(f"{ppath}.feasibleSpace", "min or max is required"))
                if ptype == "double":
                    ok, step = parses(float, space.get("step") or "")
                    if not ok or step <= 0:
                        problems.append(error(f"{ppath}.feasibleSpace.step",
                                              "a double operation parameter needs a step > 0"))
    return problems


ENAS_SETTINGS: dict[str, tuple[str, float, float, bool]] = {
    # name: (type, low, high, accepts "None"); floats must be in (low, high], ints >= low
    "controller_hidden_size": ("int", 1, math.inf, False),
    "controller_temperature": ("float", 0, math.inf, True),
    "controller_tanh_const": ("float", 0, math.inf, True),
    "controller_entropy_weight": ("float", 0, math.inf, True),
    "controller_baseline_decay": ("float", 0, 1, False),
    "controller_learning_rate": ("float", 0, 1, False),
    "controller_skip_target": ("float", 0, 1, False),
    "controller_skip_weight": ("float", 0, math.inf, True),
    "controller_train_steps": ("int", 1, math.inf, False),
    "controller_log_every_steps": ("int", 1, math.inf, False),
}


def check_enas(ctx: AlgorithmContext) -> list[Problem]:
    problems = _nas_operations(ctx)
    nas = ctx.spec.get("nasConfig")
    graph = nas.get("graphConfig") if isinstance(nas, dict) else None
    graph = graph if isinstance(graph, dict) else {}
    if isinstance(nas, dict):
        for key in ("numLayers", "inputSizes", "outputSizes"):
            if not graph.get(key):
                problems.append(error(f"spec.nasConfig.graphConfig.{key}", "required by enas (missing or zero)"))
    for i, name, text in ctx.katib_settings():
        if name not in ENAS_SETTINGS:
            problems.append(unknown_setting(ctx, i, tuple(ENAS_SETTINGS)))
            continue
        kind, low, high, none_ok = ENAS_SETTINGS[name]
        if none_ok and text == "None":
            continue
        if kind == "int":
            problems += number_setting(ctx, i, "int", at_least(low), f"an integer >= {int(low)}")
        else:
            rule = f"in ({low}, {high}]" if high != math.inf else f"greater than {low}"
            problems += number_setting(ctx, i, "float", lambda v, lo=low, hi=high: lo < v <= hi, rule)
    return problems


DARTS_MINIMA: dict[str, tuple[str, float, str]] = {
    "num_epochs": ("int", 1, "an integer > 0"),
    "w_lr": ("float", 0, "a number >= 0"),
    "w_lr_min": ("float", 0, "a number >= 0"),
    "alpha_lr": ("float", 0, "a number >= 0"),
    "w_weight_decay": ("float", 0, "a number >= 0"),
    "alpha_weight_decay": ("float", 0, "a number >= 0"),
    "w_momentum": ("float", 0, "a number >= 0"),
    "w_grad_clip": ("float", 0, "a number >= 0"),
    "batch_size": ("int", 1, 'an integer >= 1 or "None"'),
    "num_workers": ("int", 0, "an integer >= 0"),
    "init_channels": ("int", 1, "an integer >= 1"),
    "print_step": ("int", 1, "an integer >= 1"),
    "num_nodes": ("int", 1, "an integer >= 1"),
    "stem_multiplier": ("int", 1, "an integer >= 1"),
}


def check_darts(ctx: AlgorithmContext) -> list[Problem]:
    problems = _nas_operations(ctx)
    for i, name, text in ctx.katib_settings():
        if name not in DARTS_MINIMA:
            continue  # darts forwards unknown settings to the trial
        kind, low, rule = DARTS_MINIMA[name]
        if name == "batch_size" and text == "None":
            continue
        problems += number_setting(ctx, i, kind, at_least(low), rule)
    return problems


def lint_nas(exp: Experiment) -> list[Problem]:
    """Cluster only; and without spec.parameters, the trialParameters must reference exactly
    what the service assigns, or trial generation fails."""
    algorithm = as_str(dig(exp.spec, "algorithm", "algorithmName"))
    problems = [warning("spec.algorithm.algorithmName", cluster_only(algorithm) or "")]
    if as_list(exp.spec.get("parameters")):
        return problems  # the generic lint checks that every parameter is referenced
    expected = NAS_ASSIGNMENTS[algorithm]
    refs = [as_str(tp.get("reference")) for tp in as_list(dig(exp.spec, "trialTemplate", "trialParameters"))
            if isinstance(tp, dict)]
    for i, ref in enumerate(refs):
        if ref and not is_meta_reference(ref) and ref not in expected:
            problems.append(warning(f"{T}.trialParameters[{i}].reference",
                                    f"{algorithm} assigns {', '.join(expected)}; {show(ref)} never gets a "
                                    "value, so trial generation fails",
                                    did_you_mean(ref, expected) or f"reference one of {', '.join(expected)}"))
    for name in expected:
        if name not in refs:
            problems.append(warning(f"{T}.trialParameters", f"{algorithm} assigns {show(name)} but no "
                                    "trialParameter references it; trial generation fails",
                                    f"add {{name: {name.replace('-', '_')}, reference: {name}}}"))
    return problems


ALGORITHMS = (
    Algorithm("enas", check_enas, lint=lint_nas, unknown_settings=REJECTS, repeats_points=False),
    Algorithm("darts", check_darts, lint=lint_nas, unknown_settings=FORWARDS, repeats_points=False),
)
