"""From metric logs to a trial's observation, its objective value, the best trial and the goal
(katib-semantics 5.6, 5.7, 5.8, 7.3).

Katib compares values with Go's strconv.ParseFloat, so a value such as " 0.5" (JSON collector,
untrimmed) or "1e400" (out of range) is not a number here either; objective values that are text
take part in best-trial selection the way Katib's loop treats them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from kubetune.gocompat.strconv import go_parse_float
from kubetune.results import MINIMIZE, check_objective_type, is_better

from .metrics.report import UNAVAILABLE, MetricLog, katib_time_ns

STRATEGIES = ("min", "max", "latest")

Observation = dict[str, dict[str, str]]


def _db_rows(logs: Iterable[MetricLog]) -> list[tuple[int, MetricLog]]:
    keyed = [(katib_time_ns(log.timestamp) // 1000, i, log) for i, log in enumerate(logs)]
    keyed.sort(key=lambda k: (k[0], k[1]))
    return [(micros, log) for micros, _, log in keyed]


def db_ordered(logs: Iterable[MetricLog]) -> list[MetricLog]:
    """The logs in the order Katib's DB returns them: by time at the DB's microsecond precision
    (DATETIME(6); finer digits are cut), rows with equal times in the order they were reported."""
    return [log for _, log in _db_rows(logs)]


def objective_history(logs: Iterable[MetricLog], objective_name: str) -> list[float]:
    """A trial's objective values as an early-stopping service reads them from the DB: by time
    (microsecond precision, ties in report order), each converted with Python's float() (a value
    that is not a number makes Katib's medianstop service fail: ValueError here)."""
    values = []
    for log in db_ordered(log for log in logs if log.name == objective_name):
        try:
            values.append(float(log.value))
        except ValueError:
            raise ValueError(f"objective value {log.value!r} of metric {objective_name!r} is not a number; "
                             "Katib's medianstop service fails on it") from None
    return values


def observation(logs: Iterable[MetricLog], metric_names: Sequence[str]) -> Observation:
    """Trial.status.observation as Katib's trial controller builds it (getMetrics), one entry
    per name in `metric_names` (the metricStrategies names: objective first, then additional):

    * min / max: over values that parse as floats, kept as their text; "unavailable" if none;
    * latest: the value with the greatest (microsecond) timestamp, the later row on ties; any
      text, including "unavailable" or "".
    """
    result = {name: {"min": UNAVAILABLE, "max": UNAVAILABLE, "latest": UNAVAILABLE} for name in metric_names}
    bounds: dict[str, tuple[float, float]] = {}  # the floats of the stored min / max texts
    latest_time: dict[str, int] = {}
    for micros, log in _db_rows(log for log in logs if log.name in result):
        metric = result[log.name]
        number = go_parse_float(log.value)
        if number is not None:
            if log.name not in bounds:
                metric["min"] = metric["max"] = log.value
                bounds[log.name] = (number, number)
            elif number < bounds[log.name][0]:
                metric["min"] = log.value
                bounds[log.name] = (number, bounds[log.name][1])
            elif number > bounds[log.name][1]:
                metric["max"] = log.value
                bounds[log.name] = (bounds[log.name][0], number)
        if log.name not in latest_time or not latest_time[log.name] > micros:
            latest_time[log.name] = micros
            metric["latest"] = log.value
    return result


def has_observation(obs: Mapping[str, Mapping[str, str]], objective_name: str) -> bool:
    """Katib's isTrialObservationAvailable: the objective's latest is not "unavailable". A
    succeeded workload without it becomes MetricsUnavailable."""
    metric = obs.get(objective_name)
    return metric is not None and metric.get("latest", UNAVAILABLE) != UNAVAILABLE


def selected_value(obs: Mapping[str, Mapping[str, str]] | None, metric_name: str, strategy: str) -> str:
    """The text Katib selects by metric strategy (getObjectiveMetricValue): min or max, falling
    back to latest when that is "unavailable"; latest; anything else -> "unavailable"."""
    metric = (obs or {}).get(metric_name)
    if metric is None:
        return UNAVAILABLE
    if strategy in ("min", "max"):
        value = metric.get(strategy, UNAVAILABLE)
        return metric.get("latest", UNAVAILABLE) if value == UNAVAILABLE else value
    if strategy == "latest":
        return metric.get("latest", UNAVAILABLE)
    return UNAVAILABLE


def objective_value(obs: Mapping[str, Mapping[str, str]] | None, metric_name: str, strategy: str) -> float | None:
    """The selected value as a number; None when it is "unavailable" or not a float (use
    selected_value for the text, which Katib still ranks, see summarize_trials)."""
    text = selected_value(obs, metric_name, strategy)
    return None if text == UNAVAILABLE else go_parse_float(text)


def goal_reached(value: float | None, goal: float | None, objective_type: str) -> bool:
    """minimize: value <= goal; maximize: value >= goal (5.8). No goal or no value: False."""
    if goal is None or value is None:
        return False
    return value <= goal if check_objective_type(objective_type) == MINIMIZE else value >= goal


@dataclass(frozen=True)
class TrialsSummary:
    best_trial: str | None
    best_value: float | str | None
    goal_reached: bool


def summarize_trials(trials: Iterable[tuple[str, float | str | None]], objective_type: str,
                     goal: float | None = None) -> TrialsSummary:
    """Katib's updateTrialsSummary loop over trials in list order, each given as (name, selected
    objective value): a number, the selected text, or None / "unavailable" (skipped).

    The first numeric trial starts the best; a later one replaces it only if strictly better, so
    ties keep the earlier trial; the goal is checked against the running best. A value that is
    text but not a float makes that trial the best (the last such wins) without touching the
    running best value, so a numeric trial after it is compared with a stale best, or with 0
    when no numeric trial came first - Katib's order-dependent quirk, reproduced.
    """
    check_objective_type(objective_type)
    best_name: str | None = None
    best_raw: float | str | None = None
    best_value = 0.0
    reached = False
    for name, value in trials:
        if value is None or value == UNAVAILABLE:
            continue
        number = go_parse_float(value) if isinstance(value, str) else float(value)
        if number is None:
            best_name, best_raw = name, value
            continue
        if best_name is None:
            best_name, best_raw, best_value = name, value, number
        if is_better(number, best_value, objective_type):
            best_name, best_raw, best_value = name, value, number
        if goal_reached(best_value, goal, objective_type):
            reached = True
    return TrialsSummary(best_name, best_raw, reached)


def best_trial(trials: Iterable[tuple[str, float | str | None]], objective_type: str) -> str | None:
    """The name of the current optimal trial (7.3): the first strictly best; None if no trial
    has an objective value."""
    return summarize_trials(trials, objective_type).best_trial
