"""Go's strconv.ParseFloat / ParseInt / FormatFloat, as Katib applies them to metric values."""
from __future__ import annotations

import math
import re
from decimal import Decimal

_DEC_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_HEX_FLOAT = re.compile(r"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?[0-9]+")
_INF = re.compile(r"[+-]?(?:inf|infinity)", re.IGNORECASE | re.ASCII)
_NAN = re.compile(r"nan", re.IGNORECASE | re.ASCII)


def _underscore_ok(s: str) -> bool:
    """strconv.underscoreOK: '_' only between digits (a base prefix counts as a digit)."""
    saw = "^"
    i = 0
    if s[:1] in ("+", "-"):
        s = s[1:]
    hexa = False
    if len(s) >= 2 and s[0] == "0" and s[1].lower() in "box":
        i, saw, hexa = 2, "0", s[1].lower() == "x"
    while i < len(s):
        c = s[i]
        if "0" <= c <= "9" or (hexa and "a" <= c.lower() <= "f"):
            saw = "0"
        elif c == "_":
            if saw != "0":
                return False
            saw = "_"
        else:
            if saw == "_":
                return False
            saw = "!"
        i += 1
    return saw != "_"


def go_parse_float(text: str) -> float | None:
    """strconv.ParseFloat(text, 64); None where Go returns an error (syntax, or out of range:
    '1e400' is an error in Go, not +Inf). No surrounding spaces allowed."""
    if _DEC_FLOAT.fullmatch(text):
        value = float(text)
        return None if math.isinf(value) else value
    if _NAN.fullmatch(text):
        return math.nan
    if _INF.fullmatch(text):
        return -math.inf if text[0] == "-" else math.inf
    if "_" in text:
        if not _underscore_ok(text):
            return None
        text = text.replace("_", "")
    try:
        if _DEC_FLOAT.fullmatch(text):
            value = float(text)
        elif _HEX_FLOAT.fullmatch(text):
            value = float.fromhex(text)
        else:
            return None
    except OverflowError:
        return None
    return None if math.isinf(value) else value


def go_parse_int64(text: str) -> int | None:
    """strconv.ParseInt(text, 10, 64)."""
    if not re.fullmatch(r"[+-]?[0-9]+", text, re.ASCII):
        return None
    value = int(text)
    return value if -(1 << 63) <= value < (1 << 63) else None


def go_format_float_f(x: float) -> str:
    """strconv.FormatFloat(x, 'f', -1, 64): shortest round-trip digits, never an exponent."""
    return format(Decimal(repr(x)), "f")
