"""`successivehalving` (kubetune; Optuna's SuccessiveHalvingPruner, the pruning form of ASHA).

Settings: `min_resource` (int >= 1, default 1): the first rung, in reports of the objective;
`eta` (int >= 2, default 3): the reduction factor; `min_early_stopping_rate` (int >= 0, default
0); `min_trials_required` (int >= 1, default eta): how many trials (this one included) must have
reached a rung before anything is stopped there. Any other name is rejected.

Rungs are the report counts min_resource * eta^(min_early_stopping_rate + k), k = 0, 1, ...
When a trial reports its value at a rung, its best value so far is compared with the best values
so far at that report of every other trial of the experiment that got there (running, finished
or stopped): the trial goes on if it is among the best max(1, floor(n / eta)) of the n values,
and is stopped otherwise. The decision uses the other trials' curves at that moment (asynchronous,
as Optuna's pruner and ASHA are), so the rule is evaluated by the local engine as values arrive
(`RungEvaluator`) and has no frozen Katib form: on a Katib cluster, whose metrics sidecar only
compares with a fixed threshold, it stops nothing (kubetune lint says so).
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

from kubetune.algorithms._checks import AlgorithmContext, at_least, non_negative_int, number_setting, settings_table
from kubetune.algorithms.earlystopping._common import best, checked_settings, strictly_better
from kubetune.algorithms.earlystopping.rules import Rule
from kubetune.experiment.errors import Problem, warning
from kubetune.experiment.types import Experiment

NAME = "successivehalving"
LOCAL_ONLY = ("is evaluated by kubetune's local engine as values arrive; Katib's metrics sidecar only compares "
              "with a fixed threshold, so on a Katib cluster it stops nothing")


def check_successive_halving(ctx: AlgorithmContext) -> list[Problem]:
    table = {
        "min_resource": lambda i: number_setting(ctx, i, "int", at_least(1), "an integer >= 1"),
        "eta": lambda i: number_setting(ctx, i, "int", at_least(2), "an integer >= 2"),
        "min_early_stopping_rate": non_negative_int(ctx),
        "min_trials_required": lambda i: number_setting(ctx, i, "int", at_least(1), "an integer >= 1"),
    }
    return settings_table(ctx, table)


def lint_local_only(exp: Experiment) -> list[Problem]:
    name = (exp.spec.get("earlyStopping") or {}).get("algorithmName")
    return [warning("spec.earlyStopping.algorithmName", f"{name} {LOCAL_ONLY}",
                    "on a cluster use percentile or medianstop (threshold rules), or stop inside the trial")]


def compute_rule(succeeded: Sequence[Sequence[float]], objective_type: str,
                 settings: Mapping[str, object] | None = None, *, metric_name: str = "") -> Rule | None:
    """No frozen rule: the decision needs the other trials' values when this one reaches a rung."""
    checked_settings(NAME, check_successive_halving, settings)
    return None


class RungEvaluator:
    """feed(value) -> True when the trial is to be stopped at this report (once)."""

    def __init__(self, settings: Mapping[str, object] | None, objective_type: str, trial: str,
                 curves: Callable[[], Mapping[str, Sequence[float]]]):
        s = checked_settings(NAME, check_successive_halving, settings)
        self.eta = int(s.get("eta", 3))
        self.first = int(s.get("min_resource", 1)) * self.eta ** int(s.get("min_early_stopping_rate", 0))
        self.min_trials = int(s.get("min_trials_required", self.eta))
        self.objective_type = objective_type
        self.trial = trial
        self.curves = curves
        self.values: list[float] = []
        self.stopped = False

    def _is_rung(self, step: int) -> bool:
        r = self.first
        while r < step:
            r *= self.eta
        return r == step

    def feed(self, value: float) -> bool:
        if self.stopped:
            return False
        self.values.append(float(value))
        step = len(self.values)
        if not self._is_rung(step):
            return False
        mine = best(self.values, self.objective_type)
        if mine is None:
            self.stopped = True  # nothing finite reported: not among the best
            return True
        others = [b for name, curve in self.curves().items() if name != self.trial and len(curve) >= step
                  and (b := best(list(curve)[:step], self.objective_type)) is not None]
        n = len(others) + 1
        if n < self.min_trials:
            return False
        ahead = sum(strictly_better(o, mine, self.objective_type) for o in others)
        self.stopped = ahead >= max(1, n // self.eta)
        return self.stopped
