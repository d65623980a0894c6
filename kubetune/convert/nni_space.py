"""NNI search spaces: validation into typed entries, and the value sets NNI's types deliver.

A search space is a JSON object `{name: {"_type": T, "_value": [...]}}` (nni-semantics 3). Checks
(NNI's `validate_search_space` plus the 1.x nnictl rules, as errors): known `_type`, `_value` a
list of the right length, numbers where numbers are needed, `low < high`, `low > 0` for log
types, `sigma > 0` and `q > 0`, integer randint bounds, non-empty choices, nested choices whose
options all carry `_name`. Messages name the file, the key path (`layer0._value[1].kernel_size`)
and what is allowed.

YAML 1.1 reads `1e-5` (no decimal point) as a string; NNI then fails on it. Numeric `_value`
entries written that way are read as numbers here, with a note.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import Note, Problems, join, show, suggestion

TYPES = ("choice", "randint", "uniform", "quniform", "loguniform", "qloguniform",
         "normal", "qnormal", "lognormal", "qlognormal")
ARITY = {"randint": 2, "uniform": 2, "quniform": 3, "loguniform": 2, "qloguniform": 3,
         "normal": 2, "qnormal": 3, "lognormal": 2, "qlognormal": 3}
NORMAL_TYPES = ("normal", "qnormal", "lognormal", "qlognormal")
GRID_LEVELS = 3  # levels of NNI 2.6+ grid bisection used to discretise continuous types (7 points)


@dataclass
class Option:
    """One option of a nested choice: its `_name` and its sub-parameters."""

    name: Any
    params: list["Entry"] = field(default_factory=list)


@dataclass
class Entry:
    """One validated search-space entry. `value` holds numbers for numeric types (as floats, ints
    for randint), the option values for choice; `options` is set for nested choices."""

    key: str
    path: str
    type: str
    value: list
    options: list[Option] | None = None

    @property
    def nested(self) -> bool:
        return self.options is not None

    # numeric accessors
    @property
    def low(self) -> float:
        return self.value[0]

    @property
    def high(self) -> float:
        return self.value[1]

    @property
    def q(self) -> float | None:
        return self.value[2] if self.type.startswith("q") else None


def parse_space(space: Any, problems: Problems, notes: list[Note], path: str = "") -> list[Entry]:
    """Validated entries of a search space (in its key order); problems are added, not raised."""
    if not isinstance(space, dict):
        problems.add(path, f"a search space must be a JSON object of parameters, found {show(space)}")
        return []
    entries = []
    for key, spec in space.items():
        if path and key == "_name":
            continue
        entry = _parse_entry(key, spec, join(path, key), problems, notes)
        if entry is not None:
            entries.append(entry)
    return entries


def _parse_entry(key: Any, spec: Any, path: str, problems: Problems, notes: list[Note]) -> Entry | None:
    if not isinstance(key, str) or not key:
        problems.add(path, f"parameter names must be non-empty strings, found {show(key)}")
        return None
    if not isinstance(spec, dict):
        problems.add(path, f'found {show(spec)}; a parameter is {{"_type": ..., "_value": [...]}}')
        return None
    for k in spec:
        if k not in ("_type", "_value"):
            problems.add(join(path, k), f"unknown key {show(k)}{suggestion(str(k), ('_type', '_value'))}",
                         ["_type", "_value"])
    kind = spec.get("_type")
    value = spec.get("_value")
    if "_type" not in spec:
        problems.add(path, "missing _type", TYPES)
        return None
    if kind not in TYPES:
        hint = suggestion(str(kind), TYPES)
        extra = "" if hint else " (custom tuner types and NAS types cannot be converted)"
        problems.add(join(path, "_type"), f"unknown type {show(kind)}{hint}{extra}", TYPES)
        return None
    if "_value" not in spec:
        problems.add(path, f"missing _value (the {kind} arguments)")
        return None
    vpath = join(path, "_value")
    if not isinstance(value, list):
        problems.add(vpath, f"found {show(value)}; _value must be a list")
        return None
    if kind == "choice":
        return _parse_choice(key, value, path, vpath, problems, notes)
    return _parse_numeric(key, kind, value, path, vpath, problems, notes)


def _parse_choice(key: str, value: list, path: str, vpath: str, problems: Problems,
                  notes: list[Note]) -> Entry | None:
    if not value:
        problems.add(vpath, "a choice needs at least one option, found an empty list")
        return None
    named = [isinstance(v, dict) and "_name" in v for v in value]
    if any(named):
        if not all(named):
            bad = [i for i, n in enumerate(named) if not n]
            problems.add(join(vpath, bad[0]), f"option {show(value[bad[0]])} has no _name, but other options of "
                                              "this nested choice do; every option of a nested choice must be a "
                                              'mapping with "_name"')
            return None
        options = []
        for i, option in enumerate(value):
            opath = join(vpath, i)
            params = []
            for sub, sub_spec in option.items():
                if sub == "_name":
                    continue
                entry = _parse_entry(sub, sub_spec, join(opath, sub), problems, notes)
                if entry is not None:
                    params.append(entry)
            options.append(Option(option["_name"], params))
        return Entry(key, path, "choice", list(value), options)
    for i, option in enumerate(value):
        if isinstance(option, dict) and any(isinstance(v, dict) and "_type" in v for v in option.values()):
            problems.add(join(vpath, i), 'a nested choice option needs "_name" (the option\'s name, delivered '
                                         'as value["_name"]); found a mapping of parameters without it')
            return None
    return Entry(key, path, "choice", list(value))


def _number(value: Any, path: str, problems: Problems, notes: list[Note]) -> float | None:
    if isinstance(value, bool):
        problems.add(path, f"found {show(value)}; must be a number")
        return None
    if isinstance(value, str):  # YAML 1.1: 1e-5 without a decimal point loads as a string
        try:
            number = float(value)
        except ValueError:
            problems.add(path, f"found {show(value)}; must be a number")
            return None
        notes.append(Note(path, f"{show(value)} is a string (YAML 1.1 reads exponents without a decimal point "
                                "as text, which NNI rejects); read as the number " + repr(number)))
        value = number
    if not isinstance(value, (int, float)):
        problems.add(path, f"found {show(value)}; must be a number")
        return None
    if not math.isfinite(value):
        problems.add(path, f"found {show(value)}; must be a finite number")
        return None
    return value


def _katib_bounds_fit(kind: str, mu: float, sigma: float) -> bool:
    """A normal type becomes Katib's min/max = mu -/+ 3 sigma (exp of it for the log types)."""
    lo, hi = mu - 3 * sigma, mu + 3 * sigma
    if "log" in kind:
        return -708.0 <= lo and hi <= 709.0  # exp() stays a normal positive float
    return math.isfinite(lo) and math.isfinite(hi)


def _parse_numeric(key: str, kind: str, value: list, path: str, vpath: str, problems: Problems,
                   notes: list[Note]) -> Entry | None:
    arity = ARITY[kind]
    shape = {"randint": "[lower, upper]", "uniform": "[low, high]", "loguniform": "[low, high]",
             "quniform": "[low, high, q]", "qloguniform": "[low, high, q]", "normal": "[mu, sigma]",
             "lognormal": "[mu, sigma]", "qnormal": "[mu, sigma, q]", "qlognormal": "[mu, sigma, q]"}[kind]
    if len(value) != arity:
        problems.add(vpath, f"{kind} takes {arity} numbers {shape}, found {len(value)}: {show(value)}")
        return None
    numbers = [_number(v, join(vpath, i), problems, notes) for i, v in enumerate(value)]
    if any(n is None for n in numbers):
        return None
    if kind == "randint":
        if not all(float(n).is_integer() for n in numbers):
            problems.add(vpath, f"randint bounds must be integers, found {show(value)}")
            return None
        low, high = int(numbers[0]), int(numbers[1])
        if low >= high:
            problems.add(vpath, f"randint needs lower < upper (upper is exclusive), found {show(value)}")
            return None
        return Entry(key, path, kind, [low, high])
    numbers = [float(n) for n in numbers]
    if kind in NORMAL_TYPES:
        if numbers[1] <= 0:
            problems.add(join(vpath, 1), f"sigma must be > 0, found {show(value[1])}")
            return None
        if not _katib_bounds_fit(kind, numbers[0], numbers[1]):
            problems.add(vpath, f"{kind} {show(value)}: Katib's min and max are "
                                f"{'exp(mu -/+ 3 sigma)' if 'log' in kind else 'mu -/+ 3 sigma'}, which must be "
                                f"{'positive finite numbers: mu -/+ 3 sigma within [-708, 709]' if 'log' in kind else 'finite'}")
            return None
    else:
        if numbers[0] >= numbers[1]:
            problems.add(vpath, f"{kind} needs low < high, found {show(value)}")
            return None
        if "log" in kind and numbers[0] <= 0:
            problems.add(join(vpath, 0), f"{kind} needs low > 0 (it samples on a log scale), found {show(value[0])}")
            return None
    if kind.startswith("q") and numbers[2] <= 0:
        problems.add(join(vpath, 2), f"q must be > 0, found {show(value[2])}")
        return None
    return Entry(key, path, kind, numbers)


# ---------------------------------------------------------------------------------------------
# value sets


def q_support(low: float, high: float, q: float) -> list[float]:
    """Every value `clip(round(x / q) * q, low, high)` can take for x in [low, high], ascending,
    computed as NNI does (integer multiples of q, e.g. 1.1500000000000001)."""
    low, high, q = float(low), float(high), float(q)
    ks = np.arange(np.round(low / q), np.round(high / q) + 1)
    values: list[float] = []
    for k in ks:
        v = min(max(float(k) * q, low), high)
        if not values or v != values[-1]:
            values.append(v)
    return values


def q_support_size(low: float, high: float, q: float) -> int:
    return int(np.round(high / q) - np.round(low / q) + 1)


def on_q_grid(x: float, q: float) -> bool:
    """Is x an integer multiple of q (up to float noise)?"""
    k = x / q
    return abs(k - round(k)) <= 1e-9 * max(1.0, abs(k))


def quantize(x: float, q: float, low: float | None = None, high: float | None = None) -> float:
    """NNI's q rounding (round half to even), clipped when bounds are given (q(log)uniform)."""
    x = round(x / q) * q
    if low is not None:
        x = max(x, low)
    if high is not None:
        x = min(x, high)
    return float(x)


def bisection_quantiles(levels: int = GRID_LEVELS) -> list[float]:
    """NNI 2.6+ grid search's points on the CDF: 1/2, then 1/4 and 3/4, then the eighths, ..."""
    out = []
    for level in range(1, levels + 1):
        n = 2 ** level
        out += [i / n for i in range(1, n, 2)]
    return out


def discretise(entry: Entry, levels: int = GRID_LEVELS) -> list[float]:
    """Finite values of a continuous entry for grid search: the inverse CDF at NNI 2.6+'s bisection
    points, q-rounded, de-duplicated, ascending."""
    values = []
    for u in bisection_quantiles(levels):
        t = entry.type
        if t in ("uniform", "quniform"):
            x = entry.low + u * (entry.high - entry.low)
        elif t in ("loguniform", "qloguniform"):
            x = math.exp(math.log(entry.low) + u * (math.log(entry.high) - math.log(entry.low)))
        else:
            x = statistics.NormalDist(entry.value[0], entry.value[1]).inv_cdf(u)
            if t in ("lognormal", "qlognormal"):
                x = math.exp(x)
        if entry.q is not None:
            clip = t in ("quniform", "qloguniform")
            x = quantize(x, entry.q, entry.low if clip else None, entry.high if clip else None)
        values.append(float(x))
    return sorted(set(values))


def grid_values(entry: Entry, levels: int = GRID_LEVELS) -> list[Any]:
    """The values grid search visits for a non-nested entry: choice values, randint's integers,
    the full q-grid of q(log)uniform (as NNI <= 2.5 enumerates quniform), else a discretisation."""
    if entry.type == "choice":
        return list(entry.value)
    if entry.type == "randint":
        return list(range(entry.low, entry.high))
    if entry.type in ("quniform", "qloguniform"):
        return q_support(entry.low, entry.high, entry.q)
    return discretise(entry, levels)


def grid_configs(entry: Entry, levels: int = GRID_LEVELS) -> list[Any]:
    """Every complete value of an entry for grid search; a nested choice gives one dict per
    combination of its chosen option's sub-parameters (`{"_name": ..., sub: value}`)."""
    if not entry.nested:
        return grid_values(entry, levels)
    out: list[Any] = []
    for option in entry.options or []:
        combos: list[dict] = [{"_name": option.name}]
        for sub in option.params:
            combos = [{**c, sub.key: v} for c in combos for v in grid_configs(sub, levels)]
        out += combos
    return out


def cardinality(entry: Entry) -> int | None:
    """Number of distinct values NNI can deliver; None when infinite."""
    if entry.nested:
        total = 0
        for option in entry.options or []:
            n = 1
            for sub in option.params:
                c = cardinality(sub)
                if c is None:
                    return None
                n *= c
            total += n
        return total
    if entry.type == "choice":
        return len(entry.value)
    if entry.type == "randint":
        return entry.high - entry.low
    if entry.type in ("quniform", "qloguniform"):
        return len(q_support(entry.low, entry.high, entry.q)) if q_support_size(
            entry.low, entry.high, entry.q) <= 1_000_000 else None
    return None
