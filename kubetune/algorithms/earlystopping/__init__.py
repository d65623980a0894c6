"""Early-stopping algorithms under Katib's names (`spec.earlyStopping.algorithmName`).

| name              | Katib's service                      | evaluated                          | module
|-------------------|--------------------------------------|------------------------------------|-----------
| medianstop        | pkg/earlystopping/v1beta1/medianstop | frozen rule, Katib's sidecar       | medianstop
| percentile        | (kubetune only)                      | frozen rule, Katib's sidecar       | percentile
| successivehalving | (kubetune only)                      | as values arrive, local engine     | successivehalving
| patience          | (kubetune only)                      | as values arrive, local engine     | patience

A frozen rule is computed when a trial is created and checked once by the sidecar (`rules`);
a rule with an `evaluator` (successivehalving: the other trials' values at a rung; patience: the
trial's own recent values) is decided by the local engine on each reported value and has no
Katib form (lint warns that a cluster stops nothing with it). `trial_evaluator` gives the engine
the one object it feeds, whichever kind.

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
from typing import Callable, Mapping, Protocol, Sequence

from kubetune.algorithms._checks import AlgorithmContext, Check, check_kubetune_settings, guarded
from kubetune.algorithms.earlystopping import medianstop, patience, percentile, successivehalving
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


class TrialStopper(Protocol):
    def feed(self, value: float) -> bool:
        """One reported objective value; True once, when the trial is to be stopped."""
        ...


# (settings, objective type, trial name, curves of every trial by name) -> TrialStopper
EvaluatorFactory = Callable[[Mapping[str, str], str, str, Callable[[], Mapping[str, Sequence[float]]]],
                            TrialStopper]


@dataclass(frozen=True)
class EarlyStopping:
    """One early-stopping name, as its Katib service serves it."""

    name: str
    check: Check  # ValidateEarlyStoppingSettings (errors)
    compute_rule: RuleFactory  # GetEarlyStoppingRules
    lint: Callable[[Experiment], list[Problem]] | None = None
    evaluator: EvaluatorFactory | None = None  # decided as values arrive (local engine only)


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


def trial_evaluator(name: str, settings: Mapping[str, str], rule: Mapping | None, objective_type: str, *,
                    trial: str, curves: Callable[[], Mapping[str, Sequence[float]]]) -> TrialStopper | None:
    """What the engine feeds a trial's objective values: the algorithm's own evaluator (given the
    trial's name and every trial's curve so far), else the sidecar's check of the rule frozen at
    the trial's creation (None: nothing can stop the trial)."""
    algorithm = _EARLY_STOPPING.get(name)
    if algorithm is not None and algorithm.evaluator is not None:
        return algorithm.evaluator(settings, objective_type, trial, curves)
    return None if rule is None else RuleEvaluator(rule_from_dict(rule), objective_type)


_BUILT_IN = (
    EarlyStopping("medianstop", medianstop.check_medianstop, medianstop.compute_rule,
                  lint=medianstop.lint_medianstop),
    EarlyStopping(percentile.NAME, percentile.check_percentile, percentile.compute_rule,
                  lint=percentile.lint_percentile),
    EarlyStopping(successivehalving.NAME, successivehalving.check_successive_halving,
                  successivehalving.compute_rule, lint=successivehalving.lint_local_only,
                  evaluator=successivehalving.RungEvaluator),
    EarlyStopping(patience.NAME, patience.check_patience, patience.compute_rule,
                  lint=successivehalving.lint_local_only, evaluator=patience.PatienceEvaluator),
)
for _algorithm in _BUILT_IN:
    register_early_stopping(_algorithm, replace=True)

__all__ = [
    "EarlyStopping", "Rule", "RuleEvaluator", "early_stopping_errors", "early_stopping_rule",
    "find_early_stopping", "known_early_stopping", "parse_sidecar_value", "register_early_stopping",
    "rule_from_dict", "rule_to_dict", "rule_would_stop", "trial_evaluator", "TrialStopper",
]
