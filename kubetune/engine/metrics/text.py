"""Katib's TEXT parser (StdOut collector, File collector with format TEXT; katib-semantics 5.2)."""
from __future__ import annotations

import os
from typing import Iterable, Iterator, Sequence

from kubetune.gocompat.rfc3339 import parse_go_time
from kubetune.gocompat.strings import go_trim_space

from .files import read_text
from .filters import default_filter_pairs, filter_matchers
from .report import ZERO_TIME, MetricLog, check_metric_names


def line_timestamp(line: str) -> str:
    """The first space-separated token if Go parses it as RFC3339Nano, else ZERO_TIME."""
    token, space, _ = line.partition(" ")
    if space and parse_go_time(token) is not None:
        return token
    return ZERO_TIME


class TextMetricParser:
    """Katib's TEXT parser, fed line by line while the trial runs; `logs` accumulates everything
    collected, in Katib's report order (per line: filter by filter, match by match).

    feed_line() takes one line of output (a trailing "\\n" is dropped; "\\r" is kept, as Katib
    splits on "\\n" only). feed() takes raw chunks and keeps an unfinished last line until more
    output or close(). Use one or the other for a given stream."""

    def __init__(self, metric_names: Sequence[str], filters: Sequence[str] | None = None):
        self.metric_names = check_metric_names(metric_names)
        self._wanted = set(self.metric_names)
        self._matchers = filter_matchers(filters)
        # the default filter's names and values hold no spaces: no trimming needed (the common case)
        self._default_only = self._matchers == [default_filter_pairs]
        self._partial = ""
        self.logs: list[MetricLog] = []

    def parse_line(self, line: str) -> list[MetricLog]:
        """The logs of one line, without recording them."""
        if not any(name in line for name in self.metric_names):
            return []
        if self._default_only:
            return self.logs_of(line, default_filter_pairs(line))
        return self.logs_of(line, self.pairs(line))

    def pairs(self, line: str) -> Iterator[tuple[str, str]]:
        """Every (name, value) match of every filter on the line, both trimmed, whatever the name
        (Katib's early-stopping sidecar converts each of them; the report keeps requested names)."""
        if self._default_only:
            yield from default_filter_pairs(line)
            return
        for pairs in self._matchers:
            for raw_name, raw_value in pairs(line):
                yield go_trim_space(raw_name), go_trim_space(raw_value)

    def logs_of(self, line: str, pairs: Iterable[tuple[str, str]]) -> list[MetricLog]:
        """The logs of a line from its `pairs`: the requested names, stamped with the line's time."""
        found = [(name, value) for name, value in pairs if name in self._wanted]
        if not found:
            return []
        timestamp = line_timestamp(line)
        return [MetricLog(name, value, timestamp) for name, value in found]

    def feed_line(self, line: str) -> list[MetricLog]:
        if line.endswith("\n"):
            line = line[:-1]
        new = [log for part in line.split("\n") for log in self.parse_line(part)]
        self.logs.extend(new)
        return new

    def feed(self, chunk: str) -> list[MetricLog]:
        *complete, self._partial = (self._partial + chunk).split("\n")
        new = [log for part in complete for log in self.parse_line(part)]
        self.logs.extend(new)
        return new

    def close(self) -> list[MetricLog]:
        """End of output: the unfinished last line given to feed() counts too (Katib parses the
        whole file, last line included)."""
        rest, self._partial = self._partial, ""
        new = self.parse_line(rest) if rest else []
        self.logs.extend(new)
        return new


def parse_text_file(path: str | os.PathLike, metric_names: Sequence[str],
                    filters: Sequence[str] | None = None) -> list[MetricLog]:
    """The logs Katib collects from a whole TEXT metrics file (before `finalize`)."""
    parser = TextMetricParser(metric_names, filters)
    for line in read_text(path).split("\n"):
        parser.feed_line(line)
    return parser.logs
