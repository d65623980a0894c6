"""Go's time.Parse(time.RFC3339Nano, s) and Format(time.RFC3339Nano), on Unix nanoseconds.

Katib's collector keeps a line's timestamp only if Go parses it, and its DB manager re-parses every
stored timestamp; Go's parser is more lenient than RFC 3339 (and than datetime.fromisoformat).
"""
from __future__ import annotations

import functools
import re

NS_PER_SECOND = 1_000_000_000


def _days_from_civil(y: int, m: int, d: int) -> int:
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(z: int) -> tuple[int, int, int]:
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (m <= 2), m, d


def _days_in(month: int, year: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


# Go's general parser for the RFC3339Nano layout, as one pattern: the hour may have one digit
# (layout "15" is not zero-padded), ',' may separate the fraction and any number of fraction
# digits is consumed, the offset is Z or +-hh:mm. Ranges are checked after the match.
_GO_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:[.,]([0-9]+))?"
    r"(?:Z|([+-])([0-9]{2}):([0-9]{2}))")


@functools.lru_cache(maxsize=16384)
def parse_go_time(text: str) -> int | None:
    """Go's time.Parse(time.RFC3339Nano, text) as Unix nanoseconds; None where Go errors.

    Go's general parser is what decides (its RFC3339 fast path only accepts a subset): the hour
    may have one digit, ',' may separate the fraction, fraction digits past 9 are dropped, the
    offset may be +24:00 / +hh:60."""
    m = _GO_RFC3339.fullmatch(text)
    if m is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.group(1, 2, 3, 4, 5, 6))
    if not (1 <= month <= 12 and 1 <= day <= _days_in(month, year) and hour <= 23 and minute <= 59
            and second <= 59):
        return None
    digits = (m.group(7) or "")[:9]
    nsec = int(digits) * 10 ** (9 - len(digits)) if digits else 0
    offset = 0
    if m.group(8):
        hh, mm = int(m.group(9)), int(m.group(10))
        if hh > 24 or mm > 60:
            return None
        offset = (hh * 60 + mm) * 60 * (-1 if m.group(8) == "-" else 1)
    seconds = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset
    return seconds * NS_PER_SECOND + nsec


def format_rfc3339nano(unix_ns: int) -> str:
    """time.Unix(0, unix_ns).UTC().Format(time.RFC3339Nano)."""
    sec, frac = divmod(unix_ns, NS_PER_SECOND)
    days, rem = divmod(sec, 86400)
    y, m, d = _civil_from_days(days)
    year = f"-{-y:04d}" if y < 0 else f"{y:04d}"
    out = f"{year}-{m:02d}-{d:02d}T{rem // 3600:02d}:{rem // 60 % 60:02d}:{rem % 60:02d}"
    if frac:
        out += "." + f"{frac:09d}".rstrip("0")
    return out + "Z"
