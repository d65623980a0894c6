"""`percentile` (kubetune; Optuna's PercentilePruner, evaluated as Katib's sidecar does).

Settings: `percentile` (the share of trials kept, a number in (0, 100), default 50),
`min_trials_required` (int > 0, default 3) and `start_step` (int >= 1, default 4), as
medianstop's; any other name is rejected.

Rule (`compute_rule`, frozen into each trial at creation like medianstop's): for every
Succeeded trial, its best objective value among its first `start_step` reports; once at least
`min_trials_required` trials have succeeded, the threshold is the (100 - percentile)-th
percentile of those values for maximize (the percentile-th for minimize; numpy's linear
interpolation), compared `less` / `greater`. Katib's sidecar (rules.RuleEvaluator) checks it once,
at the trial's start_step-th report, against the trial's best value so far: a trial outside the
best `percentile` per cent of the finished trials at that step is stopped. `percentile: 50` is
the median stopping rule (Golovin et al., "Google Vizier", 2017) on best-so-far values; Katib's
medianstop compares with the mean of the trials' running averages instead. The rule is an
ordinary Katib rule, so a cluster's metrics sidecar evaluates it as well.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from kubetune.algorithms._checks import AlgorithmContext, number_setting, settings_table
from kubetune.algorithms.earlystopping._common import (
    best,
    checked_settings,
    early_stopping_setting,
    lint_min_trials,
    min_trials_rules,
)
from kubetune.algorithms.earlystopping.rules import Rule
from kubetune.experiment.errors import Problem
from kubetune.experiment.types import Experiment
from kubetune.results import MAXIMIZE, check_objective_type

NAME = "percentile"
DEFAULTS = {"percentile": 50.0, "min_trials_required": 3, "start_step": 4}


def check_percentile(ctx: AlgorithmContext) -> list[Problem]:
    table = {
        "percentile": lambda i: number_setting(ctx, i, "float", lambda v: 0 < v < 100, "a number in (0, 100)"),
        **min_trials_rules(ctx),
    }
    return settings_table(ctx, table)


def lint_percentile(exp: Experiment) -> list[Problem]:
    try:
        need = int(early_stopping_setting(exp, "min_trials_required") or DEFAULTS["min_trials_required"])
    except (TypeError, ValueError):
        return []
    return lint_min_trials(exp, "percentile", need)


def compute_rule(succeeded: Sequence[Sequence[float]], objective_type: str,
                 settings: Mapping[str, object] | None = None, *, metric_name: str = "") -> Rule | None:
    """The rule for trials created now, or None while fewer than min_trials_required succeeded."""
    check_objective_type(objective_type)
    s = checked_settings(NAME, check_percentile, settings)
    keep = float(s.get("percentile", DEFAULTS["percentile"]))
    need = int(s.get("min_trials_required", DEFAULTS["min_trials_required"]))
    start = int(s.get("start_step", DEFAULTS["start_step"]))
    values = [v for curve in succeeded if (v := best(list(curve)[:start], objective_type)) is not None]
    if len(values) < need:
        return None
    maximize = objective_type == MAXIMIZE
    threshold = float(np.percentile(values, 100.0 - keep if maximize else keep))
    return Rule(metric_name, threshold, "less" if maximize else "greater", start)
