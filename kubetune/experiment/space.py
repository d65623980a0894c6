"""The search space as the algorithms see it: typed parameters with Katib's value formatting.

Katib keeps every bound as a string (`feasibleSpace.min: "0.01"`); the suggestion services
parse them with Python's int()/float(), and hand values back as strings: `str()` of the
sampled number, list entries verbatim (katib-semantics 3.3). Grid values follow the optuna
service: int -> range(min, max + 1, step or 1); double -> numpy.arange(min, max + step, step)
with the last point dropped when it overshoots max.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .errors import Problem, SpecError, error, show

PARAMETER_TYPES = ("int", "double", "categorical", "discrete")
DISTRIBUTIONS = ("uniform", "logUniform", "normal", "logNormal")
MAX_GRID = 10_000_000  # beyond this a grid is "infinite" for every practical purpose


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str  # 'int' | 'double' | 'categorical' | 'discrete'
    min: float | int | None = None
    max: float | int | None = None
    step: float | int | None = None
    values: tuple[str, ...] = ()  # categorical/discrete list, verbatim strings
    distribution: str = "uniform"  # 'uniform' | 'logUniform' | 'normal' | 'logNormal'

    @property
    def is_numeric(self) -> bool:
        return self.type in ("int", "double")

    def grid_values(self) -> list[str]:
        """Every value a grid search visits, as Katib's grid (optuna) service renders them."""
        if self.type == "int":
            step = int(self.step) if self.step is not None else 1
            count = _range_len(int(self.min), int(self.max) + 1, step)
            if count > MAX_GRID:
                raise ValueError(f"parameter {self.name}: grid of {count} values is too large")
            return [str(v) for v in range(int(self.min), int(self.max) + 1, step)]
        if self.type == "double":
            if self.step is None:
                raise ValueError(f"parameter {self.name}: a double needs feasibleSpace.step for grid")
            return [repr(v) for v in _double_grid(float(self.min), float(self.max), float(self.step))]
        return list(self.values)

    def cardinality(self) -> int | None:
        """Number of distinct values; None when infinite (double without step)."""
        if self.type == "int":
            step = int(self.step) if self.step is not None else 1
            return _range_len(int(self.min), int(self.max) + 1, step)
        if self.type == "double":
            if self.step is None:
                return None
            count = _double_count(float(self.min), float(self.max), float(self.step))
            return count
        return len(self.values)

    def format_value(self, v: Any) -> str:
        """A value as Katib writes it into an assignment: int "3", double shortest repr."""
        if self.type == "int":
            return str(int(v))
        if self.type == "double":
            return repr(float(v))
        return str(v)


def _range_len(start: int, stop: int, step: int) -> int:
    if step <= 0:
        raise ValueError("step must be > 0")
    return max(0, (stop - start + step - 1) // step)


def _double_count(lo: float, hi: float, step: float) -> int:
    estimate = (hi - lo) / step
    if not math.isfinite(estimate) or estimate > MAX_GRID:
        raise ValueError(f"grid from {lo} to {hi} by {step} is too large")
    return len(_double_grid(lo, hi, step))


def _double_grid(lo: float, hi: float, step: float) -> list[float]:
    import numpy as np  # only needed here; keep `import kubetune.experiment` light

    if step <= 0:
        raise ValueError("step must be > 0")
    if not math.isfinite((hi - lo) / step) or (hi - lo) / step > MAX_GRID:
        raise ValueError(f"grid from {lo} to {hi} by {step} is too large")
    values = np.arange(lo, hi + step, step)
    if len(values) and values[-1] > hi:
        values = values[:-1]
    return [float(v) for v in values]


# ---------------------------------------------------------------------------------------------
# Parsing the strings Katib stores.


def parse_int(text: str) -> int:
    """Python int() as Katib's Python services use it; rejects '1.5' and '1e3'."""
    return int(text)


def parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value


def check_parameter(param: Any, path: str) -> tuple[Parameter | None, list[Problem]]:
    """Parse one (decoded, defaulted) ParameterSpec; return the Parameter or the problems.

    These are the checks Katib leaves to the suggestion services (numbers that parse,
    min <= max, step > 0, a non-empty list); the webhook's own checks are in validate.py.
    """
    problems: list[Problem] = []
    if not isinstance(param, dict):
        return None, [error(path, f"found {show(param)}; must be a mapping")]
    name = param.get("name") if isinstance(param.get("name"), str) else ""
    ptype = param.get("parameterType") if isinstance(param.get("parameterType"), str) else ""
    space = param.get("feasibleSpace") if isinstance(param.get("feasibleSpace"), dict) else {}
    sp = f"{path}.feasibleSpace"
    if not name:
        problems.append(error(f"{path}.name", "required field is missing",
                              "every parameter needs a name that a trialParameter references"))
    if ptype not in PARAMETER_TYPES:
        # 'unknown' passes the webhook but no suggestion service can sample it
        return None, problems + ([error(f"{path}.parameterType",
                                        f"found {show(ptype)}; no algorithm can sample it",
                                        "use int, double, categorical or discrete")]
                                 if ptype == "unknown" else [])
    distribution = space.get("distribution") if isinstance(space.get("distribution"), str) else ""
    if distribution in ("", "unknown"):
        distribution = "uniform"
    if ptype in ("categorical", "discrete"):
        values = space.get("list") if isinstance(space.get("list"), list) else []
        if not all(isinstance(v, str) for v in values):
            return None, problems + [error(f"{sp}.list", "list items must be strings")]
        if not values:
            problems.append(error(f"{sp}.list", f"a {ptype} parameter needs a non-empty list",
                                  'e.g. list: ["sgd", "adam"]'))
            return None, problems
        if problems:
            return None, problems
        return Parameter(name, ptype, values=tuple(values), distribution=distribution), problems

    parse = parse_int if ptype == "int" else parse_float
    want = "an integer" if ptype == "int" else "a finite number"
    numbers: dict[str, Any] = {}
    for key in ("min", "max", "step"):
        text = space.get(key)
        if text in (None, ""):
            continue
        if not isinstance(text, str):
            problems.append(error(f"{sp}.{key}", f"found {show(text)}; must be a string",
                                  f'Katib reads it as a string; quote it: {key}: "{show(text)}"'))
            continue
        try:
            numbers[key] = parse(text)
        except (ValueError, TypeError):
            hint = "Katib reads it as a string and parses it when sampling"
            if ptype == "int":
                hint = f"an int parameter needs whole numbers like \"3\"; {hint}"
            problems.append(error(f"{sp}.{key}", f"found {show(text)}; must be {want}", hint))
    if "min" in numbers and "max" in numbers and numbers["min"] > numbers["max"]:
        problems.append(error(f"{sp}.min", f"min {show(space['min'])} is greater than max "
                                            f"{show(space['max'])}", "swap them"))
    if "step" in numbers and numbers["step"] <= 0:
        problems.append(error(f"{sp}.step", f"found {show(space['step'])}; step must be greater than 0"))
    if problems or "min" not in numbers or "max" not in numbers:
        return None, problems
    return Parameter(name, ptype, numbers["min"], numbers["max"], numbers.get("step"),
                     distribution=distribution), problems


def parse_parameters(spec: dict) -> list[Parameter]:
    """The typed parameters of a (defaulted) spec; SpecError if any cannot be parsed."""
    params = spec.get("parameters") if isinstance(spec, dict) else None
    out: list[Parameter] = []
    problems: list[Problem] = []
    for i, raw in enumerate(params if isinstance(params, list) else []):
        param, found = check_parameter(raw, f"spec.parameters[{i}]")
        problems += found
        if param is not None:
            out.append(param)
        elif not found:
            problems.append(error(f"spec.parameters[{i}]", "cannot be parsed"))
    if problems:
        raise SpecError(problems)
    return out


def space_size(parameters: list[Parameter]) -> int | None:
    """Number of points in the product space; None when any parameter is continuous."""
    total = 1
    for p in parameters:
        n = p.cardinality()
        if n is None:
            return None
        total *= n
    return total
