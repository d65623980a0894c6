"""The Pareto front of a multi-objective experiment (kubetune.io/objectives).

A trial's value of each objective metric is the one its metric strategy selects from the trial's
observation (Katib's rule for the objective, 5.7), so the front agrees with what NSGA-II was told.
Only Succeeded trials with a number for every objective take part. Trial `a` dominates `b` when
it is at least as good on every objective and strictly better on one; the front is the trials no
other trial dominates, in creation order (trials with identical values are all on it).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from kubetune.experiment.objectives import Objectives
from kubetune.results import TrialRow

from kubetune.results import objective_value


@dataclass(frozen=True)
class Scored:
    trial: TrialRow
    values: tuple[float, ...]  # one per objective metric, in Objectives order


def objective_values(trial: TrialRow, objectives: Objectives, strategies: Mapping[str, str]
                     ) -> tuple[float, ...] | None:
    """The trial's strategy-selected value of each objective metric; None if one is missing."""
    values = []
    for metric in objectives.metrics:
        value = objective_value(trial.observation, metric, strategies.get(metric, "latest"))
        if value is None:
            return None
        values.append(value)
    return tuple(values)


def dominates(a: Sequence[float], b: Sequence[float], directions: Sequence[str]) -> bool:
    """a is at least as good as b on every objective and strictly better on at least one."""
    better = False
    for x, y, direction in zip(a, b, directions):
        if direction == "minimize":
            x, y = -x, -y
        if x < y:
            return False
        if x > y:
            better = True
    return better


def scored_trials(trials: Iterable[TrialRow], objectives: Objectives, strategies: Mapping[str, str]) -> list[Scored]:
    out = []
    for t in trials:
        if t.state != "Succeeded":
            continue
        values = objective_values(t, objectives, strategies)
        if values is not None:
            out.append(Scored(t, values))
    return out


def pareto_front(trials: Iterable[TrialRow], objectives: Objectives, strategies: Mapping[str, str]) -> list[Scored]:
    """The non-dominated succeeded trials, in creation order."""
    scored = scored_trials(trials, objectives, strategies)
    return [s for s in scored
            if not any(dominates(o.values, s.values, objectives.directions) for o in scored if o is not s)]


def strategies_of(spec: Mapping) -> dict[str, str]:
    """metric name -> strategy from a (defaulted) spec's objective.metricStrategies."""
    objective = spec.get("objective") or {}
    out: dict[str, str] = {}
    for s in objective.get("metricStrategies") or []:
        if isinstance(s, dict) and isinstance(s.get("name"), str) and s["name"] not in out:
            out[s["name"]] = s.get("value") or ""
    return out
