"""The Go behaviours Katib's collector relies on: ParseFloat, time.Parse(RFC3339Nano),
TrimSpace, and RE2 regexes with Go's find-all loop."""
import math

import pytest

from kubetune.engine.metrics import (
    FilterError, compile_go_regex, format_rfc3339nano, go_find_all_submatch, go_parse_float, go_trim_space,
    parse_go_time,
)

FLOAT_CASES = [
    ("1", 1.0), ("1.5", 1.5), (".5", 0.5), ("5.", 5.0), ("-7.53e-05", -7.53e-05), ("1E0", 1.0), ("+3", 3.0),
    ("00.50", 0.5), ("1e-400", 0.0),
    ("inf", math.inf), ("-Inf", -math.inf), ("+Infinity", math.inf), ("INFINITY", math.inf),
    ("0x1p-2", 0.25), ("0x1.8p1", 3.0), ("-0X.8P0", -0.5),
    ("1_000", 1000.0), ("1_23.50_0_0e+1_2", 1.235e14), ("0x_1p0", 1.0),
    # errors in Go
    ("1e400", None), ("-1e400", None), ("0x1p2000", None),  # out of range is an error, not +-Inf
    ("+nan", None), ("infin", None), ("0x10", None), ("1__0", None), ("_1", None), ("1_", None),
    ("1_.5", None), (" 1", None), ("1 ", None), ("", None), ("abc", None), ("1e", None), (".", None),
    ("-", None), ("e5", None), ("\u0663", None), ("1,5", None), ("unavailable", None),
]


@pytest.mark.parametrize("text,expected", FLOAT_CASES)
def test_go_parse_float(text, expected):
    assert go_parse_float(text) == expected


def test_go_parse_float_nan():
    assert math.isnan(go_parse_float("NaN")) and math.isnan(go_parse_float("nan"))


# (text, instant as UTC RFC3339Nano, or None where Go's time.Parse errors)
TIME_CASES = [
    ("2024-03-04T17:55:08Z", "2024-03-04T17:55:08Z"),
    ("2024-03-04T17:55:08.5Z", "2024-03-04T17:55:08.5Z"),
    ("2024-03-04T17:55:08,5Z", "2024-03-04T17:55:08.5Z"),
    ("2024-03-04T17:55:08.123456789123Z", "2024-03-04T17:55:08.123456789Z"),  # digits past 9 dropped
    ("2024-03-04T17:55:08+02:00", "2024-03-04T15:55:08Z"),
    ("2024-03-04T17:55:08-00:30", "2024-03-04T18:25:08Z"),
    ("2024-03-04T17:55:08+24:00", "2024-03-03T17:55:08Z"),  # Go allows hour 24 in an offset
    ("2024-03-04T7:55:08Z", "2024-03-04T07:55:08Z"),  # one-digit hour
    ("2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"),
    ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
    ("0000-03-01T00:00:00Z", "0000-03-01T00:00:00Z"),
    ("2023-02-29T00:00:00Z", None), ("2024-13-01T00:00:00Z", None), ("2024-00-01T00:00:00Z", None),
    ("2024-03-00T00:00:00Z", None), ("2024-03-04T24:00:00Z", None), ("2024-03-04T17:60:00Z", None),
    ("2024-03-04T17:55:60Z", None), ("2024-3-04T17:55:08Z", None), ("2024-03-04T17:5:08Z", None),
    ("2024-03-04 17:55:08Z", None), ("2024-03-04t17:55:08Z", None), ("2024-03-04T17:55:08z", None),
    ("2024-03-04T17:55:08", None), ("2024-03-04T17:55:08.Z", None), ("2024-03-04T17:55:08+0200", None),
    ("2024-03-04T17:55:08+25:00", None), ("2024-03-04T17:55:08+02:61", None), ("2024-03-04T17:55:08Zx", None),
    ("+024-03-04T17:55:08Z", None), ("\u0662024-03-04T17:55:08Z", None), ("", None), ("2024", None),
]


@pytest.mark.parametrize("text,expected", TIME_CASES)
def test_parse_go_time(text, expected):
    ns = parse_go_time(text)
    assert (None if ns is None else format_rfc3339nano(ns)) == expected


def test_format_rfc3339nano():
    assert format_rfc3339nano(0) == "1970-01-01T00:00:00Z"
    assert format_rfc3339nano(-1) == "1969-12-31T23:59:59.999999999Z"
    assert format_rfc3339nano(1_500_000_000) == "1970-01-01T00:00:01.5Z"


def test_go_trim_space_is_not_pythons_strip():
    assert go_trim_space("\x1c0.5\x1f") == "\x1c0.5\x1f"  # Python's strip() would remove these
    assert go_trim_space("\u00a0\t0.5\u3000 \v") == "0.5"


REGEX_CASES = [
    # (pattern, text, expected matches as lists of groups)
    (r"\s", "a\x0bb c", [[" "]]),                       # \v is not \s in Go
    (r"\S+", "a\x0bb c", [["a\x0bb"], ["c"]]),
    (r"[\s]", "\x0b\t", [["\t"]]),
    (r"[^\S]", "\x0b\t", [["\t"]]),
    (r"\w+", "été_1", [["t"], ["_1"]]),                  # ASCII only
    (r"[\W]+", "ab-é", [["-é"]]),
    (r"\d+", "1\u06632", [["1"], ["2"]]),
    (r"\bab\b", "ab éab_ab", [["ab"]]),                  # ASCII word boundary: é is not a word char
    (r"\Bb", "ab b", [["b"]]),
    (r"a{,2}", "a{,2}", [["a{,2}"]]),                    # not a repeat in RE2 (Python would read {0,2})
    (r"a{01}", "a{01}", [["a{01}"]]),                    # leading zero: not a repeat in RE2
    (r"a{2}", "aaa", [["aa"]]),
    (r"\Qa.b\E+", "a.bb a.b", [["a.bb"], ["a.b"]]),
    (r"\x{41}\x42\101\0", "AB" + "A\x00", [["ABA\x00"]]),
    (r"[[:alpha:]]+", "ab1é", [["ab"]]),
    (r"[[:^digit:]]+", "ab1c", [["ab"], ["c"]]),
    (r"[]a]+", "a]b", [["a]"]]),
    (r"[a-c-e]+", "b-ed", [["b-e"]]),
    (r"(?i)ab|c", "AB C", [["AB"], ["C"]]),
    (r"x(?i)ab|c", "xAB C", [["xAB"], ["C"]]),          # the flag runs to the end of the group, across |
    (r"(x(?i)a)b", "xAb xAB", [["xAb", "xA"]]),
    (r"(?P<name>a)(?<n2>b)", "ab", [["ab", "a", "b"]]),
    (r"(?s:.)", "\n", [["\n"]]),
    (r"a\z", "aa", [["a"]]),
    (r"\Aa", "aa", [["a"]]),
    (r"", "ab", [[""], [""], [""]]),
    (r"a*", "baaac", [[""], ["aaa"], [""]]),             # no empty match right after "aaa"
    (r"[^\x00-\x{10FFFF}]", "abc", []),
]


@pytest.mark.parametrize("pattern,text,expected", REGEX_CASES)
def test_go_regex_semantics(pattern, text, expected):
    assert go_find_all_submatch(compile_go_regex(pattern), text) == expected


@pytest.mark.parametrize("pattern", [
    r"a(?=b)", r"a(?!b)", r"(?<=a)b", r"(?<!a)b", r"(?>a)", r"(?#c)a", r"(a)(?P=x)", r"(a)\1", r"\8",
    r"a**", r"a*+", r"a{2}*", r"*a", r"a{1001}", r"a{3,2}", r"(a", r"a)", r"[a", r"[z-a]", r"\x4",
    r"\x{110000}", r"\pL", r"[\p{Greek}]", r"(?U)a+", r"(?x)a", r"(?i-)a", r"\Z", r"\e", r"[\b]",
    r"[[:foo:]]", "a\\",
])
def test_patterns_go_rejects_or_the_engine_cannot_run(pattern):
    with pytest.raises(FilterError):
        compile_go_regex(pattern)
