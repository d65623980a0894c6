"""Parsing and validating `algorithm.algorithmSettings` (name -> string value).

Every rejection is a SuggestionError that names the algorithm, the setting, the value found and
what is allowed, mirroring the per-service `ValidateAlgorithmSettings` of katib-semantics 2.2.
Settings whose names start with ``kubetune.`` are kubetune extensions; they are read here and
never passed to the Katib-style checks.
"""

from __future__ import annotations

import logging
import math
from typing import Iterable, Mapping

from kubetune.engine.suggest.base import SuggestionError

_log = logging.getLogger(__name__)

KUBETUNE_PREFIX = "kubetune."
ALLOW_NORMAL = "kubetune.allow_normal"
KUBETUNE_SETTINGS = frozenset({ALLOW_NORMAL})


def split_settings(algorithm: str, settings: Mapping[str, str]
                   ) -> tuple[dict[str, str], dict[str, str]]:
    """Split into (Katib settings, kubetune extension settings); unknown extensions are errors."""
    katib: dict[str, str] = {}
    extensions: dict[str, str] = {}
    for name, value in settings.items():
        if not isinstance(value, str):
            raise SuggestionError(
                f"algorithm {algorithm!r}: setting {name!r} must be a string, found {value!r}"
            )
        if name.startswith(KUBETUNE_PREFIX):
            if name not in KUBETUNE_SETTINGS:
                raise SuggestionError(
                    f"algorithm {algorithm!r}: unknown kubetune setting {name!r}; "
                    f"allowed: {', '.join(sorted(KUBETUNE_SETTINGS))}"
                )
            extensions[name] = value
        else:
            katib[name] = value
    return katib, extensions


def allow_normal(algorithm: str, extensions: Mapping[str, str]) -> bool:
    raw = extensions.get(ALLOW_NORMAL)
    if raw is None:
        return False
    lowered = raw.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise SuggestionError(
        f"algorithm {algorithm!r}: setting {ALLOW_NORMAL!r} = {raw!r} is invalid; "
        "allowed: 'true', 'false'"
    )


def reject_unknown(algorithm: str, settings: Mapping[str, str], allowed: Iterable[str]) -> None:
    allowed = list(allowed)
    for name in settings:
        if name not in allowed:
            shown = ", ".join(allowed + sorted(KUBETUNE_SETTINGS)) or "(none)"
            raise SuggestionError(
                f"algorithm {algorithm!r}: unknown setting {name!r}; allowed settings: {shown}"
            )


def warn_ignored(algorithm: str, settings: Mapping[str, str], used: Iterable[str]) -> None:
    """Katib's goptuna and hyperband services silently ignore unknown settings; we log them."""
    used = set(used)
    for name in settings:
        if name not in used:
            _log.warning("algorithm %r ignores setting %r (as Katib does)", algorithm, name)


def _bad(algorithm: str, name: str, raw: str, allowed: str) -> SuggestionError:
    return SuggestionError(
        f"algorithm {algorithm!r}: setting {name!r} = {raw!r} is invalid; allowed: {allowed}"
    )


def parse_int(algorithm: str, settings: Mapping[str, str], name: str, *, minimum: int,
              default: int | None = None) -> int | None:
    """An integer setting >= minimum (Python int() of the string, as Katib's services do)."""
    raw = settings.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _bad(algorithm, name, raw, f"an integer >= {minimum}") from None
    if value < minimum:
        raise _bad(algorithm, name, raw, f"an integer >= {minimum}")
    return value


def parse_float(algorithm: str, settings: Mapping[str, str], name: str, *,
                low: float | None = None, high: float | None = None,
                low_open: bool = False, high_open: bool = False,
                default: float | None = None) -> float | None:
    """A finite float setting within the given (open or closed) bounds."""
    raw = settings.get(name)
    if raw is None:
        return default
    left = "(" if low_open else "["
    right = ")" if high_open else "]"
    lower = "-inf" if low is None else f"{low:g}"
    upper = "inf" if high is None else f"{high:g}"
    allowed = f"a number in {left}{lower}, {upper}{right}"
    try:
        value = float(raw)
    except ValueError:
        raise _bad(algorithm, name, raw, allowed) from None
    if not math.isfinite(value):
        raise _bad(algorithm, name, raw, allowed)
    if low is not None and (value < low or (low_open and value == low)):
        raise _bad(algorithm, name, raw, allowed)
    if high is not None and (value > high or (high_open and value == high)):
        raise _bad(algorithm, name, raw, allowed)
    return value


def parse_choice(algorithm: str, settings: Mapping[str, str], name: str, choices: Iterable[str],
                 *, default: str | None = None) -> str | None:
    raw = settings.get(name)
    if raw is None:
        return default
    choices = list(choices)
    if raw not in choices:
        raise _bad(algorithm, name, raw, ", ".join(repr(c) for c in choices))
    return raw
