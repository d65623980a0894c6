"""Early-stopping algorithms under Katib's names (`spec.earlyStopping.algorithmName`).

| Katib name | Katib's service                            | module
|------------|--------------------------------------------|-----------
| medianstop | pkg/earlystopping/v1beta1/medianstop       | medianstop

An `EarlyStopping` is what Katib's early-stopping service is for one name: its
ValidateEarlyStoppingSettings (`check`), its GetEarlyStoppingRules (`compute_rule`: the rule for
trials created now, from the objective curves of the succeeded trials) and lint traps. How a rule
reaches a trial and stops it is Katib's and the same for every algorithm: `rules` (Rule,
RuleEvaluator, the sidecar). The engine looks the algorithm up with `find_early_stopping`.

Adding one is a module here (settings check, compute_rule, lint) plus one line in `_BUILT_IN`
below, and its name in kubetune.experiment.katib_config (tests/algorithms checks that).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from kubetune.algorithms._checks import AlgorithmContext, Check, check_kubetune_settings, guarded
from kubetune.algorithms.earlystopping import medianstop
from kubetune.algorithms.earlystopping.rules import (
    Rule,
    RuleEvaluator,
    parse_sidecar_value,
    rule_from_dict,
    rule_to_dict,
    rule_would_stop,
)
from kubetune.experiment import katib_config
from kubetune.experiment.errors import Problem
from kubetune.experiment.types import Experiment

# (succeeded trials' objective curves, objective type, settings, metric_name=) -> rule or None
RuleFactory = Callable[..., Rule | None]


@dataclass(frozen=True)
class EarlyStopping:
    """One early-stopping name, as its Katib service serves it."""

    name: str
    check: Check  # ValidateEarlyStoppingSettings (errors)
    compute_rule: RuleFactory  # GetEarlyStoppingRules
    lint: Callable[[Experiment], list[Problem]] | None = None


_EARLY_STOPPING: dict[str, EarlyStopping] = {}


def register_early_stopping(algorithm: EarlyStopping, *, replace: bool = False) -> None:
    if algorithm.name in _EARLY_STOPPING and not replace:
        raise ValueError(f"early stopping algorithm {algorithm.name!r} is already registered")
    _EARLY_STOPPING[algorithm.name] = algorithm
    katib_config.add_early_stopping(algorithm.name)


def find_early_stopping(name: str) -> EarlyStopping | None:
    return _EARLY_STOPPING.get(name)


def known_early_stopping() -> list[str]:
    return sorted(_EARLY_STOPPING)


def early_stopping_errors(ctx: AlgorithmContext) -> list[Problem]:
    """Stage B for spec.earlyStopping: what the service rejects, plus any kubetune.* setting
    (none is defined here). Errors only; an unknown name is the webhook rules' error."""
    algorithm = _EARLY_STOPPING.get(ctx.name)
    if algorithm is None:
        return []
    return check_kubetune_settings(ctx) + guarded(algorithm.check, ctx)


def early_stopping_rule(name: str, succeeded: Sequence[Sequence[float]], objective_type: str,
                        settings: Mapping[str, str], *, metric_name: str) -> Rule | None:
    """The rule the `name` service gives trials created now (the engine's GetEarlyStoppingRules)."""
    algorithm = _EARLY_STOPPING.get(name)
    if algorithm is None:
        raise ValueError(f"unknown early stopping algorithm {name!r}; "
                         f"available: {', '.join(known_early_stopping())}")
    return algorithm.compute_rule(succeeded, objective_type, settings, metric_name=metric_name)


_BUILT_IN = (
    EarlyStopping("medianstop", medianstop.check_medianstop, medianstop.compute_rule,
                  lint=medianstop.lint_medianstop),
)
for _algorithm in _BUILT_IN:
    register_early_stopping(_algorithm, replace=True)

__all__ = [
    "EarlyStopping", "Rule", "RuleEvaluator", "early_stopping_errors", "early_stopping_rule",
    "find_early_stopping", "known_early_stopping", "parse_sidecar_value", "register_early_stopping",
    "rule_from_dict", "rule_to_dict", "rule_would_stop",
]
