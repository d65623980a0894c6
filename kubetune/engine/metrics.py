"""Katib's metrics collectors, rule for rule (katib-semantics 5.2, 5.3, 5.6).

What Katib's `file-metrics-collector` sidecar does, reproduced so that a local run records the
same metric logs a cluster run would:

* TEXT (StdOut collector, File collector with format TEXT): a line counts only if it contains a
  requested metric name as a substring; its first space-separated token is the timestamp if it
  parses as Go's RFC3339Nano, else the zero time; every filter regex (Katib's default, or the
  spec's `source.filter.metricsFormat`) is applied with "find all" semantics and its groups 1 and 2
  (trimmed) are the name and the value; only names equal to a requested metric are kept; values are
  kept as the matched text.
* JSON (File collector with format JSON): each non-empty line must be a JSON object (one bad line
  fails the whole collection); a metric counts only when its value is a JSON *string*; the
  `timestamp` key may be an RFC3339Nano string or a number read with Katib's nanosecond quirk.
* `finalize`: no objective value at all -> the whole report is one `unavailable` log.

Katib does this in Go, so the Go behaviours that decide results are ported too: `time.Parse`
with RFC3339Nano (lenient: one-digit hours, `,` as fraction separator), `strconv.ParseFloat`
(underscores, hex floats, overflow is an error), `strings.TrimSpace`, and the RE2 regex dialect
(ASCII `\\w \\d \\s \\b`, no lookaround/backreferences, Go's find-all loop). Custom filters are
translated from RE2 syntax to Python's `re`; constructs that cannot be translated faithfully
raise FilterError.
"""
from __future__ import annotations

import functools
import json
import math
import os
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

# Katib's pkg/metricscollector/v1beta1/common/const.go, quoted exactly.
DEFAULT_FILTER = r"([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?)"
# time.Time{}.UTC().Format(time.RFC3339): the timestamp of a line without a parsable one.
ZERO_TIME = "0001-01-01T00:00:00Z"
# consts.UnavailableMetricValue
UNAVAILABLE = "unavailable"
TIMESTAMP_JSON_KEY = "timestamp"

_NS = 1_000_000_000


class FilterError(ValueError):
    """A metrics filter regex that Katib's Go RE2 would reject, or that cannot be run locally."""


class MetricsCollectionError(ValueError):
    """Katib's collector would fail here and report nothing (bad JSON line, unstorable timestamp)."""


@dataclass(frozen=True)
class MetricLog:
    """One collected value, as Katib stores it: the value is the text that was matched (never
    normalised, may be "" or "unavailable"), the timestamp an RFC3339 string or ZERO_TIME."""

    name: str
    value: str
    timestamp: str = ZERO_TIME

    @property
    def float_value(self) -> float | None:
        """The value as Go's strconv.ParseFloat reads it; None where Go reports an error."""
        return go_parse_float(self.value)


# ---------------------------------------------------------------------------------------------
# Go's strings.TrimSpace, strconv.ParseFloat / ParseInt

# unicode.IsSpace: the ASCII/Latin-1 spaces plus the White_Space property (not \x1c-\x1f, which
# Python's str.strip() would also remove).
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
            "\u2028\u2029\u202f\u205f\u3000"


def go_trim_space(text: str) -> str:
    return text.strip(_GO_SPACE)


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


def _go_parse_int64(text: str) -> int | None:
    """strconv.ParseInt(text, 10, 64)."""
    if not re.fullmatch(r"[+-]?[0-9]+", text, re.ASCII):
        return None
    value = int(text)
    return value if -(1 << 63) <= value < (1 << 63) else None


def _go_format_float_f(x: float) -> str:
    """strconv.FormatFloat(x, 'f', -1, 64): shortest round-trip digits, never an exponent."""
    return format(Decimal(repr(x)), "f")


# ---------------------------------------------------------------------------------------------
# Go's time.Parse(time.RFC3339Nano, s) and Format(time.RFC3339Nano)

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
    return seconds * _NS + nsec


def format_rfc3339nano(unix_ns: int) -> str:
    """time.Unix(0, unix_ns).UTC().Format(time.RFC3339Nano)."""
    sec, frac = divmod(unix_ns, _NS)
    days, rem = divmod(sec, 86400)
    y, m, d = _civil_from_days(days)
    year = f"-{-y:04d}" if y < 0 else f"{y:04d}"
    out = f"{year}-{m:02d}-{d:02d}T{rem // 3600:02d}:{rem // 60 % 60:02d}:{rem % 60:02d}"
    if frac:
        out += "." + f"{frac:09d}".rstrip("0")
    return out + "Z"


def katib_time_ns(timestamp: str) -> int:
    """The instant of a stored MetricLog timestamp; MetricsCollectionError if Katib's DB would
    reject it (it parses every timestamp with RFC3339Nano before the insert)."""
    ns = parse_go_time(timestamp)
    if ns is None:
        raise MetricsCollectionError(
            f"metric timestamp {timestamp!r} is not RFC3339Nano; Katib's DB manager rejects the report")
    return ns


# ---------------------------------------------------------------------------------------------
# Go RE2 -> Python re

_MAX_RUNE = 0x10FFFF
_PERL_RANGES = {
    "d": [(0x30, 0x39)],
    "s": [(0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)],
    "w": [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)],
}
_POSIX_RANGES = {
    "alnum": [(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)],
    "alpha": [(0x41, 0x5A), (0x61, 0x7A)],
    "ascii": [(0x00, 0x7F)],
    "blank": [(0x09, 0x09), (0x20, 0x20)],
    "cntrl": [(0x00, 0x1F), (0x7F, 0x7F)],
    "digit": [(0x30, 0x39)],
    "graph": [(0x21, 0x7E)],
    "lower": [(0x61, 0x7A)],
    "print": [(0x20, 0x7E)],
    "punct": [(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)],
    "space": [(0x09, 0x0D), (0x20, 0x20)],
    "upper": [(0x41, 0x5A)],
    "word": [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)],
    "xdigit": [(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
}
_ESCAPED_CHARS = {"a": 0x07, "f": 0x0C, "n": 0x0A, "r": 0x0D, "t": 0x09, "v": 0x0B}
_W = "0-9A-Za-z_"
# Go's \b and \B look at ASCII word characters only.
_WORD_BOUNDARY = rf"(?:(?<=[{_W}])(?![{_W}])|(?<![{_W}])(?=[{_W}]))"
_NOT_WORD_BOUNDARY = rf"(?:(?<=[{_W}])(?=[{_W}])|(?<![{_W}])(?![{_W}]))"
_GO_REPEAT = re.compile(r"\{(0|[1-9][0-9]*)(,(0|[1-9][0-9]*)?)?\}")
_GO_FLAGS = re.compile(r"([imsU]*)(?:(-)([imsU]*))?([:)])")
_NAMED_GROUP = re.compile(r"(?:P<|<(?![=!]))([^>]*)>")


def _esc(cp: int) -> str:
    if cp < 0x100:
        return f"\\x{cp:02x}"
    return f"\\u{cp:04x}" if cp < 0x10000 else f"\\U{cp:08x}"


def _complement(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out, nxt = [], 0
    for lo, hi in sorted(ranges):
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = max(nxt, hi + 1)
    if nxt <= _MAX_RUNE:
        out.append((nxt, _MAX_RUNE))
    return out


def _render_class(ranges: list[tuple[int, int]], negate: bool) -> str:
    if not ranges:  # an empty class matches nothing (Python has no `[]`)
        return f"[{'' if negate else '^'}\\x00-\\U0010ffff]"
    body = "".join(_esc(lo) if lo == hi else f"{_esc(lo)}-{_esc(hi)}" for lo, hi in ranges)
    return f"[{'^' if negate else ''}{body}]"


class _GoRegexTranslator:
    """One pass over an RE2 pattern, emitting the equivalent Python pattern."""

    def __init__(self, pattern: str):
        self.p = pattern
        self.i = 0

    def fail(self, reason: str) -> FilterError:
        return FilterError(f"metrics filter {self.p!r}: {reason} (Katib compiles filters as Go RE2 regexes)")

    def escape_char(self) -> int:
        """A single-character escape at self.i (the backslash); advances past it."""
        p, i = self.p, self.i
        if i + 1 >= len(p):
            raise self.fail("trailing backslash")
        c = p[i + 1]
        if "1" <= c <= "7" and not ("0" <= p[i + 2:i + 3] <= "7" and p[i + 2:i + 3]):
            raise self.fail(f"backreference \\{c} is not supported by RE2")
        if "0" <= c <= "7":
            j = i + 2
            while j < len(p) and j < i + 4 and "0" <= p[j] <= "7":
                j += 1
            self.i = j
            return int(p[i + 1:j], 8)
        if c == "x":
            if p[i + 2:i + 3] == "{":
                end = p.find("}", i + 3)
                digits = p[i + 3:end] if end >= 0 else ""
                if not digits or not re.fullmatch(r"[0-9a-fA-F]+", digits) or int(digits, 16) > _MAX_RUNE:
                    raise self.fail("invalid \\x{...} escape")
                self.i = end + 1
                return int(digits, 16)
            digits = p[i + 2:i + 4]
            if not re.fullmatch(r"[0-9a-fA-F]{2}", digits):
                raise self.fail("invalid \\x escape (RE2 needs two hex digits or \\x{...})")
            self.i = i + 4
            return int(digits, 16)
        if c in _ESCAPED_CHARS:
            self.i = i + 2
            return _ESCAPED_CHARS[c]
        if ord(c) < 0x80 and not c.isalnum():
            self.i = i + 2
            return ord(c)
        raise self.fail(f"invalid escape sequence \\{c}")

    def perl_class(self, letter: str) -> list[tuple[int, int]]:
        ranges = _PERL_RANGES[letter.lower()]
        return _complement(ranges) if letter.isupper() else list(ranges)

    def char_class(self) -> str:
        p = self.p
        j = self.i + 1
        negate = p[j:j + 1] == "^"
        j += negate
        ranges: list[tuple[int, int]] = []
        first = True
        while True:
            if j >= len(p):
                raise self.fail("missing closing ]")
            c = p[j]
            if c == "]" and not first:
                j += 1
                break
            first = False
            if p.startswith("[:", j):
                end = p.find(":]", j + 2)
                if end >= 0:
                    name = p[j + 2:end]
                    base = name[1:] if name.startswith("^") else name
                    if base not in _POSIX_RANGES:
                        raise self.fail(f"invalid character class [:{name}:]")
                    group = _POSIX_RANGES[base]
                    ranges += _complement(group) if name.startswith("^") else group
                    j = end + 2
                    continue
            if c == "\\" and p[j + 1:j + 2] in ("p", "P"):
                raise self.fail("Unicode classes \\p/\\P cannot be run by the local engine")
            if c == "\\" and p[j + 1:j + 2] and p[j + 1] in "dDsSwW":
                ranges += self.perl_class(p[j + 1])
                j += 2
                continue
            lo, j = self.class_char(j)
            hi = lo
            if j + 1 < len(p) and p[j] == "-" and p[j + 1] != "]":
                hi, j = self.class_char(j + 1)
                if hi < lo:
                    raise self.fail("invalid character class range")
            ranges.append((lo, hi))
        self.i = j
        return _render_class(ranges, negate)

    def class_char(self, j: int) -> tuple[int, int]:
        if self.p[j] != "\\":
            return ord(self.p[j]), j + 1
        self.i = j
        cp = self.escape_char()
        return cp, self.i

    def translate(self) -> str:
        p = self.p
        out: list[str] = []
        scopes: list[list[str]] = [[]]  # per open group: the inline `(?flags)` scopes opened in it
        prev = "none"  # none | atom | quant | lazy: what a following quantifier would apply to
        while self.i < len(p):
            c = p[self.i]
            if c == "\\":
                piece = self.escape_outside_class()
                if piece:
                    out.append(piece)
                    prev = "atom"
            elif c == "[":
                out.append(self.char_class())
                prev = "atom"
            elif c == "(":
                text, kind = self.group_open()
                out.append(text)
                if kind == "flags":
                    scopes[-1].append(text[2:-1])
                elif kind == "group":
                    scopes.append([])
                prev = "none"
            elif c == ")":
                if len(scopes) == 1:
                    raise self.fail("unexpected )")
                out.append(")" * len(scopes.pop()) + ")")
                self.i += 1
                prev = "atom"
            elif c == "|":
                opened = scopes[-1]
                out.append(")" * len(opened) + "|" + "".join(f"(?{f}:" for f in opened))
                self.i += 1
                prev = "none"
            elif c in "*+?" or (c == "{" and _GO_REPEAT.match(p, self.i)):
                if c == "{":
                    m = _GO_REPEAT.match(p, self.i)
                    lo = int(m.group(1))
                    hi = lo if m.group(2) is None else (int(m.group(3)) if m.group(3) else -1)
                    if lo > 1000 or hi > 1000 or (hi >= 0 and lo > hi):
                        raise self.fail("invalid repeat count")
                    token = m.group()
                else:
                    token = c
                if prev == "quant" and c == "?":
                    prev = "lazy"
                elif prev == "atom":
                    prev = "quant"
                elif prev == "none":
                    raise self.fail(f"missing argument to repetition operator {token}")
                else:
                    raise self.fail(f"invalid nested repetition operator {token}")
                out.append(token)
                self.i += len(token)
            elif c == "{":  # not a valid RE2 repeat: a literal (Python would read `{,n}` as one)
                out.append("\\{")
                self.i += 1
                prev = "atom"
            else:
                out.append(c)
                self.i += 1
                prev = "atom"
        if len(scopes) > 1:
            raise self.fail("missing closing )")
        return "".join(out) + ")" * len(scopes[0])

    def escape_outside_class(self) -> str:
        p, i = self.p, self.i
        c = p[i + 1:i + 2]
        simple = {"A": r"\A", "z": r"\Z", "b": _WORD_BOUNDARY, "B": _NOT_WORD_BOUNDARY}
        if c and c in "dDsSwW":
            self.i = i + 2
            return _render_class(self.perl_class(c), False)
        if c in simple and c:
            self.i = i + 2
            return simple[c]
        if c == "Q":
            end = p.find("\\E", i + 2)
            literal = p[i + 2:] if end < 0 else p[i + 2:end]
            self.i = len(p) if end < 0 else end + 2
            return "".join(_esc(ord(ch)) for ch in literal)
        if c in ("p", "P"):
            raise self.fail("Unicode classes \\p/\\P cannot be run by the local engine")
        return _esc(self.escape_char())

    def group_open(self) -> tuple[str, str]:
        """`(` or `(?...`: returns (python text, kind) with kind group | flags | noop."""
        p, i = self.p, self.i
        if not p.startswith("(?", i):
            self.i = i + 1
            return "(", "group"
        named = _NAMED_GROUP.match(p, i + 2)
        if named:
            if not re.fullmatch(r"[0-9A-Za-z_]+", named.group(1)):
                raise self.fail(f"invalid named capture {named.group()!r}")
            self.i = named.end()
            return "(", "group"  # names do not matter to the collector, only group numbers
        flags = _GO_FLAGS.match(p, i + 2)
        if flags is None:
            raise self.fail("lookaround, atomic groups, comments, conditionals and backreferences "
                            "are not RE2 syntax")
        on, minus, off, end = flags.groups()
        if minus and not off:
            raise self.fail("missing flag after -")
        if "U" in on + (off or ""):
            raise self.fail("the ungreedy flag U cannot be run by the local engine")
        self.i = flags.end()
        spec = "".join(dict.fromkeys(on)) + ("-" + "".join(dict.fromkeys(off)) if minus else "")
        if end == ":":
            return f"(?{spec}:", "group"
        if not spec:
            return "", "noop"
        return f"(?{spec}:", "flags"


@functools.lru_cache(maxsize=256)
def compile_go_regex(pattern: str) -> re.Pattern[str]:
    """A Python regex behaving like Go's regexp.Compile(pattern); FilterError if Go would reject
    the pattern or the local engine cannot reproduce it."""
    translated = _GoRegexTranslator(pattern).translate()
    try:
        return re.compile(translated)
    except (re.error, OverflowError, RecursionError) as e:
        raise FilterError(f"metrics filter {pattern!r}: {e} (Katib compiles filters as Go RE2 "
                          "regexes; this one cannot be run by the local engine)") from e


def go_find_all_submatch(regex: re.Pattern[str], text: str) -> list[list[str]]:
    """regexp.FindAllStringSubmatch(text, -1): Go's loop, including that an empty match right
    after the previous match is skipped; groups that did not take part are ""."""
    out = []
    pos, prev_end, n = 0, -1, len(text)
    while pos <= n:
        m = regex.search(text, pos)
        if m is None:
            break
        start, end = m.span()
        accept = True
        if end == pos:  # empty match
            accept = start != prev_end
            pos = pos + 1 if pos < n else n + 1
        else:
            pos = end
        prev_end = end
        if accept:
            out.append([m.group(0)] + [g if g is not None else "" for g in m.groups()])
    return out


# The default filter, matched in linear time with the same results as the regex (Python's
# backtracking would be quadratic on long word runs such as base64 blobs): a match can only start
# at the start of a run of [\w|-] characters and only if the run is followed by \s*=.
_NAME_RUN = re.compile(r"[0-9A-Za-z_|-]+")
_AFTER_NAME = re.compile(r"[\t\n\f\r ]*=[\t\n\f\r ]*([+-]?[0-9]*(?:\.[0-9]+)?(?:[Ee][+-]?[0-9]+)?)")


def _default_filter_pairs(line: str) -> Iterator[tuple[str, str]]:
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
    return [_default_filter_pairs if p == DEFAULT_FILTER else _regex_pairs(compile_go_regex(p))
            for p in patterns]


# ---------------------------------------------------------------------------------------------
# TEXT format

def line_timestamp(line: str) -> str:
    """The first space-separated token if Go parses it as RFC3339Nano, else ZERO_TIME."""
    token, space, _ = line.partition(" ")
    if space and parse_go_time(token) is not None:
        return token
    return ZERO_TIME


def _check_metric_names(metric_names: Sequence[str]) -> list[str]:
    if isinstance(metric_names, str) or not metric_names or not all(isinstance(n, str) for n in metric_names):
        raise ValueError(f"metric_names: expected a non-empty list of metric names (objective first), "
                         f"got {metric_names!r}")
    return list(metric_names)


class TextMetricParser:
    """Katib's TEXT parser, fed line by line while the trial runs; `logs` accumulates everything
    collected, in Katib's report order (per line: filter by filter, match by match).

    feed_line() takes one line of output (a trailing "\\n" is dropped; "\\r" is kept, as Katib
    splits on "\\n" only). feed() takes raw chunks and keeps an unfinished last line until more
    output or close(). Use one or the other for a given stream."""

    def __init__(self, metric_names: Sequence[str], filters: Sequence[str] | None = None):
        self.metric_names = _check_metric_names(metric_names)
        self._wanted = set(self.metric_names)
        self._matchers = filter_matchers(filters)
        self._partial = ""
        self.logs: list[MetricLog] = []

    def parse_line(self, line: str) -> list[MetricLog]:
        """The logs of one line, without recording them."""
        if not any(name in line for name in self.metric_names):
            return []
        timestamp = line_timestamp(line)
        found = []
        for pairs in self._matchers:
            for raw_name, raw_value in pairs(line):
                name = go_trim_space(raw_name)
                if name in self._wanted:
                    found.append(MetricLog(name, go_trim_space(raw_value), timestamp))
        return found

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


def _read_text(path: str | os.PathLike) -> str:
    return Path(path).read_bytes().decode("utf-8", errors="replace")


def parse_text_file(path: str | os.PathLike, metric_names: Sequence[str],
                    filters: Sequence[str] | None = None) -> list[MetricLog]:
    """The logs Katib collects from a whole TEXT metrics file (before `finalize`)."""
    parser = TextMetricParser(metric_names, filters)
    for line in _read_text(path).split("\n"):
        parser.feed_line(line)
    return parser.logs


# ---------------------------------------------------------------------------------------------
# JSON format

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
    whole, _, frac = _go_format_float_f(seconds).partition(".")
    sec = _go_parse_int64(whole)
    nsec = _go_parse_int64(frac) if frac else 0
    if sec is None or nsec is None:
        return None
    return format_rfc3339nano(sec * _NS + nsec)  # time.Unix(sec, nsec) normalises nsec


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
        self.metric_names = _check_metric_names(metric_names)
        self.source = source
        self.line_number = 0
        self.logs: list[MetricLog] = []

    def feed_line(self, line: str) -> list[MetricLog]:
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
        new = [MetricLog(name, obj[name], timestamp) for name in self.metric_names
               if isinstance(obj.get(name), str)]  # numbers are ignored: only JSON strings count
        self.logs.extend(new)
        return new


def parse_json_lines(source: str | os.PathLike, metric_names: Sequence[str]) -> list[MetricLog]:
    """The logs Katib collects from a JSON-lines metrics file (before `finalize`). `source` is
    the text itself, or a path given as a Path / os.PathLike."""
    if isinstance(source, os.PathLike):
        text, where = _read_text(source), os.fspath(source)
    else:
        text, where = source, "<json>"
    parser = JsonMetricParser(metric_names, where)
    for line in text.split("\n"):
        parser.feed_line(line)
    return parser.logs


# ---------------------------------------------------------------------------------------------
# the report

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


# ---------------------------------------------------------------------------------------------
# following a metrics file while the trial writes it

class FileTailer:
    """New complete lines of a file that a trial is writing, read incrementally.

    The file may not exist yet (nothing is returned until it does), grow in pieces (an
    unfinished last line is held back until its "\\n" arrives, or returned by
    read_new_lines(final=True) once the trial has exited), be truncated (reading restarts at
    the beginning, the held-back piece is dropped, as Katib's tail does) or be replaced by a new
    file (the old one is read to its end, its unfinished line returned, then the new one is read
    from the start). Bytes are decoded as UTF-8 with replacement, lines split on "\\n" only.

    Katib's final report is the whole file read once the trial has exited; the tailer serves
    live evaluation (early stopping, progress).
    """

    def __init__(self, path: str | os.PathLike, chunk_size: int = 1 << 20):
        self.path = Path(path)
        self.chunk_size = chunk_size
        self._fh = None
        self._identity: tuple[int, int] | None = None
        self._pending = b""

    def _open(self) -> bool:
        try:
            self._fh = open(self.path, "rb")
        except (FileNotFoundError, IsADirectoryError, PermissionError):
            return False
        st = os.fstat(self._fh.fileno())
        self._identity = (st.st_dev, st.st_ino)
        self._pending = b""
        return True

    def _drain(self) -> list[str]:
        lines = []
        while True:
            data = self._fh.read(self.chunk_size)
            if not data:
                break
            *complete, self._pending = (self._pending + data).split(b"\n")
            lines += [c.decode("utf-8", errors="replace") for c in complete]
        return lines

    def _take_pending(self) -> list[str]:
        rest, self._pending = self._pending, b""
        return [rest.decode("utf-8", errors="replace")] if rest else []

    def read_new_lines(self, final: bool = False) -> list[str]:
        """Lines completed since the last call; with final=True also the unfinished last line."""
        if self._fh is None and not self._open():
            return []
        lines = self._drain()
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            st = None  # removed: keep what we have; a new file may appear later
        if st is not None and (st.st_dev, st.st_ino) != self._identity:
            lines += self._take_pending()
            self._fh.close()
            self._fh = None
            if self._open():
                lines += self._drain()
        elif st is not None and st.st_size < self._fh.tell():
            self._fh.seek(0)
            self._pending = b""
            lines += self._drain()
        if final:
            lines += self._take_pending()
        return lines

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> "FileTailer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
