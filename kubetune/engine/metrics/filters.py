"""Katib's metric filters: the regexes that pull (name, value) pairs out of a TEXT line.

The sidecar applies every filter with Go's find-all loop and takes groups 1 and 2 of each match;
with no filter in the spec it uses DEFAULT_FILTER. Custom filters are Go RE2 regexes, run through
kubetune.gocompat.re2 (the same translator `kubetune validate` checks them with).
"""
from __future__ import annotations

import re
from typing import Callable, Iterable, Iterator, Sequence

from kubetune.gocompat.re2 import compile_go_regex, go_find_all_submatch

# Katib's pkg/metricscollector/v1beta1/common/const.go, quoted exactly.
DEFAULT_FILTER = r"([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?)"


# The default filter, matched in linear time with the same results as the regex (Python's
# backtracking would be quadratic on long word runs such as base64 blobs): a match can only start
# at the start of a run of [\w|-] characters and only if the run is followed by \s*=.
_NAME_RUN = re.compile(r"[0-9A-Za-z_|-]+")
_AFTER_NAME = re.compile(r"[\t\n\f\r ]*=[\t\n\f\r ]*([+-]?[0-9]*(?:\.[0-9]+)?(?:[Ee][+-]?[0-9]+)?)")


def default_filter_pairs(line: str) -> Iterator[tuple[str, str]]:
    pos = 0
    while True:
        run = _NAME_RUN.search(line, pos)
        if run is None:
            return
        after = _AFTER_NAME.match(line, run.end())
        if after is None:
            pos = run.end()
            continue
        yield run.group(), after.group(1)
        pos = after.end()


Matcher = Callable[[str], Iterable[tuple[str, str]]]


def _regex_pairs(regex: re.Pattern[str]) -> Matcher:
    def pairs(line: str) -> Iterator[tuple[str, str]]:
        for groups in go_find_all_submatch(regex, line):
            if len(groups) >= 3:  # Katib skips regexes with fewer than two groups
                yield groups[1], groups[2]
    return pairs


def sidecar_filters(filters: Sequence[str] | None) -> list[str]:
    """The filter list the sidecar ends up with: the webhook joins the spec's filters with ';'
    into one `-f` flag and the sidecar splits it again, so a ';' inside a regex splits it, and a
    single empty filter means "no filters" (the default one is used)."""
    if not filters:
        return []
    joined = ";".join(filters)
    return joined.split(";") if joined else []


def filter_matchers(filters: Sequence[str] | None) -> list[Matcher]:
    """One (name, value) extractor per filter of the sidecar, the default filter when none."""
    patterns = sidecar_filters(filters) or [DEFAULT_FILTER]
    return [default_filter_pairs if p == DEFAULT_FILTER else _regex_pairs(compile_go_regex(p))
            for p in patterns]
