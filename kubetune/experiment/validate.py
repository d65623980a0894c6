"""Katib's admission rules (katib-semantics 2.1, in the webhook's order), on a decoded, defaulted spec.

The algorithm names are looked up in katib-config (katib_config); what each algorithm's service
then says about its settings (stage B, 2.2) is kubetune.algorithms (`check`).

Rules that need the cluster are not checked: the namespace label, a leftover FromVolume PV,
the update rules (we validate a new object), and ConfigMap templates unless their ConfigMap is
given (`config_maps`, read from local files: kubetune.experiment.configmaps).
"""
from __future__ import annotations

import json
import re
from typing import Any

import yaml

from kubetune.gocompat.re2 import go_compile_error

from .access import as_dict as _d
from .access import as_list as _l
from .access import as_str as _s
from .configmaps import ConfigMaps, config_map_template
from .decode import INT64, Options, decode
from .errors import Problem, did_you_mean, error, show
from .katib_config import known_algorithms, known_early_stopping
from .space import check_parameter
from .template import (
    DUMMY_VALUE,
    PLACEHOLDER,
    PLACEHOLDER_RE,
    is_meta_reference,
    template_text,
)

NAME_RE = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?")  # Katib's, applied unanchored at the end
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
MAX_NAME = 40

PARAMETER_TYPES = ("int", "double", "categorical", "discrete", "unknown")
DISTRIBUTIONS = ("uniform", "logUniform", "normal", "logNormal", "unknown")
RESUME_POLICIES = ("", "Never", "LongRunning", "FromVolume")
COLLECTOR_KINDS = ("StdOut", "File", "TensorFlowEvent", "PrometheusMetric", "Custom", "Push")
TWO_GROUPS = re.compile(r".*\(.*\).*\(.*\).*")  # Katib's own check, on the pattern text

T = "spec.trialTemplate"


def validate(spec: dict, name: str, namespace: str = "default", config_maps: ConfigMaps | None = None
             ) -> list[Problem]:
    """Every admission rule Katib applies to a new Experiment.

    `spec` must already carry Katib's defaults (apply_defaults). Returns errors only. A ConfigMap
    template is checked when `config_maps` holds its ConfigMap.
    """
    spec = _d(spec)
    problems: list[Problem] = []
    problems += _check_name(name, namespace)
    problems += _check_counts(spec)
    # Katib's webhook stops at the first failing rule; we report every problem at once.
    problems += _check_objective(spec)
    problems += _check_algorithm(spec)
    problems += _check_early_stopping(spec)
    if spec.get("resumePolicy") is not None and spec.get("resumePolicy") not in RESUME_POLICIES:
        problems.append(error("spec.resumePolicy", f"invalid ResumePolicyType {show(spec.get('resumePolicy'))}",
                              "use Never, LongRunning or FromVolume"))
    problems += _check_trial_template(spec, config_maps)
    problems += _check_parameters(spec)
    problems += _check_metrics_collector(spec)
    return problems


# ---------------------------------------------------------------------------------------------


def _check_name(name: Any, namespace: Any) -> list[Problem]:
    problems = []
    if not isinstance(name, str) or not name:
        return [error("metadata.name", "required field is missing", "name the Experiment, e.g. name: lr-search")]
    if not NAME_RE.match(name) or len(name) > MAX_NAME:
        problems.append(error("metadata.name", f"found {show(name)}; name must consist of lower case alphanumeric "
                              f"characters or '-', start with an alphabetic character, end with an alphanumeric "
                              f"character and be at most {MAX_NAME} characters",
                              "Katib derives the suggestion Service <name>-<algorithm> from it"))
    elif not DNS1123_SUBDOMAIN.match(name) or len(name) > 253:
        problems.append(error("metadata.name", f"found {show(name)}; Kubernetes names are lower case "
                              "alphanumerics, '-' and '.'", "e.g. lr-search"))
    if namespace not in (None, "") and (not isinstance(namespace, str) or not DNS1123_LABEL.match(namespace)
                                        or len(namespace) > 63):
        problems.append(error("metadata.namespace", f"found {show(namespace)}; must be a Kubernetes namespace "
                              "name (lower case alphanumerics and '-')"))
    return problems


def _check_counts(spec: dict) -> list[Problem]:
    problems = []
    max_failed = spec.get("maxFailedTrialCount")
    max_trials = spec.get("maxTrialCount")
    parallel = spec.get("parallelTrialCount")
    ints = {k: v if isinstance(v, int) and not isinstance(v, bool) else None
            for k, v in (("f", max_failed), ("m", max_trials), ("p", parallel))}
    if ints["f"] is not None and ints["f"] < 0:
        problems.append(error("spec.maxFailedTrialCount", f"found {max_failed}; should not be less than 0"))
    if ints["m"] is not None and ints["m"] <= 0:
        problems.append(error("spec.maxTrialCount", f"found {max_trials}; must be greater than 0"))
    if ints["p"] is not None and ints["p"] <= 0:
        problems.append(error("spec.parallelTrialCount", f"found {parallel}; must be greater than 0"))
    if ints["f"] is not None and ints["m"] is not None and ints["f"] > ints["m"]:
        problems.append(error("spec.maxFailedTrialCount", f"found {max_failed}; should be less than or "
                              f"equal to spec.maxTrialCount ({max_trials})"))
    if ints["p"] is not None and ints["m"] is not None and ints["p"] > ints["m"]:
        problems.append(error("spec.parallelTrialCount", f"found {parallel}; should be less than or equal "
                              f"to spec.maxTrialCount ({max_trials})",
                              f"lower parallelTrialCount or raise maxTrialCount"))
    return problems


def _check_objective(spec: dict) -> list[Problem]:
    obj = spec.get("objective")
    if not isinstance(obj, dict):
        return [error("spec.objective", "required field is missing",
                      "e.g. objective: {type: maximize, objectiveMetricName: accuracy}")]
    problems = []
    if obj.get("type") not in ("minimize", "maximize"):
        problems.append(error("spec.objective.type", f"found {show(obj.get('type'))}; must be minimize or "
                              "maximize", did_you_mean(_s(obj.get("type")), ("minimize", "maximize"))))
    metric = _s(obj.get("objectiveMetricName"))
    if not metric:
        problems.append(error("spec.objective.objectiveMetricName", "required field is missing",
                              "the metric the trials print, e.g. accuracy"))
    if metric and metric in _l(obj.get("additionalMetricNames")):
        problems.append(error("spec.objective.additionalMetricNames",
                              f"should not contain spec.objective.objectiveMetricName ({show(metric)})",
                              "remove it from additionalMetricNames"))
    return problems


def _check_algorithm(spec: dict) -> list[Problem]:
    algorithm = spec.get("algorithm")
    if not isinstance(algorithm, dict):
        return [error("spec.algorithm", "required field is missing", "e.g. algorithm: {algorithmName: random}")]
    name = _s(algorithm.get("algorithmName"))
    if not name:
        return [error("spec.algorithm.algorithmName", "required field is missing",
                      f"one of {', '.join(known_algorithms())}")]
    if name not in known_algorithms():
        hint = did_you_mean(name, known_algorithms()) or f"known: {', '.join(known_algorithms())}"
        return [error("spec.algorithm.algorithmName",
                      f"unable to get Suggestion config data for algorithm {show(name)}: no such algorithm "
                      "in katib-config", hint)]
    return []


def _check_early_stopping(spec: dict) -> list[Problem]:
    es = spec.get("earlyStopping")
    if es is None:
        return []
    name = _s(_d(es).get("algorithmName"))
    if not name:
        return [error("spec.earlyStopping.algorithmName", "required field is missing", "e.g. medianstop")]
    if name not in known_early_stopping():
        hint = did_you_mean(name, known_early_stopping()) or f"known: {', '.join(known_early_stopping())}"
        return [error("spec.earlyStopping.algorithmName",
                      f"unable to get EarlyStopping config data for algorithm {show(name)}", hint)]
    return []


# ---------------------------------------------------------------------------------------------
# trial template, rules 1-18


def _check_trial_template(spec: dict, config_maps: ConfigMaps | None = None) -> list[Problem]:
    tt = spec.get("trialTemplate")
    if not isinstance(tt, dict):
        return [error(T, "required field is missing", "describe the workload each trial runs")]
    problems = []
    if not _s(tt.get("primaryContainerName")):
        problems.append(error(f"{T}.primaryContainerName", "required field is missing",
                              "the name of the training container in the trialSpec"))
    if not _s(tt.get("successCondition")) or not _s(tt.get("failureCondition")):
        kind = _s(_d(tt.get("trialSpec")).get("kind")) or "this workload"
        problems.append(error(T, "successCondition and failureCondition must be specified",
                              f"Katib has defaults only for inline Job, TFJob, PyTorchJob, XGBoostJob, MPIJob and "
                              f"TrainJob; for {kind} write GJSON conditions"))
    if not tt.get("trialParameters"):  # an explicit [] is dropped by the defaulting webhook
        problems.append(error(f"{T}.trialParameters", "required field is missing",
                              "declare each ${trialParameters.x} placeholder: {name: x, reference: <parameter>}"))
        return problems
    trial_spec, config_map = tt.get("trialSpec"), tt.get("configMap")
    if trial_spec is None and config_map is None:
        return problems + [error(T, "spec.trialTemplate.trialSpec or spec.trialTemplate.configMap must be "
                                    "specified")]
    if trial_spec is not None and config_map is not None:
        return problems + [error(T, "only one of spec.trialTemplate.trialSpec or spec.trialTemplate.configMap "
                                    "can be specified")]
    if config_map is not None:
        cm = _d(config_map)
        if not all(_s(cm.get(k)) for k in ("configMapName", "configMapNamespace", "templatePath")):
            return problems + [error(f"{T}.configMap", "configMapName, configMapNamespace and templatePath "
                                                       "must be specified")]
        if config_maps is not None:  # Katib's GetTrialTemplate: the raw string data[templatePath]
            text, missing = config_map_template(cm, config_maps)
            if missing:
                return problems + missing
    if trial_spec is not None:
        text = template_text(trial_spec) if isinstance(trial_spec, dict) else None
    elif config_maps is None:
        text = None
    where = f"{T}.trialSpec" if trial_spec is not None else f"{T}.configMap"
    if trial_spec is not None and text is None:
        return problems + [error(f"{T}.trialSpec", f"unable to parse spec.trialTemplate: found "
                                                    f"{show(trial_spec)}, must be a mapping")]

    parameter_names = {_s(_d(p).get("name")) for p in _l(spec.get("parameters"))}
    names: set[str] = set()
    references: set[str] = set()
    for i, tp in enumerate(_l(tt.get("trialParameters"))):
        path = f"{T}.trialParameters[{i}]"
        tp = _d(tp)
        name, ref = _s(tp.get("name")), _s(tp.get("reference"))
        if not name or not ref or "{" in name or "}" in name:
            problems.append(error(path, "name and reference must be specified and name must not contain "
                                        "'{' or '}'"))
            continue
        if name in names:
            problems.append(error(f"{path}.name", f"parameter name {show(name)} can't be duplicated in "
                                                  "spec.trialTemplate.trialParameters"))
            continue
        if ref in references:
            problems.append(error(f"{path}.reference", f"parameter reference {show(ref)} can't be duplicated "
                                                       "in spec.trialTemplate.trialParameters",
                                  "each parameter is substituted through exactly one trialParameter"))
            continue
        names.add(name)
        references.add(ref)
        if parameter_names and spec.get("parameters") and not is_meta_reference(ref) \
                and ref not in parameter_names:
            problems.append(error(f"{path}.reference", f"parameter reference {show(ref)} does not exist in "
                                                       "spec.parameters",
                                  did_you_mean(ref, sorted(n for n in parameter_names if n))
                                  or "reference a parameter name or ${trialSpec.Name}-style metadata"))
        if text is None:
            continue  # ConfigMap template: not given
        placeholder = PLACEHOLDER.format(name)
        if placeholder not in text:
            problems.append(error(f"{path}.name", f"parameter name {show(name)} not found in "
                                                  "spec.trialTemplate",
                                  f"use {placeholder} in the {'trialSpec' if trial_spec is not None else 'template'}"
                                  " (e.g. in the container args) or remove this trialParameter"))
            return problems  # Katib returns here
        text = text.replace(placeholder, DUMMY_VALUE)
    if text is None:
        return problems
    leftover = PLACEHOLDER_RE.findall(text)
    if leftover:
        problems.append(error(where, f"parameters {', '.join(sorted(set(leftover)))} in "
                                                "spec.trialTemplate not found in spec.trialParameters",
                              "declare them in spec.trialTemplate.trialParameters"))
    try:  # Katib's YAMLOrJSONDecoder: the inline trialSpec is JSON, a ConfigMap's template YAML
        run_spec = json.loads(text) if trial_spec is not None else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError, RecursionError):
        run_spec = None
    if not isinstance(run_spec, dict):
        return problems + [error(where, "unable to convert spec.trialTemplate to unstructured")]
    meta = _d(run_spec.get("metadata"))
    for key in ("name", "namespace"):
        if meta.get(key) not in (None, ""):
            problems.append(error(f"{where}.metadata.{key}", "metadata.name and metadata.namespace in "
                                                                   "spec.trialTemplate must be omitted",
                                  "Katib names the workload after the trial and puts it in the Experiment's "
                                  "namespace"))
    api_version, kind = run_spec.get("apiVersion"), run_spec.get("kind")
    if not _s(api_version) or not _s(kind):
        problems.append(error(f"{where}.{'apiVersion' if not _s(api_version) else 'kind'}",
                              "APIVersion and Kind in spec.trialTemplate must be specified"))
    if api_version == "batch/v1" and kind == "Job":
        problems += check_job(trial_spec if trial_spec is not None else run_spec, where)
    return problems


def check_job(trial_spec: dict, where: str = f"{T}.trialSpec") -> list[Problem]:
    """Rule 18: a batch/v1 Job must survive Katib's strict round trip through the Go Job type."""
    from .job_schema import Job

    options = Options(int_range=INT64, int32_models="\0", unknown_severity="error",
                      unknown_note="Katib converts a batch/v1 Job strictly and rejects fields a Job does not have",
                      reject_null=True, reject_empty_collections=True,
                      skip_paths=(".resources.limits", ".resources.requests"))
    _, problems = decode(trial_spec, Job, where, options)
    return problems


# ---------------------------------------------------------------------------------------------
# parameters


def _check_parameters(spec: dict) -> list[Problem]:
    params = _l(spec.get("parameters"))
    nas = spec.get("nasConfig")
    if not params and nas is None:
        return [error("spec", "spec.parameters or spec.nasConfig must be specified",
                      "add spec.parameters (the search space)")]
    problems = []
    if params and nas is not None:
        problems.append(error("spec", "only one of spec.parameters and spec.nasConfig can be specified"))
    for i, param in enumerate(params):
        path = f"spec.parameters[{i}]"
        param = _d(param)
        before = len(problems)
        ptype = param.get("parameterType")
        if ptype not in PARAMETER_TYPES:
            problems.append(error(f"{path}.parameterType", f"parameterType: {show(ptype)} is not supported",
                                  did_you_mean(_s(ptype), PARAMETER_TYPES[:4])
                                  or "use int, double, categorical or discrete"))
        space = _d(param.get("feasibleSpace"))
        dist = space.get("distribution")
        if dist and dist not in DISTRIBUTIONS:
            problems.append(error(f"{path}.feasibleSpace.distribution", f"distribution: {show(dist)} is not "
                                  "supported", did_you_mean(_s(dist), DISTRIBUTIONS[:4])
                                  or "use uniform, logUniform, normal or logNormal"))
        if not any(space.get(k) for k in ("min", "max", "step", "list", "distribution")):
            problems.append(error(f"{path}.feasibleSpace", "feasibleSpace must be specified"))
        elif ptype in ("int", "double"):
            if space.get("list"):
                problems.append(error(f"{path}.feasibleSpace.list", f"feasibleSpace.list is not supported for "
                                                                    f"parameterType: {ptype}",
                                      "use min/max (and step), or make it categorical"))
            if not space.get("min") or not space.get("max"):  # Katib names .max whichever is missing
                problems.append(error(f"{path}.feasibleSpace.max", f"feasibleSpace.max or feasibleSpace.min "
                                      f"must be specified for parameterType: {ptype}"))
        elif ptype in ("categorical", "discrete"):
            if any(space.get(k) for k in ("min", "max", "step")):
                problems.append(error(f"{path}.feasibleSpace", f"feasibleSpace .max, .min and .step is not "
                                                               f"supported for parameterType: {ptype}",
                                      "list the values instead: list: [...]"))
        if len(problems) == before:  # then what the suggestion services need (numbers that parse, ...)
            problems += check_parameter(param, path)[1]
        problems += _unpassable_values(param, path)
    return problems


def _unpassable_values(param: dict, path: str) -> list[Problem]:
    """kubetune's rule: a value with a NUL byte reaches no trial (execve takes C strings, so no
    argv element or env value can hold one): every trial drawing it fails to start."""
    return [error(f"{path}.feasibleSpace.list[{j}]", f"parameter {show(param.get('name'))}: value {show(value)} "
                  "contains a NUL byte, which no process argument or environment variable can carry (every "
                  "trial given it fails to start)", "remove the NUL byte (\\0) from the value")
            for j, value in enumerate(_l(_d(param.get("feasibleSpace")).get("list")))
            if isinstance(value, str) and "\0" in value]


# ---------------------------------------------------------------------------------------------
# metrics collector


def _check_metrics_collector(spec: dict) -> list[Problem]:
    mc = _d(spec.get("metricsCollectorSpec"))
    collector = _d(mc.get("collector"))
    kind = collector.get("kind")
    source = mc.get("source")
    src = _d(source)
    fsp = src.get("fileSystemPath")
    base = "spec.metricsCollectorSpec"
    problems = []
    if kind == "PrometheusMetric":
        problems.append(error(f"{base}.collector.kind", "GetMetricsCollectorConfigData failed: katib-config has "
                              "no PrometheusMetric collector", "use StdOut or File (or Push)"))
    if kind in ("StdOut", "Push"):
        return problems
    if kind == "File":
        f = _d(fsp)
        if fsp is None or f.get("kind") != "File" or not _s(f.get("path")).startswith("/"):
            problems.append(error(f"{base}.source.fileSystemPath.path", "file path where metrics file exists is "
                                                                        "required", "an absolute path with kind: File"))
        if f.get("format") not in ("TEXT", "JSON"):
            problems.append(error(f"{base}.source.fileSystemPath.format", "format of metrics file is required for "
                                  "metrics collector", "TEXT or JSON"))
        if f.get("format") == "JSON" and src.get("filter") is not None:
            problems.append(error(f"{base}.source.filter", "filter must be nil when format of metrics file is json"))
    elif kind == "TensorFlowEvent":
        f = _d(fsp)
        if fsp is None or f.get("kind") != "Directory" or not _s(f.get("path")).startswith("/"):
            problems.append(error(f"{base}.source", "directory path where tensorflow event files exist is required "
                                  "by .spec.metricsCollectorSpec.source.fileSystemPath.path",
                                  "an absolute path with kind: Directory"))
        if f.get("format"):
            problems.append(error(f"{base}.source.fileSystemPath.format", f"found {show(f.get('format'))}; "
                                                                          "must be empty"))
    elif kind == "PrometheusMetric":
        http = _d(src.get("httpGet"))
        port = http.get("port")
        port_text = str(port) if not isinstance(port, bool) and port is not None else ""
        if not re.fullmatch(r"[+-]?\d+", port_text) or int(port_text) <= 0:
            problems.append(error(f"{base}.source.httpGet.port", f"found {show(port)}; must be a positive integer "
                                                                 "value for metrics collector kind: PrometheusMetric"))
        if not _s(http.get("path")).startswith("/"):
            problems.append(error(f"{base}.source.httpGet.path", f"found {show(http.get('path'))}; path is invalid "
                                                                 "for metrics collector kind: PrometheusMetric"))
    elif kind == "Custom":
        if collector.get("customCollector") is None:
            problems.append(error(f"{base}.collector.customCollector", "metrics collector kind: Custom is required"))
        if fsp is not None:
            f = _d(fsp)
            if not _s(f.get("path")).startswith("/") or f.get("kind") not in ("Directory", "File"):
                problems.append(error(f"{base}.source.fileSystemPath", ".spec.metricsCollectorSpec.source is "
                                                                       "invalid", "absolute path, kind File or "
                                                                                  "Directory"))
    else:
        problems.append(error(f"{base}.collector.kind", f"invalid metrics collector kind: {show(kind)}",
                              did_you_mean(_s(kind), COLLECTOR_KINDS) or f"one of {', '.join(COLLECTOR_KINDS)}"))
    problems += check_filters(spec)
    return problems


def check_filters(spec: dict) -> list[Problem]:
    """Each metricsFormat regex must compile as Go RE2 (the translator `kubetune run` uses) and
    have two top subexpressions."""
    formats = _l(_d(_d(_d(spec.get("metricsCollectorSpec")).get("source")).get("filter")).get("metricsFormat"))
    problems = []
    for i, fmt in enumerate(formats):
        path = f"spec.metricsCollectorSpec.source.filter.metricsFormat[{i}]"
        fmt = _s(fmt)
        reason = go_compile_error(fmt)
        if reason is not None:
            problems.append(error(path, f"invalid filter: {reason}"))
            continue
        if not TWO_GROUPS.search(fmt):
            problems.append(error(path, "two top subexpressions are required",
                                  "group 1 captures the metric name, group 2 its value, e.g. "
                                  r"([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?)"))
    return problems


# ---------------------------------------------------------------------------------------------
# settings, as every settings check reads them


def settings_of(spec_part: dict) -> tuple[tuple[str, str], ...]:
    """(name, value) of every algorithmSettings entry, as written."""
    return tuple((_s(_d(s).get("name")), _s(_d(s).get("value")))
                 for s in _l(spec_part.get("algorithmSettings")))

