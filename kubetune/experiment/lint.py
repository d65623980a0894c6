"""Warnings for Experiments that Katib accepts but that hang, fail later or mislead.

Katib's admission checks pass these; the trouble shows only at run time (katib-semantics 2.3,
3.3, Appendix B): no trials are ever created, a suggestion service raises, metrics are never
read, an experiment never ends. Every warning names the field and says how to fix it.

These are the traps that need no knowledge of the algorithm; the algorithm-aware ones (settings a
service ignores, distributions per Katib version, budgets, resume) are kubetune.algorithms'
(`check` returns both).
"""
from __future__ import annotations

import re
from typing import Any

from .access import as_dict as _d
from .access import as_list as _l
from .access import as_str as _s
from .access import dig
from .configmaps import parsed_template
from .errors import Problem, did_you_mean, show, warning
from .types import Experiment
from .space import Parameter, check_parameter
from .template import (
    NEAR_MISS_RE,
    PLACEHOLDER_RE,
    containers,
    meta_reference_parts,
    template_text,
)
from .validate import check_filters

T = "spec.trialTemplate"
OBJ = "spec.objective"
DEFAULT_METRIC_NAME = re.compile(r"[A-Za-z0-9_|-]+")  # what ([\w|-]+) matches in Go (ASCII \w)
DEFAULT_TRIAL_RESOURCES = ("Job", "TFJob", "PyTorchJob", "MPIJob", "XGBoostJob", "TrainJob")


def lint(exp: Experiment) -> list[Problem]:
    """Every generic warning for `exp`, load warnings (unknown fields) first. A ConfigMap template
    read with --configmap is linted as an inline trialSpec would be, its findings named by where
    it lives."""
    problems: list[Problem] = list(exp.load_warnings)
    spec = exp.spec if isinstance(exp.spec, dict) else {}
    algorithm = _s(dig(spec, "algorithm", "algorithmName"))
    params = lint_parameters(spec)
    spec, where = _with_config_map_template(exp, spec)
    for check in (_references, _placeholders, _meta_references, _early_stopping, _budget, _metrics,
                  _strategies, _collector_paths, _workload, _filters):
        problems += [_relocated(p, where) for p in check(exp, spec)]
    problems += _search_space(algorithm, params)
    problems += _values_that_break_json(spec)
    problems += _names(exp, spec, algorithm)
    return [p if p.severity == "warning" else warning(p.path, p.message, p.hint) for p in problems]


def _with_config_map_template(exp: Experiment, spec: dict) -> tuple[dict, str | None]:
    """`spec` with the ConfigMap template (read locally) as its trialSpec, and the path that names
    the template in findings; `spec` itself and None without one (or when it does not parse)."""
    template = parsed_template(exp.config_map_template) if exp.config_map_template is not None else None
    if template is None:
        return spec, None
    cm = _d(dig(spec, "trialTemplate", "configMap"))
    where = (f"{T}.configMap({_s(cm.get('configMapNamespace'))}/{_s(cm.get('configMapName'))} "
             f"{_s(cm.get('templatePath'))})")
    return {**spec, "trialTemplate": {**_d(spec.get("trialTemplate")), "trialSpec": template}}, where


def _relocated(problem: Problem, where: str | None) -> Problem:
    """A finding about the trialSpec, named by the ConfigMap template it came from."""
    return (where is not None and problem.moved(f"{T}.trialSpec", where)) or problem


def lint_parameters(spec: dict) -> list[tuple[int, dict, Parameter | None]]:
    """(index, raw mapping, Parameter or None when it does not parse) of every parameter."""
    out = []
    for i, raw in enumerate(_l(spec.get("parameters"))):
        if isinstance(raw, dict):
            out.append((i, raw, check_parameter(raw, f"spec.parameters[{i}]")[0]))
    return out


def _trial_parameters(spec: dict) -> list[dict]:
    return [tp for tp in _l(dig(spec, "trialTemplate", "trialParameters")) if isinstance(tp, dict)]


def _trial_spec(spec: dict) -> dict | None:
    ts = dig(spec, "trialTemplate", "trialSpec")
    return ts if isinstance(ts, dict) else None


# ---------------------------------------------------------------------------------------------
# trial template


def _references(exp: Experiment, spec: dict) -> list[Problem]:
    """Every assignment must be consumed by exactly one trialParameter, else no trial is created
    (the NAS algorithms, which assign other names, check theirs in kubetune.algorithms.nas)."""
    problems = []
    refs = [_s(tp.get("reference")) for tp in _trial_parameters(spec)]
    if _l(spec.get("parameters")):
        for i, raw in enumerate(spec["parameters"]):
            name = raw.get("name") if isinstance(raw, dict) else None
            if name and name not in refs:
                problems.append(warning(
                    f"spec.parameters[{i}].name", f"parameter {show(name)} is not referenced by any "
                    "trialParameter; Katib then creates no trials at all (the experiment hangs in Running)",
                    f"add {{name: {name}, reference: {name}}} to spec.trialTemplate.trialParameters and use "
                    f"${{trialParameters.{name}}} in the trialSpec, or remove the parameter"))
    return problems


def _placeholders(exp: Experiment, spec: dict) -> list[Problem]:
    """Things that look like ${trialParameters.x} but that Katib will pass through literally."""
    ts = _trial_spec(spec)
    if ts is None:
        return []
    found = sorted(set(m.group(0) for m in NEAR_MISS_RE.finditer(template_text(ts))))
    return [warning(f"{T}.trialSpec", f"{text} is not a Katib placeholder and is passed to the trial "
                    "unchanged", "write ${trialParameters.<name>} exactly") for text in found]


def _meta_references(exp: Experiment, spec: dict) -> list[Problem]:
    """${trialSpec.Labels[k]} / Annotations[k] need the key in the template's metadata."""
    problems = []
    ts = _trial_spec(spec) or {}
    meta = ts.get("metadata") if isinstance(ts.get("metadata"), dict) else {}
    for i, tp in enumerate(_trial_parameters(spec)):
        ref = _s(tp.get("reference"))
        if "${trialSpec." not in ref:
            continue
        parts = meta_reference_parts(ref)
        path = f"{T}.trialParameters[{i}].reference"
        if parts is None:
            problems.append(warning(path, f"{show(ref)} is not a trial metadata reference; trial generation "
                                    "fails", "use ${trialSpec.Name}, Namespace, Kind, APIVersion, "
                                             "Labels[key] or Annotations[key]"))
            continue
        key, sub = parts
        if sub is not None and _trial_spec(spec) is not None:
            source = meta.get(key.lower()) if isinstance(meta.get(key.lower()), dict) else {}
            if sub not in source:
                problems.append(warning(path, f"{show(ref)}: the trialSpec has no metadata.{key.lower()} key "
                                        f"{show(sub)}; trial generation fails",
                                        f"add it under spec.trialTemplate.trialSpec.metadata.{key.lower()}"))
    return problems


def _workload(exp: Experiment, spec: dict) -> list[Problem]:
    problems = []
    tt = _d(spec.get("trialTemplate"))
    if tt.get("configMap") is not None and exp.config_map_template is None:
        problems.append(warning(f"{T}.configMap", "the template lives in a ConfigMap on the cluster: kubetune "
                                "cannot check its placeholders and `kubetune run` cannot read it",
                                "give its ConfigMap with --configmap FILE, or inline it as "
                                "spec.trialTemplate.trialSpec"))
    ts = _trial_spec(spec)
    if ts is None:
        return problems
    kind = ts.get("kind")
    if isinstance(kind, str) and kind not in DEFAULT_TRIAL_RESOURCES:
        problems.append(warning(f"{T}.trialSpec.kind", f"kind {show(kind)} is not in Katib's default "
                                "trialResources: the trial controller never watches it and trials stay Running",
                                "add Kind.version.group to katib-config init.controller.trialResources, grant "
                                "RBAC and restart katib-controller"))
    primary = _s(tt.get("primaryContainerName"))
    found = containers(ts)
    if primary and found and not any(c.get("name") == primary for _, c in found):
        names = [c.get("name") for _, c in found if isinstance(c.get("name"), str)]
        problems.append(warning(f"{T}.primaryContainerName", f"no container named {show(primary)} in the "
                                "trialSpec; Katib's pod webhook rejects the trial pods",
                                did_you_mean(primary, names) or f"containers: {', '.join(names) or 'none'}"))
    for path, c in found:
        if c.get("name") == primary and not c.get("command"):
            problems.append(warning(f"{path}.command", "the primary container has no command: Katib reads the "
                                    "image ENTRYPOINT from the registry and kubetune cannot run it locally",
                                    'give the full command, e.g. command: ["python", "-m", "trainer"]'))
    if kind == "Job" and ts.get("apiVersion") == "batch/v1":
        pod = _d(dig(ts, "spec", "template", "spec"))
        if pod.get("restartPolicy") not in ("Never", "OnFailure"):
            problems.append(warning(f"{T}.trialSpec.spec.template.spec.restartPolicy",
                                    f"found {show(pod.get('restartPolicy'))}; a Job pod needs Never or OnFailure, "
                                    "so Kubernetes refuses to create the trial's Job",
                                    "restartPolicy: Never"))
    return problems


# ---------------------------------------------------------------------------------------------
# early stopping, budget


def _early_stopping(exp: Experiment, spec: dict) -> list[Problem]:
    es = spec.get("earlyStopping")
    if not isinstance(es, dict):
        return []
    problems = []
    if not dig(spec, "trialTemplate", "retain"):
        problems.append(warning(f"{T}.retain", "early stopping without retain: true: early-stopped trials never "
                                "get an observation and each one permanently lowers the parallelism (Katib "
                                "issue #1377)", "set spec.trialTemplate.retain: true"))
    kind = dig(spec, "metricsCollectorSpec", "collector", "kind")
    if kind not in ("StdOut", "File"):
        problems.append(warning("spec.metricsCollectorSpec.collector.kind", f"early stopping only works with the "
                                f"StdOut and File collectors, not {show(kind)}; no trial will be stopped",
                                "use StdOut or File, or remove earlyStopping"))
    return problems


def _budget(exp: Experiment, spec: dict) -> list[Problem]:
    problems = []
    if spec.get("maxTrialCount") is None:
        problems.append(warning("spec.maxTrialCount", "no maxTrialCount: the experiment runs until the goal is "
                                "reached or failures stop it, and never ends when the search space is used up",
                                "set maxTrialCount"))
    if spec.get("maxFailedTrialCount") is None:
        problems.append(warning("spec.maxFailedTrialCount", "no maxFailedTrialCount: failing trials never fail "
                                "the experiment; if every trial fails it still ends Succeeded",
                                "set maxFailedTrialCount, e.g. 3"))
    return problems


# ---------------------------------------------------------------------------------------------
# metrics


def _collector(spec: dict) -> tuple[str | None, dict]:
    return dig(spec, "metricsCollectorSpec", "collector", "kind"), _d(dig(spec, "metricsCollectorSpec", "source"))


def _metrics(exp: Experiment, spec: dict) -> list[Problem]:
    problems = []
    obj = _d(spec.get("objective"))
    kind, source = _collector(spec)
    fmt = dig(source, "fileSystemPath", "format")
    text_parsed = kind == "StdOut" or (kind == "File" and fmt == "TEXT")
    custom_filter = bool(dig(source, "filter", "metricsFormat"))
    named = [(f"{OBJ}.objectiveMetricName", _s(obj.get("objectiveMetricName")))]
    named += [(f"{OBJ}.additionalMetricNames[{i}]", m)
              for i, m in enumerate(_l(obj.get("additionalMetricNames"))) if isinstance(m, str)]
    seen: set[str] = set()
    for path, name in named:
        if name in seen:
            problems.append(warning(path, f"metric {show(name)} is listed twice", "remove the repeat"))
        seen.add(name)
        if text_parsed and not custom_filter and name and not DEFAULT_METRIC_NAME.fullmatch(name):
            problems.append(warning(path, f"metric {show(name)} can never be read by the default metrics regex "
                                    r"([\w|-]+)\s*=\s*..., which allows only letters, digits, _, | and -"
                                    + (f"; a line '{name}=0.5' is recorded as "
                                       f"{show(re.split(r'[^A-Za-z0-9_|-]', name)[-1])}"
                                       if re.split(r"[^A-Za-z0-9_|-]", name)[-1] else ""),
                                    "rename the metric (e.g. val_loss) or add "
                                    "spec.metricsCollectorSpec.source.filter.metricsFormat with a regex whose "
                                    "first group matches the name"))
        if ";" in name and kind != "Push":
            problems.append(warning(path, f"metric {show(name)} contains ';', which Katib uses to separate "
                                    "metric names for the collector", "remove the ';'"))
    return problems


LOWER_IS_BETTER = re.compile(r"loss|err|mse|mae|rmse|perplexity|latency", re.I)
HIGHER_IS_BETTER = re.compile(r"acc|f1|auc|precision|recall|iou|map|score", re.I)


def _strategies(exp: Experiment, spec: dict) -> list[Problem]:
    problems = _additional_metric_directions(exp, spec)
    obj = _d(spec.get("objective"))
    metrics = {obj.get("objectiveMetricName")} | {m for m in _l(obj.get("additionalMetricNames"))
                                                 if isinstance(m, str)}
    for i, s in enumerate(_l(obj.get("metricStrategies"))):
        if not isinstance(s, dict):
            continue
        value, name = s.get("value"), s.get("name")
        if value not in ("min", "max", "latest"):
            problems.append(warning(f"{OBJ}.metricStrategies[{i}].value", f"found {show(value)}; Katib accepts it "
                                    "but then reads the metric as unavailable, so no trial can ever be best",
                                    did_you_mean(str(value), ("min", "max", "latest")) or "min, max or latest"))
        if not isinstance(name, str) or name not in metrics:
            problems.append(warning(f"{OBJ}.metricStrategies[{i}].name", f"{show(name)} is neither the objective "
                                    "nor an additional metric; it is never collected",
                                    did_you_mean(str(name), [m for m in metrics if m]) or
                                    "add it to additionalMetricNames or remove the strategy"))
    return problems


def _collector_paths(exp: Experiment, spec: dict) -> list[Problem]:
    kind, source = _collector(spec)
    if kind not in ("File", "TensorFlowEvent"):
        return []
    path = _s(dig(source, "fileSystemPath", "path"))
    ts = _trial_spec(spec)
    if not path or ts is None:
        return []
    text = template_text(ts)
    probe = path.rstrip("/") or path
    if probe in text:
        return []
    what = "metrics file" if kind == "File" else "event directory"
    return [warning("spec.metricsCollectorSpec.source.fileSystemPath.path",
                    f"the trial never mentions the {what} {show(path)}: unless the program writes there by "
                    "itself, no metrics are collected and every trial ends MetricsUnavailable",
                    f"pass the path to the training command (e.g. --metrics-file {path})")]


def _filters(exp: Experiment, spec: dict) -> list[Problem]:
    kind, _ = _collector(spec)
    if kind != "StdOut":
        return []  # other kinds are checked by the webhook (validate)
    out = []
    for p in check_filters(spec):
        out.append(warning(p.path, p.message + " (not checked for StdOut at admission; the collector fails at "
                           "run time)", p.hint))
    formats = _l(dig(spec, "metricsCollectorSpec", "source", "filter", "metricsFormat"))
    for i, fmt in enumerate(formats):
        if isinstance(fmt, str) and ";" in fmt:
            out.append(warning(f"spec.metricsCollectorSpec.source.filter.metricsFormat[{i}]", "contains ';', "
                               "which Katib uses to join filters for the collector", "avoid ';'"))
    return out


# ---------------------------------------------------------------------------------------------
# search space


def _search_space(algorithm: str, params: list[tuple[int, dict, Parameter | None]]) -> list[Problem]:
    problems = []
    for i, raw, p in params:
        if p is not None and p.type == "discrete" and not all(_is_number(v) for v in p.values):
            problems.append(warning(f"spec.parameters[{i}].feasibleSpace.list", "discrete values should be "
                                    "numbers" + ("; hyperband fails on them" if algorithm == "hyperband" else ""),
                                    "use parameterType: categorical for names"))
        if dig(raw, "feasibleSpace", "distribution") == "unknown":
            problems.append(warning(f"spec.parameters[{i}].feasibleSpace.distribution", "distribution unknown is "
                                    "accepted by Katib but means nothing; kubetune treats it as uniform",
                                    "write uniform, logUniform, normal or logNormal"))
    return problems


def _names(exp: Experiment, spec: dict, algorithm: str) -> list[Problem]:
    problems = []
    name = _s(exp.name)
    service = f"{name}-{algorithm}"
    if "." in name:
        problems.append(warning("metadata.name", f"{show(name)} contains '.': the suggestion Service "
                                f"{service} is not a valid DNS-1035 name and the suggestion never starts",
                                "use '-' instead of '.'"))
    elif algorithm and len(service) > 63:
        problems.append(warning("metadata.name", f"the suggestion Service name {service} is longer than 63 "
                                "characters", "shorten the experiment name"))
    return problems


def _is_number(value: Any) -> bool:
    try:
        float(value)
        return True
    except (TypeError, ValueError):
        return False


def _additional_metric_directions(exp: Experiment, spec: dict) -> list[Problem]:
    """Additional metrics default to the objective's min/max (not latest, App. B): a loss next
    to a maximised accuracy is then reported as its worst (largest) value."""
    obj = _d(spec.get("objective"))
    objective_type = obj.get("type")
    written = {s.get("name") for s in _l(dig(exp.raw, "spec", "objective", "metricStrategies"))
               if isinstance(s, dict) and isinstance(s.get("name"), str)}
    problems = []
    for i, metric in enumerate(_l(obj.get("additionalMetricNames"))):
        if not isinstance(metric, str) or metric in written:
            continue
        opposite = (objective_type == "maximize" and LOWER_IS_BETTER.search(metric)) or (
            objective_type == "minimize" and HIGHER_IS_BETTER.search(metric)
            and not LOWER_IS_BETTER.search(metric))
        if opposite:
            value = "max" if objective_type == "maximize" else "min"
            better = "min" if value == "max" else "max"
            problems.append(warning(f"{OBJ}.additionalMetricNames[{i}]", f"{metric} gets metric strategy "
                                    f"{value} (the objective's direction), so every trial reports its {value}imum",
                                    f"add metricStrategies: [{{name: {metric}, value: {better}}}] "
                                    "(or latest)"))
    return problems


def _values_that_break_json(spec: dict) -> list[Problem]:
    """Katib substitutes values as raw text into the JSON template: a quote or backslash breaks it;
    a value holding a placeholder is expanded or not depending on Go's map order."""
    problems = []
    for i, raw in enumerate(_l(spec.get("parameters"))):
        for j, value in enumerate(_l(dig(raw, "feasibleSpace", "list"))):
            if isinstance(value, str) and ('"' in value or "\\" in value):
                problems.append(warning(f"spec.parameters[{i}].feasibleSpace.list[{j}]",
                                        f"{show(value)} contains a quote or backslash: Katib pastes values into "
                                        "the JSON template unescaped and the trial cannot be created",
                                        "use plain values (names, numbers)"))
            if isinstance(value, str) and PLACEHOLDER_RE.search(value):
                problems.append(warning(f"spec.parameters[{i}].feasibleSpace.list[{j}]",
                                        f"{show(value)} contains a placeholder: Katib replaces placeholders one "
                                        "trialParameter at a time in Go map order (random), so on a cluster the "
                                        "trial gets it verbatim or expanded at random; kubetune run passes it "
                                        "verbatim", "use values without ${trialParameters.*}"))
    return problems
