"""Helpers for the search-space tests: parameters, an independent domain check, a loop that asks a
suggester and finishes its trials."""
from __future__ import annotations

import math
import random
from typing import Callable

from kubetune.algorithms import TrialView
from kubetune.experiment.space import Parameter


def p_cat(name: str, *values: str) -> Parameter:
    return Parameter(name, "categorical", values=tuple(values))


def p_int(name: str, lo: int, hi: int, step: int | None = None, dist: str = "uniform") -> Parameter:
    return Parameter(name, "int", lo, hi, step, distribution=dist)


def p_double(name: str, lo: float, hi: float, step: float | None = None, dist: str = "uniform") -> Parameter:
    return Parameter(name, "double", lo, hi, step, distribution=dist)


def in_domain(param: Parameter, value: str, hyperopt: bool = False) -> bool:
    """Is `value` a value Katib would accept for `param` (listed, in bounds, on the step grid).
    `hyperopt` (random, tpe): a step quantises as Katib's hyperopt does, round(x / step) * step,
    a multiple of the step from 0 between round(low / step) * step and round(max / step) * step."""
    if param.type in ("categorical", "discrete"):
        return value in param.values
    try:
        number = int(value) if param.type == "int" else float(value)
    except ValueError:
        return False
    if not math.isfinite(number):
        return False
    low = param.min
    if param.distribution == "logUniform":
        low = max(1 if param.type == "int" else 1e-10, param.min)
    step = param.step if param.type == "double" else (param.step or 1)
    origin, high, slack = param.min, param.max, 0.0
    if hyperopt and step is not None:
        origin, low, high, slack = 0.0, round(low / step) * step, round(high / step) * step, 1e-9
    if not low - slack <= number <= high + slack:
        return False
    if step is None:
        return True
    k = (number - origin) / step
    return abs(k - round(k)) < 1e-9


def drive(suggester, rounds: int, batch: int, score: Callable[[dict[str, str]], float],
          rng: random.Random | None = None) -> list[TrialView]:
    """Ask `rounds` batches; every trial succeeds with `score(assignments)` (a few fail)."""
    rng = rng or random.Random(0)
    views: list[TrialView] = []
    for _ in range(rounds):
        for s in suggester.suggest(batch, views):
            state = "Failed" if rng.random() < 0.1 else "Succeeded"
            value = score(s.assignments) if state == "Succeeded" else None
            views.append(TrialView(f"t{len(views)}", dict(s.assignments), state, value, {}, {}))
    return views
