"""Katib's mutating-webhook defaults (katib-semantics 1.2-1.5), applied to a deep copy."""
from __future__ import annotations

import copy
from typing import Any

DEFAULT_PARALLEL_TRIAL_COUNT = 3
DEFAULT_RESUME_POLICY = "Never"
DEFAULT_DISTRIBUTION = "uniform"
DEFAULT_COLLECTOR_KIND = "StdOut"

DEFAULT_FILE_PATH = "/var/log/katib/metrics.log"
DEFAULT_TFEVENT_DIR = "/var/log/katib/tfevent/"
DEFAULT_PROMETHEUS_PATH = "/metrics"
DEFAULT_PROMETHEUS_PORT = 8080

# GJSON conditions, byte-exact as in Katib's constants.go.
JOB_SUCCESS_CONDITION = 'status.conditions.#(type=="Complete")#|#(status=="True")#'
JOB_FAILURE_CONDITION = 'status.conditions.#(type=="Failed")#|#(status=="True")#'
KUBEFLOW_SUCCESS_CONDITION = 'status.conditions.#(type=="Succeeded")#|#(status=="True")#'
KUBEFLOW_FAILURE_CONDITION = 'status.conditions.#(type=="Failed")#|#(status=="True")#'
KUBEFLOW_JOB_KINDS = ("TFJob", "PyTorchJob", "XGBoostJob", "MPIJob")

# kind -> (successCondition, failureCondition, primaryPodLabels or None)
TRIAL_KIND_DEFAULTS: dict[str, tuple[str, str, dict[str, str] | None]] = {
    "Job": (JOB_SUCCESS_CONDITION, JOB_FAILURE_CONDITION, None),
    **{kind: (KUBEFLOW_SUCCESS_CONDITION, KUBEFLOW_FAILURE_CONDITION,
              {"training.kubeflow.org/job-role": "master"}) for kind in KUBEFLOW_JOB_KINDS},
    "TrainJob": (JOB_SUCCESS_CONDITION, JOB_FAILURE_CONDITION,
                 {"jobset.sigs.k8s.io/replicatedjob-name": "node",
                  "batch.kubernetes.io/job-completion-index": "0"}),
}


def apply_defaults(raw: dict) -> dict:
    """Return a defaulted deep copy.

    `raw` is an Experiment document (with `spec`); a bare spec mapping (no apiVersion, kind or
    spec key) is accepted too and defaulted the same way. The input is never modified.
    """
    out = copy.deepcopy(raw)
    if not isinstance(out, dict):
        return out
    if any(k in out for k in ("spec", "apiVersion", "kind")):
        if isinstance(out.get("spec"), dict):
            default_spec_in_place(out["spec"])
    else:
        default_spec_in_place(out)
    return out


def default_spec_in_place(spec: dict) -> None:
    """The defaulting of Experiment.SetDefault(), in Katib's order."""
    if spec.get("parallelTrialCount") is None:
        spec["parallelTrialCount"] = DEFAULT_PARALLEL_TRIAL_COUNT
    if not spec.get("resumePolicy"):
        spec["resumePolicy"] = DEFAULT_RESUME_POLICY
    _default_distributions(spec)
    _default_objective(spec)
    _default_trial_template(spec)
    _default_metrics_collector(spec)


def _default_distributions(spec: dict) -> None:
    params = spec.get("parameters")
    if not isinstance(params, list):
        return
    for param in params:
        if not isinstance(param, dict):
            continue
        space = param.get("feasibleSpace")
        if space is None:
            space = param["feasibleSpace"] = {}
        if isinstance(space, dict) and not space.get("distribution"):
            space["distribution"] = DEFAULT_DISTRIBUTION


def strategy_for(objective_type: Any) -> str:
    """Default metric strategy: min for minimize, max for maximize, latest otherwise (1.3)."""
    return {"minimize": "min", "maximize": "max"}.get(objective_type, "latest")


def _default_objective(spec: dict) -> None:
    obj = spec.get("objective")
    if not isinstance(obj, dict):
        return
    strategies = obj.get("metricStrategies")
    if not isinstance(strategies, list):
        strategies = obj["metricStrategies"] = []
    name = obj.get("objectiveMetricName") or ""
    value = strategy_for(obj.get("type"))
    objective_has_one = False
    others: set = set()
    for s in strategies:
        s_name = (s.get("name") or "") if isinstance(s, dict) else ""
        if s_name == name:
            objective_has_one = True
            continue
        others.add(s_name)
    if not objective_has_one:
        strategies.append({"name": name, "value": value})
    additional = obj.get("additionalMetricNames")
    # Like Katib, the set of named strategies is not updated in this loop, so a repeated
    # additional metric gets repeated entries.
    for metric in additional if isinstance(additional, list) else ():
        if metric not in others:
            strategies.append({"name": metric, "value": value})


def _default_trial_template(spec: dict) -> None:
    template = spec.get("trialTemplate")
    if not isinstance(template, dict) or not isinstance(template.get("trialSpec"), dict):
        return
    kind = template["trialSpec"].get("kind")
    defaults = TRIAL_KIND_DEFAULTS.get(kind) if isinstance(kind, str) else None
    if defaults is None:
        return
    success, failure, pod_labels = defaults
    if not template.get("successCondition"):
        template["successCondition"] = success
    if not template.get("failureCondition"):
        template["failureCondition"] = failure
    if pod_labels is not None and not template.get("primaryPodLabels"):
        template["primaryPodLabels"] = dict(pod_labels)


def _child(parent: dict, key: str) -> dict | None:
    value = parent.get(key)
    if value is None:
        value = parent[key] = {}
    return value if isinstance(value, dict) else None


def _default_metrics_collector(spec: dict) -> None:
    mc = _child(spec, "metricsCollectorSpec")
    if mc is None:
        return
    if mc.get("collector") is None:
        mc["collector"] = {"kind": DEFAULT_COLLECTOR_KIND}
    collector = mc["collector"]
    kind = collector.get("kind") if isinstance(collector, dict) else None
    if kind == "PrometheusMetric":
        source = _child(mc, "source")
        http = _child(source, "httpGet") if source is not None else None
        if http is not None:
            if not http.get("path"):
                http["path"] = DEFAULT_PROMETHEUS_PATH
            if http.get("port") in (None, 0, "0"):  # IntOrString zero value prints "0"
                http["port"] = DEFAULT_PROMETHEUS_PORT
    elif kind in ("File", "TensorFlowEvent"):
        source = _child(mc, "source")
        fsp = _child(source, "fileSystemPath") if source is not None else None
        if fsp is None:
            return
        if kind == "File":
            if not fsp.get("kind"):
                fsp["kind"] = "File"
            if not fsp.get("path"):
                fsp["path"] = DEFAULT_FILE_PATH
            if not fsp.get("format"):
                fsp["format"] = "TEXT"
        else:
            if not fsp.get("kind"):
                fsp["kind"] = "Directory"
            if not fsp.get("path"):
                fsp["path"] = DEFAULT_TFEVENT_DIR
