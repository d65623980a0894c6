"""Katib's mutating-webhook defaults, exactly (katib-semantics 1.2-1.5)."""
from __future__ import annotations

import copy

import pytest

from kubetune.experiment import apply_defaults, experiment_from_dict

JOB_SUCCESS = 'status.conditions.#(type=="Complete")#|#(status=="True")#'
JOB_FAILURE = 'status.conditions.#(type=="Failed")#|#(status=="True")#'
KF_SUCCESS = 'status.conditions.#(type=="Succeeded")#|#(status=="True")#'


def test_top_level_defaults():
    spec = apply_defaults({"spec": {}})["spec"]
    assert spec["parallelTrialCount"] == 3
    assert spec["resumePolicy"] == "Never"
    assert spec["metricsCollectorSpec"] == {"collector": {"kind": "StdOut"}}
    assert "maxTrialCount" not in spec and "maxFailedTrialCount" not in spec


def test_a_bare_spec_is_defaulted_too_and_the_input_is_untouched():
    spec = {"parallelTrialCount": 5, "resumePolicy": "LongRunning"}
    before = copy.deepcopy(spec)
    out = apply_defaults(spec)
    assert out["parallelTrialCount"] == 5 and out["resumePolicy"] == "LongRunning"
    assert spec == before


def test_distribution_defaults_to_uniform_for_every_parameter_type():
    spec = apply_defaults({"spec": {"parameters": [
        {"name": "a", "parameterType": "double", "feasibleSpace": {"min": "0", "max": "1"}},
        {"name": "b", "parameterType": "categorical", "feasibleSpace": {"list": ["x"]}},
        {"name": "c", "parameterType": "int"},
        {"name": "d", "parameterType": "double",
         "feasibleSpace": {"min": "1", "max": "2", "distribution": "logUniform"}},
    ]}})["spec"]
    assert [p["feasibleSpace"]["distribution"] for p in spec["parameters"]] == [
        "uniform", "uniform", "uniform", "logUniform"]
    assert spec["parameters"][2]["feasibleSpace"] == {"distribution": "uniform"}


@pytest.mark.parametrize("objective_type, value", [("minimize", "min"), ("maximize", "max"), ("", "latest")])
def test_metric_strategies_follow_the_objective_direction_for_additional_metrics_too(objective_type, value):
    spec = apply_defaults({"spec": {"objective": {
        "type": objective_type, "objectiveMetricName": "loss",
        "additionalMetricNames": ["accuracy", "f1"]}}})["spec"]
    assert spec["objective"]["metricStrategies"] == [
        {"name": "loss", "value": value}, {"name": "accuracy", "value": value}, {"name": "f1", "value": value}]


def test_user_metric_strategies_are_kept_and_only_missing_ones_appended():
    spec = apply_defaults({"spec": {"objective": {
        "type": "maximize", "objectiveMetricName": "accuracy", "additionalMetricNames": ["loss", "f1"],
        "metricStrategies": [{"name": "loss", "value": "min"}, {"name": "accuracy", "value": "latest"}]}}})["spec"]
    assert spec["objective"]["metricStrategies"] == [
        {"name": "loss", "value": "min"}, {"name": "accuracy", "value": "latest"}, {"name": "f1", "value": "max"}]


def test_collector_source_defaults_per_kind():
    def mc(kind, source=None):
        body = {"collector": {"kind": kind}}
        if source is not None:
            body["source"] = source
        return apply_defaults({"spec": {"metricsCollectorSpec": body}})["spec"]["metricsCollectorSpec"]

    assert mc("File")["source"] == {"fileSystemPath": {
        "kind": "File", "path": "/var/log/katib/metrics.log", "format": "TEXT"}}
    assert mc("File", {"fileSystemPath": {"path": "/m.json", "format": "JSON"}})["source"] == {
        "fileSystemPath": {"path": "/m.json", "format": "JSON", "kind": "File"}}
    assert mc("TensorFlowEvent")["source"] == {"fileSystemPath": {
        "kind": "Directory", "path": "/var/log/katib/tfevent/"}}
    assert mc("PrometheusMetric")["source"] == {"httpGet": {"path": "/metrics", "port": 8080}}
    for kind in ("StdOut", "Custom", "Push"):
        assert "source" not in mc(kind)


@pytest.mark.parametrize("kind, success, labels", [
    ("Job", JOB_SUCCESS, None),
    ("TFJob", KF_SUCCESS, {"training.kubeflow.org/job-role": "master"}),
    ("PyTorchJob", KF_SUCCESS, {"training.kubeflow.org/job-role": "master"}),
    ("XGBoostJob", KF_SUCCESS, {"training.kubeflow.org/job-role": "master"}),
    ("MPIJob", KF_SUCCESS, {"training.kubeflow.org/job-role": "master"}),
    ("TrainJob", JOB_SUCCESS, {"jobset.sigs.k8s.io/replicatedjob-name": "node",
                               "batch.kubernetes.io/job-completion-index": "0"}),
])
def test_trial_template_defaults_by_kind_byte_exact(kind, success, labels):
    tt = apply_defaults({"spec": {"trialTemplate": {"trialSpec": {"apiVersion": "x/v1", "kind": kind}}}})[
        "spec"]["trialTemplate"]
    assert tt["successCondition"] == success
    assert tt["failureCondition"] == JOB_FAILURE
    assert tt.get("primaryPodLabels") == labels


def test_trial_template_defaults_never_overwrite_and_skip_unknown_kinds_and_configmaps():
    tt = apply_defaults({"spec": {"trialTemplate": {
        "trialSpec": {"kind": "TFJob"}, "successCondition": "mine",
        "primaryPodLabels": {"training.kubeflow.org/replica-type": "worker"}}}})["spec"]["trialTemplate"]
    assert tt["successCondition"] == "mine" and tt["failureCondition"] == JOB_FAILURE
    assert tt["primaryPodLabels"] == {"training.kubeflow.org/replica-type": "worker"}
    for template in ({"trialSpec": {"kind": "Workflow"}}, {"configMap": {"configMapName": "x"}}):
        tt = apply_defaults({"spec": {"trialTemplate": template}})["spec"]["trialTemplate"]
        assert "successCondition" not in tt and "failureCondition" not in tt


def test_loaded_experiment_carries_the_job_defaults(doc):
    exp = experiment_from_dict(doc)
    tt = exp.trial_template
    assert tt["successCondition"] == JOB_SUCCESS and tt["failureCondition"] == JOB_FAILURE
    assert "primaryPodLabels" not in tt
    assert exp.model.spec.trial_template.success_condition == JOB_SUCCESS
    assert exp.model.spec.parallel_trial_count == 2
    assert [(s.name, s.value) for s in exp.model.spec.objective.metric_strategies] == [
        ("loss", "min"), ("accuracy", "max")]
