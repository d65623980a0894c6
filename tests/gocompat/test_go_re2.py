"""Go's RE2 regexes on Python's re, with Go's find-all loop."""
import pytest

from kubetune.gocompat.re2 import (
    FilterError, UnsupportedFilter, compile_go_regex, go_compile_error, go_find_all_submatch,
)

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


@pytest.mark.parametrize("pattern", [r"\pL", r"[\p{Greek}]", r"(?U)a+"])
def test_valid_go_the_engine_cannot_run_is_told_apart(pattern):
    """Katib's webhook compiles these, so `kubetune validate` admits them; `kubetune run` cannot."""
    with pytest.raises(UnsupportedFilter, match="cannot be run by the local engine"):
        compile_go_regex(pattern)
    assert go_compile_error(pattern) is None


@pytest.mark.parametrize("pattern, reason", [
    (r"a(?=b)", "lookaround"), (r"(a)\1", "backreference"), (r"\Z", "invalid escape sequence \\Z"),
    (r"\d++", "invalid nested repetition operator +"), (r"(a", "missing closing )"),
])
def test_go_compile_error_gives_the_reason_alone(pattern, reason):
    error = go_compile_error(pattern)
    assert error is not None and reason in error and "metrics filter" not in error


@pytest.mark.parametrize("pattern", [r"a\z", r"(?<n>a)(b)", r"(?P<x>a)(?P<x>b)", r"([\w|-]+)=(\d+)"])
def test_go_compile_error_is_none_for_valid_go(pattern):
    assert go_compile_error(pattern) is None
