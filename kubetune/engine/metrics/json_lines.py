"""Katib's JSON-lines parser (File collector with format JSON; katib-semantics 5.3)."""
from __future__ import annotations

import json
import math
import os
from typing import Sequence

from kubetune.gocompat.rfc3339 import NS_PER_SECOND, format_rfc3339nano, parse_go_time
from kubetune.gocompat.strconv import go_format_float_f, go_parse_int64

from .files import read_text
from .report import ZERO_TIME, MetricLog, MetricsCollectionError, check_metric_names

TIMESTAMP_JSON_KEY = "timestamp"


def _json_number(text: str) -> float:
    value = float(text)  # Go decodes every number into a float64
    if math.isinf(value):
        raise ValueError(f"number {text} is out of float64 range")
    return value


def _json_constant(name: str) -> float:
    raise ValueError(f"invalid character {name[0]!r} looking for beginning of value")


def float_timestamp(seconds: float) -> str | None:
    """Katib's reading of a numeric JSON timestamp: FormatFloat(x, 'f', -1) split at '.', the
    integer part as Unix seconds and the fraction digits as an integer count of nanoseconds
    (1638422847.28721 -> ...:27.000028721Z). None where Katib falls back to the zero time."""
    whole, _, frac = go_format_float_f(seconds).partition(".")
    sec = go_parse_int64(whole)
    nsec = go_parse_int64(frac) if frac else 0
    if sec is None or nsec is None:
        return None
    return format_rfc3339nano(sec * NS_PER_SECOND + nsec)  # time.Unix(sec, nsec) normalises nsec


def json_timestamp(obj: dict) -> str:
    if TIMESTAMP_JSON_KEY not in obj:
        return ZERO_TIME
    value = obj[TIMESTAMP_JSON_KEY]
    if isinstance(value, str):
        return value if value and parse_go_time(value) is not None else ZERO_TIME
    if isinstance(value, float):
        return float_timestamp(value) or ZERO_TIME
    return ZERO_TIME


class JsonMetricParser:
    """Katib's JSON-lines parser, line by line. A line that is not a JSON object (Go's
    json.Unmarshal into a map; `null` is accepted and yields nothing) raises
    MetricsCollectionError: Katib's collector fails and reports nothing at all."""

    def __init__(self, metric_names: Sequence[str], source: str = "<json>"):
        self.metric_names = check_metric_names(metric_names)
        self.source = source
        self.line_number = 0
        self.logs: list[MetricLog] = []

    def feed_line(self, line: str) -> list[MetricLog]:
        new = self.parse_line(line)
        self.logs.extend(new)
        return new

    def parse_line(self, line: str) -> list[MetricLog]:
        """The logs of one line, without recording them (MetricsCollectionError as feed_line)."""
        if line.endswith("\n"):
            line = line[:-1]
        self.line_number += 1
        if not line:
            return []
        try:
            obj = json.loads(line, parse_float=_json_number, parse_int=_json_number,
                             parse_constant=_json_constant)
        except (ValueError, RecursionError) as e:
            raise MetricsCollectionError(
                f"{self.source}:{self.line_number}: not a JSON object ({e}); Katib's collector fails on "
                f"any malformed line and reports no metrics: {line[:200]!r}") from e
        if obj is None:
            return []
        if not isinstance(obj, dict):
            raise MetricsCollectionError(
                f"{self.source}:{self.line_number}: expected a JSON object, found {type(obj).__name__}; "
                f"Katib's collector fails and reports no metrics: {line[:200]!r}")
        timestamp = json_timestamp(obj)
        return [MetricLog(name, obj[name], timestamp) for name in self.metric_names
                if isinstance(obj.get(name), str)]  # numbers are ignored: only JSON strings count


def parse_json_lines(source: str | os.PathLike, metric_names: Sequence[str]) -> list[MetricLog]:
    """The logs Katib collects from a JSON-lines metrics file (before `finalize`). `source` is
    the text itself, or a path given as a Path / os.PathLike."""
    if isinstance(source, os.PathLike):
        text, where = read_text(source), os.fspath(source)
    else:
        text, where = source, "<json>"
    parser = JsonMetricParser(metric_names, where)
    for line in text.split("\n"):
        parser.feed_line(line)
    return parser.logs
