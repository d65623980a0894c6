"""A SearchSpace document -> a complete Katib Experiment (`kubetune convert optuna`, and `kubetune
run SPACE.yaml`). The format is in optuna_space_format, its parameters block in
optuna_space_parameters.

Every parameter (conditional or not) is a Katib parameter with its whole domain (the flattened
space Katib searches); the conditions go into the annotation `kubetune.io/conditions`
(kubetune.experiment.conditions), which `kubetune run` uses to sample define-by-run and Katib
ignores. `objective.objectives` becomes `kubetune.io/objectives` (multi-objective,
kubetune.experiment.objectives). The output is checked with kubetune's own Experiment checks.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kubetune.experiment.katib_text import katib_string
from kubetune.experiment.yaml_writer import dump_experiment
from .errors import ConvertError, Problems, join, show
from .optuna_space_format import (ALGORITHM_KEYS, API_VERSION, DIRECTIONS, K8S_NAME_RE, METADATA_KEYS,
                                  OBJECTIVE_KEYS, STRATEGIES, TOP_KEYS, TRIAL_KEYS, VOLUME_KEYS, check_keys,
                                  load_space)
from .optuna_space_parameters import compile_parameters

COMPILED_FROM_ANNOTATION = "kubetune.io/compiled-from"
CONTAINER = "training"


def compile_space_file(path: str | Path) -> dict:
    """Load and compile a space file into an Experiment document."""
    return compile_space(load_space(path), source=str(path))


def compile_space(doc: dict, source: str = "<space>") -> dict:
    """The Katib Experiment document for a SearchSpace document; ConvertError lists every problem."""
    problems = Problems(Path(source).name if source != "<space>" else source)
    check_keys(problems, "", doc, TOP_KEYS)
    if doc.get("apiVersion", API_VERSION) != API_VERSION:
        problems.add("apiVersion", f"found {show(doc.get('apiVersion'))}", [API_VERSION])
    metadata = _metadata(problems, doc.get("metadata"))
    objective, extra_annotations = _objective(problems, doc.get("objective"))
    algorithm = _algorithm(problems, doc.get("algorithm", "tpe"))
    counts = {key: _count(problems, key, doc.get(key)) for key in ("trials", "parallel", "maxFailed")}
    container, volumes, deadline, primary = _container(problems, doc.get("trial"))
    resource = next((x["value"] for x in algorithm.get("algorithmSettings", [])
                     if x["name"] == "resource_name"), "")  # hyperband's: it sets those values
    parameters, trial_parameters, args, conditions = compile_parameters(problems, doc.get("parameters"),
                                                                        algorithm["algorithmName"], resource)
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


def _metadata(problems: Problems, node: Any) -> dict:
    if not isinstance(node, dict) or not node.get("name"):
        problems.add("metadata.name", "required: the Experiment's name (lower-case letters, digits, '-')")
        return {"name": "space"}
    check_keys(problems, "metadata", node, METADATA_KEYS)
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
    check_keys(problems, path, node, OBJECTIVE_KEYS)
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
    check_keys(problems, "algorithm", node, ALGORITHM_KEYS)
    out: dict[str, Any] = {"algorithmName": node["name"]}
    settings = node.get("settings") or {}
    if not isinstance(settings, dict):
        problems.add("algorithm.settings", "must be a mapping name -> value")
        settings = {}
    if settings:
        out["algorithmSettings"] = [{"name": str(k), "value": katib_string(v)} for k, v in settings.items()]
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
    check_keys(problems, path, node, TRIAL_KEYS)
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
            container["env"] = [{"name": str(k), "value": katib_string(v)} for k, v in env.items()]
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
        check_keys(problems, vpath, volume, VOLUME_KEYS)
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


def _flow(mapping: dict) -> str:
    """A one-line YAML flow mapping (the annotation format)."""
    return yaml.safe_dump(mapping, default_flow_style=True, sort_keys=False, width=10**9).strip()


def _conditions_text(conditions: dict[str, dict]) -> str:
    """The kubetune.io/conditions annotation: one flow mapping per conditional parameter."""
    return "".join(f"{name}: {_flow(entry)}\n" for name, entry in conditions.items())


def _self_check(document: dict, source: str) -> None:
    """The output must load as an Experiment and pass kubetune's checks; else say what is wrong."""
    from kubetune.algorithms import check
    from kubetune.experiment import SpecError, experiment_from_dict

    try:
        exp = experiment_from_dict(document, source=f"{source} (compiled)")
    except SpecError as exc:
        raise ConvertError([str(exc)]) from None
    errors, _ = check(exp)
    if errors:
        raise ConvertError([f"{source} (compiled): {p}" for p in errors])


def experiment_yaml(document: dict, source: str | None = None) -> str:
    """The compiled Experiment as YAML text, with a header saying where it came from."""
    head = []
    if source:
        head.append(f"Compiled by `kubetune convert optuna` from {Path(source).name}; edit the space, not this file.")
    head += ["Runs unchanged on Katib (kubectl apply -f); Katib ignores the kubetune.io/* annotations and",
             "searches every parameter (the flattened space). `kubetune run` reads them: conditional",
             "parameters are sampled define-by-run, kubetune.io/objectives runs NSGA-II (docs/search-spaces.md)."]
    return dump_experiment(document, head)
