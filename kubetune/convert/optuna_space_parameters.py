"""The `parameters` block of a SearchSpace file -> Katib parameters, the trial's flags and the
kubetune.io/conditions entries (every value written by kubetune.experiment.katib_text).

Searched parameters ({type: categorical|float|int, ...}) become Katib parameters with their whole
domain and a `--<name>=${trialParameters.<name>}` flag (or their `flag`, or none with `flag: false`);
fixed values become fixed flags; `when`/`neutral` become the conditions annotation entries.
"""
from __future__ import annotations

import math
from typing import Any

from kubetune.experiment import distributions as dist_table
from kubetune.experiment.katib_text import katib_string
from kubetune.experiment.step_values import show_values

from .errors import Problems, join, show
from .nni_encode import MAX_LIST
from .optuna_space_format import FIXED_KEYS, NAME_RE, PARAMETER_KEYS, PARAMETER_TYPES, check_keys


def compile_parameters(problems: Problems, node: Any, algorithm: str = "tpe", resource: str = ""
                       ) -> tuple[list[dict], list[dict], list[str], dict[str, dict]]:
    """(Katib parameters, trialParameters, extra args, conditions annotation entries). `algorithm`
    decides how a step is written (`_keep_step_meaning`), except for the `resource` parameter
    (hyperband's resource_name), whose values the algorithm sets rather than samples."""
    if not isinstance(node, dict) or not node:
        problems.add("parameters", "required: a mapping name -> {type: categorical|float|int, ...} or a fixed value")
        return [], [], [], {}
    parameters, trial_parameters, args = [], [], []
    conditions: dict[str, dict] = {}
    types: dict[str, str] = {}
    for name, spec in node.items():
        path = join("parameters", name)
        if not isinstance(name, str) or not NAME_RE.fullmatch(name):
            problems.add(path, f"parameter name {show(name)} must be letters, digits, '_' or '-' (starting with a "
                               "letter or '_')")
            continue
        if not isinstance(spec, dict) or "fixed" in spec:
            flag, value = _fixed(problems, path, name, spec)
            if flag is not None:
                args.append(f"{flag}={value}")
            continue
        kind = spec.get("type")
        if kind not in PARAMETER_TYPES:
            problems.add(join(path, "type"), f"found {show(kind)}", PARAMETER_TYPES)
            continue
        check_keys(problems, path, spec, PARAMETER_KEYS[kind])
        katib = _categorical(problems, path, spec) if kind == "categorical" else _numeric(problems, path, spec, kind)
        if katib is None:
            continue
        note = "" if name == resource else _keep_step_meaning(katib, algorithm)
        types[name] = kind
        parameters.append({"name": name, **katib})
        tp: dict[str, Any] = {"name": name, "reference": name}
        description = "; ".join(str(d) for d in (spec.get("description"), note) if d)
        if description:
            tp["description"] = description
        trial_parameters.append(tp)
        flag = _flag(problems, path, name, spec.get("flag", f"--{name}"))
        if flag is not None:
            args.append(f"{flag}=${{trialParameters.{name}}}")
        entry: dict[str, Any] = {}
        if "when" in spec:
            when = spec["when"]
            if not isinstance(when, dict) or not when:
                problems.add(join(path, "when"), "must be a mapping parent -> value or list of values")
            else:
                for parent in when:
                    if parent not in node or parent == name:
                        problems.add(join(join(path, "when"), parent), "is not another parameter of this space",
                                     [n for n in node if n != name])
                    elif not isinstance(node[parent], dict) or "fixed" in node[parent]:
                        problems.add(join(join(path, "when"), parent), "is a fixed value; a parent must be searched")
                entry["when"] = {str(k): _value_list(v) for k, v in when.items()}
        if "neutral" in spec:
            if "when" not in spec:
                problems.add(join(path, "neutral"), "only a conditional parameter (with `when`) has a neutral value")
            entry["neutral"] = katib_string(spec["neutral"])
        if entry.get("when"):
            conditions[name] = entry
    return parameters, trial_parameters, args, conditions


def _fixed(problems: Problems, path: str, name: str, spec: Any) -> tuple[str | None, str]:
    if isinstance(spec, dict):
        check_keys(problems, path, spec, FIXED_KEYS)
        flag, value = spec.get("flag", f"--{name}"), spec.get("fixed")
    else:
        flag, value = f"--{name}", spec
    if isinstance(value, (list, dict)) or value is None:
        problems.add(path, f"found {show(value)}; a fixed value must be a single string, number or boolean "
                           "(or a mapping {type: ...} to search it)")
        return None, ""
    return _flag(problems, path, name, flag), katib_string(value)


def _flag(problems: Problems, path: str, name: str, flag: Any) -> str | None:
    if flag is False or flag is None:
        return None  # the trial's args reference ${trialParameters.<name>} themselves
    if not isinstance(flag, str) or not flag.startswith("-") or "=" in flag or " " in flag:
        problems.add(join(path, "flag"), f"found {show(flag)}; must be an option like --{name} (or false)")
        return None
    return flag


def _categorical(problems: Problems, path: str, spec: dict) -> dict | None:
    choices = spec.get("choices")
    if not isinstance(choices, list) or not choices:
        problems.add(join(path, "choices"), "required: a non-empty list of values")
        return None
    if not all(isinstance(c, (str, int, float, bool)) for c in choices):
        problems.add(join(path, "choices"), "values must be strings, numbers or booleans")
        return None
    values = [katib_string(c) for c in choices]
    if len(set(values)) != len(values):
        problems.add(join(path, "choices"), f"values repeat: {', '.join(values)}")
        return None
    return {"parameterType": "categorical", "feasibleSpace": {"list": values}}


def _numeric(problems: Problems, path: str, spec: dict, kind: str) -> dict | None:
    bounds = {}
    for key in ("low", "high", "step"):
        if key not in spec:
            continue
        number = _number(spec[key])
        if number is None or (kind == "int" and number != int(number)):
            want = "an integer" if kind == "int" else "a number"
            problems.add(join(path, key), f"found {show(spec[key])}; must be {want}")
            return None
        bounds[key] = int(number) if kind == "int" else number
    for key in ("low", "high"):
        if key not in bounds:
            problems.add(join(path, key), "required")
            return None
    log = spec.get("log", False)
    if not isinstance(log, bool):
        problems.add(join(path, "log"), f"found {show(log)}; must be true or false")
        return None
    low, high, step = bounds["low"], bounds["high"], bounds.get("step")
    if low >= high:
        problems.add(join(path, "low"), f"low {show(spec['low'])} must be below high {show(spec['high'])}")
        return None
    if step is not None and step <= 0:
        problems.add(join(path, "step"), f"found {show(spec['step'])}; must be > 0")
        return None
    if log and low <= 0:
        problems.add(join(path, "low"), f"found {show(spec['low'])}; a log scale needs low > 0")
        return None
    if log and step is not None and not (kind == "int" and step == 1):
        problems.add(join(path, "step"), "Optuna does not take step together with log (except int step 1)")
        return None
    space: dict[str, str] = {"min": katib_string(low), "max": katib_string(high)}
    if step is not None:
        space["step"] = katib_string(step)
    if log:
        space["distribution"] = "logUniform"
    return {"parameterType": "int" if kind == "int" else "double", "feasibleSpace": space}


def _keep_step_meaning(katib: dict, algorithm: str) -> str:
    """Optuna's step means low + k * step. Where a Katib service for `algorithm` draws other values
    for the step (kubetune.experiment.distributions: random and tpe round to multiples of the step
    from 0; bayesianoptimization and hyperband never read it), rewrite the parameter in place as a
    list of Optuna's values (discrete, or categorical where the service takes discrete values as
    integers only), as kubetune.convert.nni_encode does for NNI's q-types; returns the note
    saying so ("" when nothing changed)."""
    space, ptype = katib["feasibleSpace"], katib["parameterType"]
    if "step" not in space:
        return ""
    dist = space.get("distribution", "uniform")
    low, high, step = float(space["min"]), float(space["max"]), float(space["step"])
    changed = dist_table.step_changes_values(algorithm, ptype, dist, low, high, step)
    ignored = None if changed else dist_table.step_ignored(algorithm, ptype, dist, low, high, step)
    if changed is not None:
        drawn, grid = changed
        why = (f"{algorithm} (Katib's hyperopt) would draw multiples of {space['step']} "
               f"({show_values(drawn, ptype)})")
    elif ignored is not None:
        eras, grid = ignored
        service = dist_table.ALGORITHM_SERVICE[algorithm].name
        why = (f"{dist_table.era_span(eras)}: Katib's {service} service for {algorithm} ignores the step "
               f"and would draw any {'integer' if ptype == 'int' else 'number'} of [{space['min']}, {space['max']}]")
    else:
        return ""
    was = (f"Optuna's {space['min']}..{space['max']} step {space['step']} "
           f"({show_values(grid, ptype)})")
    if grid.count > MAX_LIST:
        return f"{was} kept as a step although {why}: too many values to list"
    values = [katib_string(int(v) if ptype == "int" else float(v)) for v in grid.values()]
    list_type = dist_table.list_type(algorithm, ptype)
    katib["parameterType"], katib["feasibleSpace"] = list_type, {"list": values}
    return f"{was} written as a {list_type} list: {why}"


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:  # YAML 1.1 reads 1e-4 (no dot) as a string: accept numeric strings
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _value_list(value: Any) -> list[str] | str:
    if isinstance(value, list):
        return [katib_string(v) for v in value]
    return katib_string(value)
