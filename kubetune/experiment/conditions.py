"""Conditional parameters: kubetune's `kubetune.io/conditions` annotation.

Katib's search space is a flat list of parameters. The annotation says which of them only mean
something when a parent parameter takes given values, as Optuna's define-by-run code does
(`if optimizer == "sgd": momentum = trial.suggest_float(...)`):

    metadata:
      annotations:
        kubetune.io/conditions: |
          momentum: {when: {optimizer: [sgd, rmsprop]}}
          betas:    {when: {optimizer: [adam, adamw]}, neutral: "0.9,0.999"}

* `when`: parent parameter -> the value (or list of values) that make the parameter active.
  Several parents must all match. A parent may itself be conditional: an inactive parent makes
  its children inactive. Parents are categorical, discrete or int parameters; values are written
  as they appear in assignments (int and discrete values compare as numbers: 2 matches "2").
* `neutral`: the value an inactive parameter is given. Default: the first list entry
  (categorical, discrete) or `min` (int, double). It must be a value of the parameter's type but
  may lie outside the feasible space (e.g. weight decay "0" next to a log-uniform range).

The local engine samples define-by-run (kubetune.algorithms.define_by_run): only active
parameters are asked from the sampler, inactive ones get their neutral value. Katib ignores
annotations: it samples every parameter (flattened), so the trial must ignore a parameter whose
parent makes it inactive (the trainer ignores momentum for adam, betas for sgd, the kernel of an
InvertedResidualv2 cell...). See docs/search-spaces.md.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import yaml

from . import distributions as dist_table
from .step_values import StepValues, show_values, step_grid, step_multiples
from .errors import Problem, did_you_mean, error, kind_of, show
from .space import Parameter

CONDITIONS_ANNOTATION = "kubetune.io/conditions"
ANNOTATION_PATH = f"metadata.annotations[{CONDITIONS_ANNOTATION}]"
PARENT_TYPES = ("categorical", "discrete", "int")
# Algorithms whose local suggester is an Optuna study, so it can be asked define-by-run.
DEFINE_BY_RUN_ALGORITHMS = ("random", "tpe", "multivariate-tpe", "cmaes", "bayesianoptimization")
_KEYS = ("when", "neutral")


@dataclass(frozen=True)
class Condition:
    parameter: str
    when: tuple[tuple[str, frozenset[str]], ...]  # (parent, its canonical values that activate)
    neutral: str  # the value string an inactive parameter gets


class ConditionalSpace:
    """The parameters with their conditions; `order` lists parents before children."""

    def __init__(self, parameters: Sequence[Parameter], conditions: Mapping[str, Condition]) -> None:
        self.parameters = list(parameters)
        self.by_name = {p.name: p for p in self.parameters}
        self.conditions = dict(conditions)
        self.order = _parents_first([p.name for p in self.parameters], self.conditions)

    def is_active(self, name: str, assignments: Mapping[str, str]) -> bool:
        """Active when every parent is active and has one of the listed values."""
        condition = self.conditions.get(name)
        if condition is None:
            return True
        for parent, allowed in condition.when:
            if not self.is_active(parent, assignments):
                return False
            value = assignments.get(parent)
            if value is None or canonical_value(self.by_name[parent], value) not in allowed:
                return False
        return True

    def neutral(self, name: str) -> str:
        return self.conditions[name].neutral

    def neutralise(self, assignments: Mapping[str, str]) -> dict[str, str]:
        """The assignments with every inactive parameter set to its neutral value."""
        return {n: (v if self.is_active(n, assignments) else self.neutral(n)) for n, v in assignments.items()}


def never_drawn(space: ConditionalSpace, algorithm: str, path: str = ANNOTATION_PATH) -> list[Problem]:
    """Errors for `when` values of an int parent that `algorithm` never draws, so that the child
    can never be active: random and tpe (Katib's hyperopt, and kubetune run alike) round to
    multiples of the step from 0 (int [1, 5] step 2 draws 2 and 4), the others draw the grid
    min + k * step. `algorithm` "" (NSGA-II for objectives): the grid. `path`: where the
    annotation was written (its setting form, kubetune.experiment.extension_form)."""
    problems = []
    for child, condition in space.conditions.items():
        for parent, allowed in condition.when:
            param = space.by_name[parent]
            if param.type != "int":
                continue
            drawn, how = _int_draws(param, algorithm)
            for value in sorted(v for v in allowed if not drawn.contains(int(v))):
                problems.append(error(f"{path}.{child}.when.{parent}", f"{value} is never drawn for {parent} "
                                      f"({how}: {show_values(drawn, 'int')}), so {child} is "
                                      "never active with it",
                                      f"list values {parent} takes, or make {parent} a discrete parameter "
                                      "listing the values meant"))
    return problems


def _int_draws(param: Parameter, algorithm: str) -> tuple[StepValues, str]:
    """The values an int parameter takes under `algorithm` (in kubetune run and on Katib), and how."""
    step = int(param.step) if param.step else 1
    dist = param.distribution or dist_table.UNIFORM
    multiples = dist_table.draws_step_multiples(algorithm, "int", dist) or (
        dist in (dist_table.NORMAL, dist_table.LOG_NORMAL) and dist_table.samples_unclipped_normal(algorithm))
    if multiples:
        return (step_multiples(param.min, param.max, step),
                f"{algorithm} draws multiples of {step} from 0")
    return step_grid(param.min, param.max, step), f"the values are min + k * {step}"


def canonical_value(param: Parameter, value: Any) -> str | None:
    """A parent value as the parameter writes it, or None when it is not one of its values.

    categorical: the list entry itself; discrete: the list entry equal as text or number;
    int: str(int). YAML booleans are read as "true"/"false".
    """
    text = _text(value)
    if text is None:
        return None
    if param.type == "categorical":
        return text if text in param.values else None
    number = _number(text)
    if param.type == "discrete":
        if text in param.values:
            return text
        for entry in param.values:
            if number is not None and _number(entry) == number:
                return entry
        return None
    if param.type == "int":
        if number is None or number != int(number) or not param.min <= number <= param.max:
            return None
        return str(int(number))
    return None


def parse_conditions(annotations: Mapping[str, Any] | None, parameters: Sequence[Parameter]
                     ) -> tuple[ConditionalSpace | None, list[Problem]]:
    """The conditional space of an Experiment (None without the annotation) and the problems
    (errors) found in the annotation."""
    if not annotations or CONDITIONS_ANNOTATION not in annotations:
        return None, []
    text = annotations[CONDITIONS_ANNOTATION]
    if not isinstance(text, str):
        return None, [error(ANNOTATION_PATH, f"found {kind_of(text)}; annotation values are strings",
                            "write the mapping as a YAML block: kubetune.io/conditions: |")]
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return None, [error(ANNOTATION_PATH, f"is not valid YAML: {_first_line(exc)}")]
    if not isinstance(document, dict) or not document:
        return None, [error(ANNOTATION_PATH, f"found {kind_of(document)}; must be a non-empty mapping "
                            "parameter -> {when: {parent: [values]}}",
                            "e.g. momentum: {when: {optimizer: [sgd]}}")]
    by_name = {p.name: p for p in parameters}
    problems: list[Problem] = []
    conditions: dict[str, Condition] = {}
    for name, entry in document.items():
        condition, found = _condition(str(name), entry, by_name)
        problems += found
        if condition is not None:
            conditions[condition.parameter] = condition
    cycle = _cycle(conditions)
    if cycle:
        problems.append(error(ANNOTATION_PATH, f"conditions form a cycle: {' -> '.join(cycle)}",
                              "a parameter cannot depend on itself, directly or through its parents"))
    if problems:
        return None, problems
    return ConditionalSpace(parameters, conditions), []


def _condition(name: str, entry: Any, by_name: Mapping[str, Parameter]) -> tuple[Condition | None, list[Problem]]:
    path = f"{ANNOTATION_PATH}.{name}"
    if name not in by_name:
        hint = did_you_mean(name, by_name) or f"parameters: {', '.join(by_name)}"
        return None, [error(path, f"{show(name)} is not a parameter of spec.parameters", hint)]
    if not isinstance(entry, dict):
        return None, [error(path, f"found {kind_of(entry)}; must be a mapping with `when` (and optionally "
                            "`neutral`)", f"e.g. {name}: {{when: {{optimizer: [sgd]}}}}")]
    problems = [error(f"{path}.{key}", f"unknown key {show(key)}",
                      did_you_mean(str(key), _KEYS) or f"allowed: {', '.join(_KEYS)}")
                for key in entry if key not in _KEYS]
    when = entry.get("when")
    if not isinstance(when, dict) or not when:
        problems.append(error(f"{path}.when", f"found {kind_of(when)}; must be a non-empty mapping parent -> "
                              "values", f"e.g. when: {{optimizer: [sgd]}}"))
        when = {}
    clauses = []
    for parent, values in when.items():
        clause, found = _clause(name, str(parent), values, by_name, f"{path}.when.{parent}")
        problems += found
        if clause is not None:
            clauses.append(clause)
    param = by_name[name]
    neutral, found = _neutral(param, entry.get("neutral"), "neutral" in entry, f"{path}.neutral")
    problems += found
    if problems:
        return None, problems
    return Condition(name, tuple(clauses), neutral), []


def _clause(child: str, parent: str, values: Any, by_name: Mapping[str, Parameter],
            path: str) -> tuple[tuple[str, frozenset[str]] | None, list[Problem]]:
    if parent == child:
        return None, [error(path, f"{child} cannot depend on itself")]
    param = by_name.get(parent)
    if param is None:
        hint = did_you_mean(parent, by_name) or f"parameters: {', '.join(by_name)}"
        return None, [error(path, f"parent {show(parent)} is not a parameter of spec.parameters", hint)]
    if param.type not in PARENT_TYPES:
        return None, [error(path, f"parent {parent} is a {param.type} parameter; a parent must be one of "
                            f"{', '.join(PARENT_TYPES)}", "conditions on continuous values are not supported")]
    listed = values if isinstance(values, list) else [values]
    if not listed:
        return None, [error(path, "the list of values is empty", "list the parent values that activate "
                            f"{child}")]
    allowed: set[str] = set()
    problems = []
    for i, value in enumerate(listed):
        canonical = canonical_value(param, value)
        if canonical is None:
            domain = (", ".join(param.values) if param.values
                      else f"integers {param.format_value(param.min)}..{param.format_value(param.max)}")
            hint = did_you_mean(str(value), param.values) if param.values else ""
            problems.append(error(f"{path}[{i}]" if isinstance(values, list) else path,
                                  f"{show(value)} is not a value of {parent} ({domain})", hint))
        else:
            allowed.add(canonical)
    if problems:
        return None, problems
    return (parent, frozenset(allowed)), []


def _neutral(param: Parameter, value: Any, given: bool, path: str) -> tuple[str, list[Problem]]:
    if not given:
        return (param.values[0] if param.values else param.format_value(param.min)), []
    text = _text(value)
    if text is None:
        return "", [error(path, f"found {kind_of(value)}; must be a single value")]
    if param.type == "int":
        number = _number(text)
        if number is None or number != int(number):
            return "", [error(path, f"found {show(value)}; {param.name} is an int parameter: give an integer")]
        return str(int(number)), []
    if param.type in ("double", "discrete"):
        number = _number(text)
        if number is None:
            return "", [error(path, f"found {show(value)}; {param.name} is a {param.type} parameter: give a "
                                    "number")]
        return (repr(number) if param.type == "double" else text), []
    return text, []


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return value if isinstance(value, str) else repr(value) if isinstance(value, float) else str(value)
    return None


def _number(text: str) -> float | None:
    try:
        number = float(text)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _cycle(conditions: Mapping[str, Condition]) -> list[str]:
    """A dependency cycle as a path (first name repeated at the end), or []."""
    parents = {name: [p for p, _ in c.when] for name, c in conditions.items()}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(name: str, path: list[str]) -> list[str]:
        if state.get(name) == 1:
            return path[path.index(name):] + [name]
        if state.get(name) == 2:
            return []
        state[name] = 1
        for parent in parents.get(name, ()):
            found = visit(parent, path + [name])
            if found:
                return found
        state[name] = 2
        return []

    for name in parents:
        found = visit(name, [])
        if found:
            return found
    return []


def _parents_first(names: list[str], conditions: Mapping[str, Condition]) -> list[str]:
    """Spec order, except that a parameter comes after all of its parents (define-by-run order)."""
    placed: list[str] = []
    seen: set[str] = set()

    def place(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for parent, _ in conditions[name].when if name in conditions else ():
            place(parent)
        placed.append(name)

    for name in names:
        place(name)
    return placed


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
