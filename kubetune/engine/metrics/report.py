"""What a collection yields (MetricLog) and the report Katib stores from it (katib-semantics 5.6)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from kubetune.gocompat.rfc3339 import parse_go_time
from kubetune.results import UNAVAILABLE

# time.Time{}.UTC().Format(time.RFC3339): the timestamp of a line without a parsable one.
ZERO_TIME = "0001-01-01T00:00:00Z"


class MetricsCollectionError(ValueError):
    """Katib's collector would fail here and report nothing (bad JSON line, unstorable timestamp)."""


@dataclass(frozen=True)
class MetricLog:
    """One collected value, as Katib stores it: the value is the text that was matched (never
    normalised, may be "" or "unavailable"), the timestamp an RFC3339 string or ZERO_TIME."""

    name: str
    value: str
    timestamp: str = ZERO_TIME


def katib_time_ns(timestamp: str) -> int:
    """The instant of a stored MetricLog timestamp; MetricsCollectionError if Katib's DB would
    reject it (it parses every timestamp with RFC3339Nano before the insert)."""
    ns = parse_go_time(timestamp)
    if ns is None:
        raise MetricsCollectionError(
            f"metric timestamp {timestamp!r} is not RFC3339Nano; Katib's DB manager rejects the report")
    return ns


def check_metric_names(metric_names: Sequence[str]) -> list[str]:
    if isinstance(metric_names, str) or not metric_names or not all(isinstance(n, str) for n in metric_names):
        raise ValueError(f"metric_names: expected a non-empty list of metric names (objective first), "
                         f"got {metric_names!r}")
    return list(metric_names)


def finalize(logs: Iterable[MetricLog], objective_name: str) -> list[MetricLog]:
    """The report Katib stores: the logs as collected, or, if none is the objective metric, the
    single log {objective, "unavailable", zero time} (additional metrics are dropped too).
    Raises MetricsCollectionError for a timestamp Katib's DB would reject (e.g. a numeric JSON
    timestamp past year 9999): the collector then reports nothing."""
    logs = list(logs)
    if not any(log.name == objective_name for log in logs):
        return [MetricLog(objective_name, UNAVAILABLE, ZERO_TIME)]
    for log in logs:
        katib_time_ns(log.timestamp)
    return logs
