"""Optuna-style search spaces (seeds 003/004): a small YAML file compiled into a Katib Experiment.

The lecture writes its search as Optuna code: `trial.suggest_categorical("optimizer", [...])`,
`suggest_float("lr", 1e-4, 1e-1, log=True)`, `suggest_int("n_repeat", 1, 3)`, and conditional
parameters inside `if optimizer == "sgd":`. This format says the same in YAML:

    apiVersion: kubetune.io/v1alpha1
    kind: SearchSpace
    metadata: {name: lecture-nas}
    objective: {metric: accuracy, direction: maximize}
    algorithm: tpe
    trials: 20
    parallel: 2
    trial:
      image: ghcr.io/kubetune/kubetune-trainer:0.1.0
      command: [python, -m, trainer, train]
      args: [--data=/data, --model=cells]
    parameters:
      optimizer: {type: categorical, choices: [sgd, adam]}
      momentum: {type: float, low: 0.5, high: 0.99, when: {optimizer: sgd}}
      lr: {type: float, low: 1.0e-4, high: 0.1, log: true}
      n_repeat: {type: int, low: 1, high: 3}
      epochs: 2                                     # a fixed value

`compile_space` turns it into a complete Katib Experiment: every parameter (conditional or not)
is a Katib parameter with its whole domain (the flattened space Katib searches), passed to the
trial as `--<name>=${trialParameters.<name>}` (or its `flag`); fixed values become fixed flags;
the conditions go into the annotation `kubetune.io/conditions` (kubetune.spec.conditions), which
`kubetune run` uses to sample define-by-run and Katib ignores. `objective.objectives` becomes
`kubetune.io/objectives` (multi-objective, kubetune.spec.objectives). The format is described in
docs/search-spaces.md.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import yaml

from .errors import ConvertError, Problems, join, show

API_VERSION = "kubetune.io/v1alpha1"
KIND = "SearchSpace"
COMPILED_FROM_ANNOTATION = "kubetune.io/compiled-from"
CONTAINER = "training"
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
K8S_NAME_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")

TOP_KEYS = ("apiVersion", "kind", "metadata", "objective", "algorithm", "trials", "parallel", "maxFailed",
            "trial", "parameters")
METADATA_KEYS = ("name", "namespace", "annotations", "labels")
OBJECTIVE_KEYS = ("metric", "direction", "goal", "additionalMetrics", "strategies", "objectives", "populationSize")
ALGORITHM_KEYS = ("name", "settings")
TRIAL_KEYS = ("image", "command", "args", "env", "resources", "volumes", "workingDir", "deadlineSeconds",
              "primaryContainerName")
VOLUME_KEYS = ("mountPath", "pvc", "subPath", "readOnly", "emptyDir")
PARAMETER_TYPES = ("categorical", "float", "int")
PARAMETER_KEYS = {
    "categorical": ("type", "choices", "when", "neutral", "flag", "description"),
    "float": ("type", "low", "high", "step", "log", "when", "neutral", "flag", "description"),
    "int": ("type", "low", "high", "step", "log", "when", "neutral", "flag", "description"),
}
FIXED_KEYS = ("fixed", "flag")
DIRECTIONS = ("minimize", "maximize")
STRATEGIES = ("min", "max", "latest")


def is_space_document(document: Any) -> bool:
    return isinstance(document, dict) and document.get("kind") == KIND


def is_space_file(path: str | Path) -> bool:
    """True when the file's first YAML document is a `kind: SearchSpace`."""
    try:
        with open(path, encoding="utf-8") as f:
            documents = [d for d in yaml.safe_load_all(f) if d is not None]
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return False
    return bool(documents) and is_space_document(documents[0])


def load_space(path: str | Path) -> dict:
    """The SearchSpace document of a file; ConvertError naming the file otherwise."""
    source = str(path)
    try:
        with open(path, encoding="utf-8") as f:
            documents = [d for d in yaml.safe_load_all(f) if d is not None]
    except OSError as exc:
        raise ConvertError([f"{source}: {exc.strerror or exc}"]) from None
    except yaml.YAMLError as exc:
        raise ConvertError([f"{source}: not valid YAML: {str(exc).strip()}"]) from None
    if len(documents) != 1 or not is_space_document(documents[0]):
        raise ConvertError([f"{source}: expected one document with kind: {KIND}"])
    return documents[0]


def compile_space_file(path: str | Path) -> dict:
    """Load and compile a space file into an Experiment document."""
    return compile_space(load_space(path), source=str(path))


# ---------------------------------------------------------------------------------------------


def compile_space(doc: dict, source: str = "<space>") -> dict:
    """The Katib Experiment document for a SearchSpace document; ConvertError lists every problem."""
    problems = Problems(Path(source).name if source != "<space>" else source)
    _keys(problems, "", doc, TOP_KEYS)
    if doc.get("apiVersion", API_VERSION) != API_VERSION:
        problems.add("apiVersion", f"found {show(doc.get('apiVersion'))}", [API_VERSION])
    metadata = _metadata(problems, doc.get("metadata"))
    objective, extra_annotations = _objective(problems, doc.get("objective"))
    algorithm = _algorithm(problems, doc.get("algorithm", "tpe"))
    counts = {key: _count(problems, key, doc.get(key)) for key in ("trials", "parallel", "maxFailed")}
    container, volumes, deadline, primary = _container(problems, doc.get("trial"))
    parameters, trial_parameters, args, conditions = _parameters(problems, doc.get("parameters"))
    problems.raise_if_any()

    container["args"] = list(container.get("args", [])) + args
    annotations = dict(metadata.get("annotations") or {})
    annotations[COMPILED_FROM_ANNOTATION] = Path(source).name
    if conditions:
        annotations["kubetune.io/conditions"] = _conditions_text(conditions)
    annotations.update(extra_annotations)
    meta: dict[str, Any] = {"name": metadata["name"]}
    if metadata.get("namespace"):
        meta["namespace"] = metadata["namespace"]
    if metadata.get("labels"):
        meta["labels"] = metadata["labels"]
    meta["annotations"] = annotations

    job_spec: dict[str, Any] = {}
    if deadline is not None:
        job_spec["activeDeadlineSeconds"] = deadline
    pod: dict[str, Any] = {"restartPolicy": "Never", "containers": [container]}
    if volumes:
        pod["volumes"] = volumes
    job_spec["template"] = {"spec": pod}
    spec: dict[str, Any] = {"objective": objective, "algorithm": algorithm}
    if counts["parallel"] is not None:
        spec["parallelTrialCount"] = counts["parallel"]
    if counts["trials"] is not None:
        spec["maxTrialCount"] = counts["trials"]
    if counts["maxFailed"] is not None:
        spec["maxFailedTrialCount"] = counts["maxFailed"]
    spec["parameters"] = parameters
    spec["trialTemplate"] = {
        "primaryContainerName": primary,
        "retain": True,
        "trialParameters": trial_parameters,
        "trialSpec": {"apiVersion": "batch/v1", "kind": "Job", "spec": job_spec},
    }
    document = {"apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment", "metadata": meta, "spec": spec}
    _self_check(document, source)
    return document


def _keys(problems: Problems, path: str, node: Any, allowed: tuple[str, ...]) -> None:
    if isinstance(node, dict):
        for key in node:
            if key not in allowed:
                problems.unknown_key(path, key, allowed)


def _metadata(problems: Problems, node: Any) -> dict:
    if not isinstance(node, dict) or not node.get("name"):
        problems.add("metadata.name", "required: the Experiment's name (lower-case letters, digits, '-')")
        return {"name": "space"}
    _keys(problems, "metadata", node, METADATA_KEYS)
    name = node["name"]
    if not isinstance(name, str) or not K8S_NAME_RE.fullmatch(name) or len(name) > 40:
        problems.add("metadata.name", f"found {show(name)}; must be lower-case letters, digits and '-', "
                                      "at most 40 characters")
    for key in ("annotations", "labels"):
        value = node.get(key)
        if value is not None and (not isinstance(value, dict)
                                  or not all(isinstance(v, str) for v in value.values())):
            problems.add(f"metadata.{key}", "must be a mapping of strings")
    return node


def _objective(problems: Problems, node: Any) -> tuple[dict, dict[str, str]]:
    path = "objective"
    if not isinstance(node, dict):
        problems.add(path, "required: {metric: NAME, direction: minimize|maximize}")
        return {}, {}
    _keys(problems, path, node, OBJECTIVE_KEYS)
    metric, direction = node.get("metric"), node.get("direction")
    if not isinstance(metric, str) or not metric:
        problems.add(join(path, "metric"), "required: the metric the trial prints, e.g. accuracy")
    if direction not in DIRECTIONS:
        problems.add(join(path, "direction"), f"found {show(direction)}", DIRECTIONS)
    out: dict[str, Any] = {"type": direction, "objectiveMetricName": metric}
    goal = node.get("goal")
    if goal is not None:
        if isinstance(goal, bool) or not isinstance(goal, (int, float)):
            problems.add(join(path, "goal"), f"found {show(goal)}; must be a number")
        else:
            out["goal"] = float(goal)
    additional = node.get("additionalMetrics") or []
    if not isinstance(additional, list) or not all(isinstance(m, str) and m for m in additional):
        problems.add(join(path, "additionalMetrics"), "must be a list of metric names")
        additional = []
    objectives = node.get("objectives")
    if isinstance(objectives, dict):  # listed objectives are collected as additional metrics
        for m in objectives:
            if isinstance(m, str) and m != metric and m not in additional:
                additional = [*additional, m]
    if additional:
        out["additionalMetricNames"] = list(additional)
    strategies = node.get("strategies") or {}
    if not isinstance(strategies, dict):
        problems.add(join(path, "strategies"), "must be a mapping metric -> min|max|latest")
        strategies = {}
    known = [metric, *additional]
    rows = []
    for name, value in strategies.items():
        if name not in known:
            problems.add(join(join(path, "strategies"), name), "is not the metric or an additional metric", known)
        elif value not in STRATEGIES:
            problems.add(join(join(path, "strategies"), name), f"found {show(value)}", STRATEGIES)
        else:
            rows.append({"name": name, "value": value})
    if rows:
        out["metricStrategies"] = rows
    annotations: dict[str, str] = {}
    if objectives is not None:
        if not isinstance(objectives, dict) or len(objectives) < 2:
            problems.add(join(path, "objectives"), "must map at least two metrics to minimize|maximize")
        else:
            for name, value in objectives.items():
                if value not in DIRECTIONS:
                    problems.add(join(join(path, "objectives"), name), f"found {show(value)}", DIRECTIONS)
            annotations["kubetune.io/objectives"] = _flow(objectives)
    population = node.get("populationSize")
    if population is not None:
        if isinstance(population, bool) or not isinstance(population, int) or population < 2:
            problems.add(join(path, "populationSize"), f"found {show(population)}; must be an integer >= 2")
        elif objectives is None:
            problems.add(join(path, "populationSize"), "is NSGA-II's population: set objective.objectives too")
        else:
            annotations["kubetune.io/population-size"] = str(population)
    return out, annotations


def _algorithm(problems: Problems, node: Any) -> dict:
    if isinstance(node, str):
        return {"algorithmName": node}
    if not isinstance(node, dict) or not isinstance(node.get("name"), str):
        problems.add("algorithm", f"found {show(node)}; write a name (tpe) or {{name: tpe, settings: {{...}}}}")
        return {"algorithmName": "tpe"}
    _keys(problems, "algorithm", node, ALGORITHM_KEYS)
    out: dict[str, Any] = {"algorithmName": node["name"]}
    settings = node.get("settings") or {}
    if not isinstance(settings, dict):
        problems.add("algorithm.settings", "must be a mapping name -> value")
        settings = {}
    if settings:
        out["algorithmSettings"] = [{"name": str(k), "value": _value_text(v)} for k, v in settings.items()]
    return out


def _count(problems: Problems, key: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        problems.add(key, f"found {show(value)}; must be an integer >= 1")
        return None
    return value


def _container(problems: Problems, node: Any) -> tuple[dict, list[dict], int | None, str]:
    path = "trial"
    if not isinstance(node, dict):
        problems.add(path, "required: {image: IMAGE, command: [...], args: [...]}")
        return {}, [], None, CONTAINER
    _keys(problems, path, node, TRIAL_KEYS)
    name = node.get("primaryContainerName", CONTAINER)
    container: dict[str, Any] = {"name": name}
    if not isinstance(node.get("image"), str) or not node["image"]:
        problems.add(join(path, "image"), "required: the trial image (e.g. ghcr.io/kubetune/kubetune-trainer:0.1.0)")
    container["image"] = node.get("image")
    for key in ("command", "args"):
        value = node.get(key)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool)
                                                  for v in value):
            problems.add(join(path, key), "must be a list of strings")
        else:
            container[key] = [str(v) for v in value]
    if node.get("workingDir") is not None:
        container["workingDir"] = str(node["workingDir"])
    env = node.get("env")
    if env is not None:
        if not isinstance(env, dict):
            problems.add(join(path, "env"), "must be a mapping NAME -> value")
        else:
            container["env"] = [{"name": str(k), "value": _value_text(v)} for k, v in env.items()]
    if node.get("resources") is not None:
        if not isinstance(node["resources"], dict):
            problems.add(join(path, "resources"), "must be a container resources mapping (limits/requests)")
        else:
            container["resources"] = node["resources"]
    mounts, volumes = [], []
    for i, volume in enumerate(node.get("volumes") or []):
        vpath = f"{path}.volumes[{i}]"
        if not isinstance(volume, dict) or not isinstance(volume.get("mountPath"), str):
            problems.add(vpath, "must be {mountPath: /dir, pvc: CLAIM [, subPath, readOnly]} or "
                                "{mountPath: /dir, emptyDir: true}")
            continue
        _keys(problems, vpath, volume, VOLUME_KEYS)
        vname = f"vol-{i}"
        mount = {"name": vname, "mountPath": volume["mountPath"]}
        if volume.get("subPath"):
            mount["subPath"] = str(volume["subPath"])
        if volume.get("readOnly"):
            mount["readOnly"] = True
        if volume.get("pvc"):
            volumes.append({"name": vname, "persistentVolumeClaim": {"claimName": str(volume["pvc"])}})
        elif volume.get("emptyDir"):
            volumes.append({"name": vname, "emptyDir": {}})
        else:
            problems.add(vpath, "needs pvc: CLAIM or emptyDir: true")
            continue
        mounts.append(mount)
    if mounts:
        container["volumeMounts"] = mounts
    deadline = node.get("deadlineSeconds")
    if deadline is not None and (isinstance(deadline, bool) or not isinstance(deadline, int) or deadline < 1):
        problems.add(join(path, "deadlineSeconds"), f"found {show(deadline)}; must be an integer >= 1")
        deadline = None
    return container, volumes, deadline, name


# ---------------------------------------------------------------------------------------------
# parameters


def _parameters(problems: Problems, node: Any) -> tuple[list[dict], list[dict], list[str], dict[str, dict]]:
    """(Katib parameters, trialParameters, extra args, conditions annotation entries)."""
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
        _keys(problems, path, spec, PARAMETER_KEYS[kind])
        katib = _categorical(problems, path, spec) if kind == "categorical" else _numeric(problems, path, spec, kind)
        if katib is None:
            continue
        types[name] = kind
        parameters.append({"name": name, **katib})
        tp: dict[str, Any] = {"name": name, "reference": name}
        if spec.get("description"):
            tp["description"] = str(spec["description"])
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
            entry["neutral"] = _value_text(spec["neutral"])
        if entry.get("when"):
            conditions[name] = entry
    return parameters, trial_parameters, args, conditions


def _fixed(problems: Problems, path: str, name: str, spec: Any) -> tuple[str | None, str]:
    if isinstance(spec, dict):
        _keys(problems, path, spec, FIXED_KEYS)
        flag, value = spec.get("flag", f"--{name}"), spec.get("fixed")
    else:
        flag, value = f"--{name}", spec
    if isinstance(value, (list, dict)) or value is None:
        problems.add(path, f"found {show(value)}; a fixed value must be a single string, number or boolean "
                           "(or a mapping {type: ...} to search it)")
        return None, ""
    return _flag(problems, path, name, flag), _value_text(value)


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
    values = [_value_text(c) for c in choices]
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
    space: dict[str, str] = {"min": _number_text(low), "max": _number_text(high)}
    if step is not None:
        space["step"] = _number_text(step)
    if log:
        space["distribution"] = "logUniform"
    return {"parameterType": "int" if kind == "int" else "double", "feasibleSpace": space}


# ---------------------------------------------------------------------------------------------
# values and YAML


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:  # YAML 1.1 reads 1e-4 (no dot) as a string: accept numeric strings
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _number_text(value: float | int) -> str:
    return str(value) if isinstance(value, int) else repr(float(value))


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _value_list(value: Any) -> list[str] | str:
    if isinstance(value, list):
        return [_value_text(v) for v in value]
    return _value_text(value)


def _flow(mapping: dict) -> str:
    """A one-line YAML flow mapping (the annotation format)."""
    return yaml.safe_dump(mapping, default_flow_style=True, sort_keys=False, width=10**9).strip()


def _conditions_text(conditions: dict[str, dict]) -> str:
    """The kubetune.io/conditions annotation: one flow mapping per conditional parameter."""
    return "".join(f"{name}: {_flow(entry)}\n" for name, entry in conditions.items())


def _self_check(document: dict, source: str) -> None:
    """The output must load as an Experiment and pass kubetune's checks; else say what is wrong."""
    from kubetune.spec import SpecError, check, experiment_from_dict

    try:
        exp = experiment_from_dict(document, source=f"{source} (compiled)")
    except SpecError as exc:
        raise ConvertError([str(exc)]) from None
    errors, _ = check(exp)
    if errors:
        raise ConvertError([f"{source} (compiled): {p}" for p in errors])


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, data: str):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


def _short(items) -> bool:
    return all(isinstance(x, (str, int, float, bool)) or x is None for x in items)


def _represent_list(dumper: yaml.SafeDumper, data: list):
    flow = _short(data) and len(json.dumps(data)) <= 90
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_dict(dumper: yaml.SafeDumper, data: dict):
    flow = bool(data) and _short(data.values()) and len(json.dumps(data)) <= 90 and not any(
        isinstance(v, str) and "\n" in v for v in data.values())
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(dict, _represent_dict)


def dump_experiment(document: dict, header: list[str] = ()) -> str:
    """YAML text (short lists and mappings in flow style, multi-line strings as blocks) after
    `# `-prefixed header lines."""
    body = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10**9)
    return "".join(f"# {line}\n" if line else "#\n" for line in header) + body


def experiment_yaml(document: dict, source: str | None = None) -> str:
    """The compiled Experiment as YAML text, with a header saying where it came from."""
    body = dump_experiment(document)
    head = []
    if source:
        head.append(f"# Compiled by `kubetune convert optuna` from {Path(source).name}; edit the space, not this file.")
    head += ["# Runs unchanged on Katib (kubectl apply -f); Katib ignores the kubetune.io/* annotations and",
             "# searches every parameter (the flattened space). `kubetune run` reads them: conditional",
             "# parameters are sampled define-by-run, kubetune.io/objectives runs NSGA-II (docs/search-spaces.md)."]
    return "\n".join(head) + "\n" + body
