"""Numbers for people: the one formatting rule of every human-facing output (start lines, tables,
`best`, `status`, the pipeline's report). JSON and the state keep exact values; a person reads
`lr=0.0001227`, not `lr=0.00012272880785758138`.

    human(0.00012272880785758138)  -> "0.0001227"
    human("0.7247953074960841")    -> "0.7248"      (assignment strings too)
    human("64")                    -> "64"          (integers and text stay as they are)
    human_assignments({"lr": "0.000122728"})  -> "lr=0.0001227"

Bottom layer: imports nothing from kubetune.
"""
from __future__ import annotations

import math
import re
from typing import Any, Mapping

DIGITS = 4  # significant digits shown to people
_INTEGER = re.compile(r"[+-]?\d+")
INACTIVE = "(inactive)"


def human(value: Any, digits: int = DIGITS) -> str:
    """`value` with at most `digits` significant digits when it is a non-integer number (a float
    or a string that parses as one); integers, text and None ("-") otherwise unchanged."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value, digits)
    text = str(value)
    stripped = text.strip()
    if _INTEGER.fullmatch(stripped):
        return text
    try:
        number = float(stripped)
    except ValueError:
        return text
    if not stripped or stripped.lower() in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity"):
        return text
    return _float(number, digits)


def _float(value: float, digits: int) -> str:
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if value == int(value) and abs(value) < 10 ** digits:
        return str(int(value))  # 3.0 -> "3", but 123456789.0 -> "1.235e+08"
    return f"{value:.{digits}g}"


def human_assignments(assignments: Mapping[str, Any], inactive: set[str] | frozenset[str] = frozenset(),
                      sep: str = " ") -> str:
    """`name=value` pairs for a start line or a table cell; inactive (conditional) parameters read
    `name=(inactive)` instead of their placeholder value."""
    return sep.join(f"{k}={INACTIVE if k in inactive else human(v)}" for k, v in assignments.items())


def signed(value: float | None, digits: int = DIGITS) -> str:
    """A difference with its sign: +0.0278, -0.003, ±0 for none."""
    if value is None:
        return "-"
    if value == 0:
        return "±0"
    return ("+" if value > 0 else "") + human(float(value), digits)
