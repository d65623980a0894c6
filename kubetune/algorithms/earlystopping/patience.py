"""`patience` (kubetune; Keras' EarlyStopping, Optuna's PatientPruner without a wrapped pruner).

Settings: `patience` (int >= 1, default 3): how many reports without improvement are tolerated;
`min_delta` (a number >= 0, default 0): the smallest change that counts as an improvement. Any
other name is rejected.

A trial is stopped at its t-th report (t > patience) when the best of its last `patience`
values is not better than the best of the values before them by more than min_delta. The rule
looks at the trial's own curve only; the local engine evaluates it as values arrive
(`PatienceEvaluator`). It has no Katib form (a Katib rule is a fixed threshold), so on a Katib
cluster it stops nothing (kubetune lint says so): stop inside the trial there.
"""
from __future__ import annotations

import math
from typing import Callable, Mapping, Sequence

from kubetune.algorithms._checks import AlgorithmContext, at_least, number_setting, settings_table
from kubetune.algorithms.earlystopping._common import best, checked_settings, strictly_better
from kubetune.algorithms.earlystopping.rules import Rule
from kubetune.experiment.errors import Problem
from kubetune.results import MAXIMIZE

NAME = "patience"


def check_patience(ctx: AlgorithmContext) -> list[Problem]:
    table = {
        "patience": lambda i: number_setting(ctx, i, "int", at_least(1), "an integer >= 1"),
        "min_delta": lambda i: number_setting(ctx, i, "float", lambda v: 0 <= v < math.inf,
                                              "a finite number >= 0"),
    }
    return settings_table(ctx, table)


def compute_rule(succeeded: Sequence[Sequence[float]], objective_type: str,
                 settings: Mapping[str, object] | None = None, *, metric_name: str = "") -> Rule | None:
    """No frozen rule: the decision is about the trial's own recent values."""
    checked_settings(NAME, check_patience, settings)
    return None


class PatienceEvaluator:
    """feed(value) -> True when the trial is to be stopped at this report (once)."""

    def __init__(self, settings: Mapping[str, object] | None, objective_type: str, trial: str = "",
                 curves: Callable[[], Mapping[str, Sequence[float]]] | None = None):
        s = checked_settings(NAME, check_patience, settings)
        self.patience = int(s.get("patience", 3))
        self.min_delta = float(s.get("min_delta", 0))
        self.objective_type = objective_type
        self.values: list[float] = []
        self.stopped = False

    def feed(self, value: float) -> bool:
        if self.stopped:
            return False
        self.values.append(float(value))
        if len(self.values) <= self.patience:
            return False
        before = best(self.values[: -self.patience], self.objective_type)
        recent = best(self.values[-self.patience:], self.objective_type)
        if before is None:
            return False
        if recent is None:
            self.stopped = True
            return True
        delta = self.min_delta if self.objective_type == MAXIMIZE else -self.min_delta
        self.stopped = not strictly_better(recent, before + delta, self.objective_type)
        return self.stopped
