"""From metric logs to a trial's observation, and the goal (katib-semantics 5.6, 5.8).

Katib compares values with Go's strconv.ParseFloat, so a value such as " 0.5" (JSON collector,
untrimmed) or "1e400" (out of range) is not a number here either. The objective value its metric
strategy selects (5.7) and the best trial (7.3) are kubetune.results' (objective_result,
optimal_trial); the engine keeps a running trial's aggregates in trialmetrics.TrialMetrics. An
objective reported as text (a DARTS genotype) is an observation as in Katib: the trial is Succeeded,
its min and max stay "unavailable" and latest keeps the text; goals compare numbers only.
"""
from __future__ import annotations

from typing import Mapping, Sequence

from kubetune.gocompat.strconv import go_parse_float
from kubetune.results import MINIMIZE, UNAVAILABLE, check_objective_type

from .metrics.report import ZERO_TIME, katib_time_ns

Observation = dict[str, dict[str, str]]
ZERO_MICROS = katib_time_ns(ZERO_TIME) // 1000


class _Metric:
    """One metric's running min / max / latest; positions are (microseconds, report index)."""

    __slots__ = ("first_micros", "first_text", "first_nan", "min", "min_micros", "min_text",
                 "max", "max_micros", "max_text", "latest_micros", "latest_text")

    def __init__(self) -> None:
        self.first_micros = self.min = self.max = self.latest_micros = None
        self.first_text = self.min_text = self.max_text = self.latest_text = UNAVAILABLE
        self.first_nan = False
        self.min_micros = self.max_micros = 0

    def result(self) -> dict[str, str]:
        if self.first_nan:  # Go: NaN as the first number in DB order sticks as min and max
            return {"min": self.first_text, "max": self.first_text, "latest": self.latest_text}
        return {"min": self.min_text, "max": self.max_text, "latest": self.latest_text}


class ObservationBuilder:
    """Trial.status.observation as Katib's trial controller builds it (getMetrics), one entry per
    name in `metric_names` (the metricStrategies names: objective first, then additional), computed
    as the logs arrive (`add`), in report order, in O(metrics) memory: what Katib computes from the
    DB rows in time order, without keeping or sorting the rows.

    * min / max: over values that parse as floats, kept as their text; "unavailable" if none;
    * latest: the value with the greatest (microsecond) timestamp, the later row on ties; any
      text, including "unavailable" or "".

    In DB order (time, then report order) the first number sets min and max and later ones
    replace them only when strictly smaller / greater; so min is the smallest non-NaN number
    (on ties the earliest in DB order), max likewise, unless the first number in DB order is NaN,
    which then stays both (NaN compares false). latest: the greatest time, the later row on ties.
    """

    def __init__(self, metric_names: Sequence[str]):
        self.names = list(metric_names)
        self._metrics = {name: _Metric() for name in self.names}
        self._last_timestamp = ZERO_TIME
        self._last_micros = ZERO_MICROS

    def micros(self, timestamp: str) -> int:
        """The DB's microsecond time of a timestamp (MetricsCollectionError if Katib's DB rejects it)."""
        if timestamp == self._last_timestamp:
            return self._last_micros
        micros = ZERO_MICROS if timestamp == ZERO_TIME else katib_time_ns(timestamp) // 1000
        self._last_timestamp, self._last_micros = timestamp, micros
        return micros

    def add(self, name: str, value: str, timestamp: str) -> None:
        m = self._metrics.get(name)
        if m is None:
            return
        micros = self.micros(timestamp)
        number = go_parse_float(value)
        if number is not None:
            if m.first_micros is None or micros < m.first_micros:
                m.first_micros, m.first_text, m.first_nan = micros, value, number != number
            if number == number:  # NaN never replaces a bound
                if m.min is None or number < m.min or (number == m.min and micros < m.min_micros):
                    m.min, m.min_micros, m.min_text = number, micros, value
                if m.max is None or number > m.max or (number == m.max and micros < m.max_micros):
                    m.max, m.max_micros, m.max_text = number, micros, value
        if m.latest_micros is None or micros >= m.latest_micros:
            m.latest_micros, m.latest_text = micros, value

    def seen(self, name: str) -> bool:
        """Whether any log of `name` (one of metric_names) was added."""
        return self._metrics[name].latest_micros is not None

    def observation(self) -> Observation:
        return {name: m.result() for name, m in self._metrics.items()}


def has_observation(obs: Mapping[str, Mapping[str, str]], objective_name: str) -> bool:
    """Katib's isTrialObservationAvailable: the objective's latest is not "unavailable". A
    succeeded workload without it becomes MetricsUnavailable."""
    metric = obs.get(objective_name)
    return metric is not None and metric.get("latest", UNAVAILABLE) != UNAVAILABLE


def goal_reached(value: float | None, goal: float | None, objective_type: str) -> bool:
    """minimize: value <= goal; maximize: value >= goal (5.8). No goal or no value: False."""
    if goal is None or value is None:
        return False
    return value <= goal if check_objective_type(objective_type) == MINIMIZE else value >= goal
