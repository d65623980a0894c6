"""Shared helpers for the suggestion-algorithm tests: parameters, a feasibility check written
independently of kubetune's own sampling code, and a tiny synchronous "engine" loop."""

from __future__ import annotations

import math
from typing import Callable, Sequence

from kubetune.algorithms import Suggestion, TrialView, check, service_errors
from kubetune.experiment import SpecError, experiment_from_dict
from kubetune.experiment.space import Parameter


def p_int(name: str, lo: int, hi: int, step: int | None = None, dist: str = "uniform") -> Parameter:
    return Parameter(name, "int", lo, hi, step, distribution=dist)


def p_double(name: str, lo: float, hi: float, step: float | None = None,
             dist: str = "uniform") -> Parameter:
    return Parameter(name, "double", lo, hi, step, distribution=dist)


def p_cat(name: str, *values: str) -> Parameter:
    return Parameter(name, "categorical", values=tuple(values))


def p_discrete(name: str, *values: str) -> Parameter:
    return Parameter(name, "discrete", values=tuple(values))


def every_kind() -> list[Parameter]:
    """One parameter of every type x distribution x step combination worth checking."""
    return [
        p_int("i_uni", -3, 17),
        p_int("i_uni_step", 2, 23, 4),  # 23 is not on the grid: max on-grid is 22
        p_int("i_log", 1, 1000, dist="logUniform"),
        p_int("i_log_zero", 0, 50, dist="logUniform"),  # Katib's optuna service clamps min to 1
        p_int("i_log_step", 5, 500, 5, dist="logUniform"),
        p_int("i_norm", 10, 20, dist="normal"),
        p_int("i_norm_step", 0, 30, 3, dist="normal"),
        p_int("i_lognorm", 1, 4096, dist="logNormal"),
        p_double("d_uni", -1.5, 2.5),
        p_double("d_uni_step", 0.0, 1.0, 0.1),
        p_double("d_log", 1e-5, 1e-1, dist="logUniform"),
        p_double("d_log_step", 0.01, 1.0, 0.01, dist="logUniform"),
        p_double("d_norm", -2.0, 6.0, dist="normal"),
        p_double("d_norm_step", 0.0, 1.0, 0.05, dist="normal"),
        p_double("d_lognorm", 0.001, 10.0, dist="logNormal"),
        p_cat("cat", "sgd", "adam", "rms prop"),
        p_discrete("disc", "1", "2", "4", "8"),
    ]


def numeric_only() -> list[Parameter]:
    return [p for p in every_kind() if p.type in ("int", "double")]


def in_feasible_space(param: Parameter, value: str, hyperopt: bool = False) -> bool:
    """Is `value` a string Katib would accept for `param`: in bounds, on the step grid, listed.
    `hyperopt`: as Katib's hyperopt service draws (random, tpe): normal/logNormal any value (>= 0
    for logNormal); with a step (which an int always has) every distribution is quantised as
    round(x / step) * step, a multiple of the step counted from 0 (hp.qnormal, hp.quniform,
    hp.qloguniform), and a quantised uniform/logUniform lies in [round(min / step) * step,
    round(max / step) * step] (min raised to 1 for an int logUniform, 1e-10 for a double one)."""
    if param.type in ("categorical", "discrete"):
        return value in param.values
    number = _katib_number(param, value)
    if number is None:
        return False
    step = param.step or 1 if param.type == "int" else param.step
    low = param.min
    if param.distribution == "logUniform":
        low = max(1 if param.type == "int" else 1e-10, param.min)
    origin, high, slack = param.min, param.max, 0.0
    if hyperopt and step is not None:  # round(0.35 / 0.05) * 0.05 is 0.35000000000000003
        origin, low, high, slack = 0.0, round(low / step) * step, round(high / step) * step, 1e-9
    if hyperopt and param.distribution in ("normal", "logNormal"):
        if param.distribution == "logNormal" and number < 0:
            return False
    elif not low - slack <= number <= high + slack:
        return False
    if step is None:
        return True
    k = (number - origin) / step
    return abs(k - round(k)) < 1e-9


def _katib_number(param: Parameter, value: str) -> float | None:
    """An int parameter's value must be an integer string, a double's Katib's shortest repr."""
    if param.type == "int":
        try:
            return int(value)
        except ValueError:
            return None
    number = float(value)
    return number if math.isfinite(number) and repr(number) == value else None


def assert_in_domain(parameters: Sequence[Parameter], items: Sequence[Suggestion | TrialView],
                     hyperopt: bool = False) -> None:
    """Every assignment of every suggestion/trial names each parameter once, inside its domain
    (`hyperopt`: see in_feasible_space)."""
    for item in items:
        assert set(item.assignments) == {p.name for p in parameters}
        for p in parameters:
            value = item.assignments[p.name]
            assert isinstance(value, str)
            assert in_feasible_space(p, value, hyperopt), f"{p.name}={value!r} outside {p}"


def view(name: str, assignments: dict[str, str], state: str = "Succeeded",
         objective: float | None = None, labels: dict[str, str] | None = None,
         intermediate: Sequence[float] = ()) -> TrialView:
    metrics = {} if objective is None else {"obj": objective}
    return TrialView(name=name, assignments=dict(assignments), state=state, objective=objective,
                     metrics=metrics, labels=dict(labels or {}), intermediate=tuple(intermediate))


def run(suggester, objective: Callable[[dict[str, str]], float], n_trials: int,
        batch: int = 1, trials: list[TrialView] | None = None) -> list[TrialView]:
    """A synchronous engine: ask for `batch` assignments, run them all, repeat."""
    trials = list(trials or [])
    while len(trials) < n_trials:
        suggestions = suggester.suggest(min(batch, n_trials - len(trials)), trials)
        if not suggestions:
            break
        for s in suggestions:
            trials.append(view(f"t{len(trials)}", s.assignments, "Succeeded",
                               objective(s.assignments), s.labels))
    return trials


def errors_of(doc: dict) -> list:
    """The errors loading `doc` raises with the services' settings checks ([] when it loads): the
    webhook rules' and stage B's together, as `kubetune validate` reports them."""
    try:
        experiment_from_dict(doc, "test.yaml", service_checks=service_errors)
    except SpecError as exc:
        return exc.errors
    return []


def warnings_of(doc: dict) -> list:
    """Every lint warning (generic and algorithm-aware) for a document that must load."""
    return check(experiment_from_dict(doc, "test.yaml"))[1]
