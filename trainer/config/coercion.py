"""Raw values (CLI strings as Katib substitutes them, or YAML values) -> typed config values.

`coerce(spec, raw)` converts by the field's annotation and raises ValueError with a message the
caller prefixes with the key. Booleans go through trainer.booleans (one set of words).
"""

from __future__ import annotations

import math
import re
import typing
from typing import Any

from trainer.booleans import parse_bool
from trainer.config.schema import FieldSpec


def parse_scalar(raw: Any) -> Any:
    """A free-form value: int, float, bool, None or string (Katib gives strings)."""
    if not isinstance(raw, str):
        return raw
    s = raw.strip()
    low = s.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    try:
        return int(s)
    except ValueError:
        pass
    try:
        return float(s)
    except ValueError:
        return s


def to_int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError(f"expected an integer, got {raw!r}")
    if isinstance(raw, int):
        return raw
    value = float(raw) if not isinstance(raw, float) else raw
    if isinstance(raw, str):
        try:
            return int(raw.strip())
        except ValueError:
            value = float(raw)
    if not math.isfinite(value) or value != int(value):
        raise ValueError(f"expected an integer, got {raw!r}")
    return int(value)   # "32.0" from quniform search spaces


def to_float(raw: Any) -> float:
    if isinstance(raw, bool):
        raise ValueError(f"expected a number, got {raw!r}")
    return float(raw)


def to_list(raw: Any, item: Any) -> list:
    """`0.9,0.999`, `[10 20]` or a YAML list -> list of `item` (int, float or str)."""
    if isinstance(raw, str):
        s = raw.strip().strip("[]()")
        parts = [p for p in re.split(r"[,\s]+", s) if p]
    elif isinstance(raw, (list, tuple)):
        parts = list(raw)
    else:
        parts = [raw]
    conv = to_int if item is int else to_float if item is float else str
    return [conv(p) for p in parts]


def canonical_choice(value: str, choices: tuple[str, ...], value_aliases: dict[str, str]) -> str | None:
    """Match a choice ignoring case, `-`, `_`, spaces and a trailing 'Augmentation'/'Loss' word."""
    def squash(s: str) -> str:
        return re.sub(r"[^a-z0-9]", "", s.lower())

    v = squash(value)
    table = {squash(c): c for c in choices}
    table.update({squash(a): c for a, c in value_aliases.items()})
    if v in table:
        return table[v]
    for suffix in ("augmentation", "loss", "lr"):
        if v.endswith(suffix) and v[: -len(suffix)] in table:
            return table[v[: -len(suffix)]]
    return None


def coerce(spec: FieldSpec, raw: Any) -> Any:
    """Convert a raw value (CLI string or YAML value) to the field's type; ValueError if impossible."""
    base, optional = spec.base_type, spec.optional
    if base is Any:
        return parse_scalar(raw)
    if raw is None or (optional and isinstance(raw, str) and raw.strip().lower() in ("", "none", "null")):
        if optional:
            return None
        raise ValueError("a value is required")
    origin = typing.get_origin(base)
    if base is bool:
        return parse_bool(raw)
    if base is int:
        return to_int(raw)
    if base is float:
        return to_float(raw)
    if origin is list:
        return to_list(raw, typing.get_args(base)[0])
    if base is str:
        if isinstance(raw, (dict, list)):
            raise ValueError(f"expected a string, got {type(raw).__name__}")
        value = str(raw).strip()
        if spec.choices:
            found = canonical_choice(value, spec.choices, spec.value_aliases)
            if found is None:
                raise ValueError(f"{value!r} is not one of: {', '.join(spec.choices)}")
            return found
        return value
    return parse_scalar(raw)   # Any
