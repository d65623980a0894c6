"""What the early-stopping rules share: reading checked settings, best-so-far values, and the
`min_trials_required` / `start_step` settings of medianstop and percentile."""
from __future__ import annotations

import math
from typing import Callable, Iterable, Mapping

from kubetune.algorithms._checks import (
    EARLY_STOPPING_PATH,
    AlgorithmContext,
    Check,
    above,
    at_least,
    number_setting,
)
from kubetune.experiment.access import as_list
from kubetune.experiment.errors import Problem, warning
from kubetune.experiment.types import Experiment
from kubetune.results import MAXIMIZE, check_objective_type


def checked_settings(name: str, check: Check, settings: Mapping[str, object] | None) -> dict[str, str]:
    """The settings as a name -> text dict after the rule's own check (what `kubetune validate`
    reports); ValueError naming the field on the first error."""
    pairs = tuple((str(k), str(v)) for k, v in (settings or {}).items())
    errors = [p for p in check(AlgorithmContext(name, pairs, {}, EARLY_STOPPING_PATH)) if p.is_error]
    if errors:
        raise ValueError(str(errors[0]))
    return dict(pairs)


def best(values: Iterable[float | str], objective_type: str) -> float | None:
    """The best finite value (max for maximize, min for minimize), as Katib's sidecar compares;
    None when there is none. A text (a succeeded trial's history may hold one, e.g. a DARTS
    genotype) is no value."""
    finite = [x for v in values if (x := _number(v)) is not None and math.isfinite(x)]
    if not finite:
        return None
    return max(finite) if check_objective_type(objective_type) == MAXIMIZE else min(finite)


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def strictly_better(a: float, b: float, objective_type: str) -> bool:
    return a > b if objective_type == MAXIMIZE else a < b


def min_trials_rules(ctx: AlgorithmContext) -> dict[str, Callable[[int], list[Problem]]]:
    """The rules (for settings_table) of `min_trials_required` (int > 0) and `start_step` (int >= 1)."""
    return {
        "min_trials_required": lambda i: number_setting(ctx, i, "int", above(0), "an integer > 0"),
        "start_step": lambda i: number_setting(ctx, i, "int", at_least(1), "an integer >= 1"),
    }


def early_stopping_setting(exp: Experiment, name: str) -> object:
    """The raw value of one spec.earlyStopping setting (later duplicates win); None when unset."""
    es = exp.spec.get("earlyStopping") or {}
    settings = {s["name"]: s.get("value") for s in as_list(es.get("algorithmSettings"))
                if isinstance(s, dict) and isinstance(s.get("name"), str)}
    return settings.get(name)


def lint_min_trials(exp: Experiment, algorithm: str, need: int) -> list[Problem]:
    """A rule that needs more succeeded trials than the budget allows never fires: a warning."""
    max_trials = exp.spec.get("maxTrialCount")
    if isinstance(max_trials, int) and need >= max_trials:
        return [warning("spec.earlyStopping.algorithmSettings", f"{algorithm} needs {need} succeeded "
                        f"trials before it stops anything, but maxTrialCount is {max_trials}",
                        "lower min_trials_required (default 3)")]
    return []
