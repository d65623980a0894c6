r"""Go's regexp (RE2 syntax) on top of Python's `re`: Katib's metric filters (`metricsFormat`).

The translator reads an RE2 pattern once and emits the Python pattern that matches the same
strings: ASCII `\d \s \w \b`, `\z`, `(?P<n>..)` and `(?<n>..)`, `\Q..\E`, POSIX classes, scoped
inline flags, Go's repeat syntax (`{,n}` is a literal, counts up to 1000). What Go rejects
(lookaround, backreferences, `\Z`, possessive `++`, ...) raises FilterError with Go's reason;
what Go accepts but Python cannot reproduce raises UnsupportedFilter. `kubetune validate` and
`kubetune run` both decide with this one translator.
"""
from __future__ import annotations

import functools
import re


class FilterError(ValueError):
    """A metrics filter regex that Go's regexp.Compile rejects (or an UnsupportedFilter)."""

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.reason = reason or message  # the cause alone, for `kubetune validate`'s message


class UnsupportedFilter(FilterError):
    """A filter Go compiles but the local engine cannot run faithfully (\\p classes, the U flag):
    Katib's webhook admits it, so `kubetune validate` does; `kubetune run` refuses it."""


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

    def fail(self, reason: str, error: type[FilterError] = FilterError) -> FilterError:
        return error(f"metrics filter {self.p!r}: {reason} (Katib compiles filters as Go RE2 regexes)", reason)

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
                raise self.fail("Unicode classes \\p/\\P cannot be run by the local engine", UnsupportedFilter)
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
            raise self.fail("Unicode classes \\p/\\P cannot be run by the local engine", UnsupportedFilter)
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
            raise self.fail("the ungreedy flag U cannot be run by the local engine", UnsupportedFilter)
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
    the pattern, UnsupportedFilter if the local engine cannot reproduce it."""
    translated = _GoRegexTranslator(pattern).translate()
    try:
        return re.compile(translated)
    except (re.error, OverflowError, RecursionError) as e:
        # The translator has already checked RE2's syntax: what Python still refuses is a local limit.
        raise UnsupportedFilter(f"metrics filter {pattern!r}: {e} (Katib compiles filters as Go RE2 "
                                "regexes; this one cannot be run by the local engine)", str(e)) from e


def go_compile_error(pattern: str) -> str | None:
    """Why Go's regexp.Compile(pattern) fails, or None where Go compiles it (even a pattern the
    local engine cannot run: Katib's webhook admits it)."""
    try:
        compile_go_regex(pattern)
    except UnsupportedFilter:
        return None
    except FilterError as e:
        return e.reason
    return None


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

