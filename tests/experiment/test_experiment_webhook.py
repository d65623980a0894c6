"""One failing case per admission rule of Katib's validating webhook (katib-semantics 2.1)."""
from __future__ import annotations

import pytest

from kubetune.experiment import apply_defaults, validate
from experiment_helpers import errors_of, find, paths

T = "spec.trialTemplate"


def job_spec(doc: dict) -> dict:
    return doc["spec"]["trialTemplate"]["trialSpec"]


# --- name and counts ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["1-exp", "-exp", "Exp", "a" * 41])
def test_name_must_start_with_a_letter_and_fit_40_chars(doc, name):
    doc["metadata"]["name"] = name
    find(errors_of(doc), "metadata.name", "at most 40 characters")


def test_name_rule_is_unanchored_at_the_end_like_katib(doc):
    doc["metadata"]["name"] = "exp.v2"  # passes Katib's regex (see lint for the Service-name trap)
    assert errors_of(doc) == []


def test_kubernetes_rejects_underscores_before_katib_sees_the_name(doc):
    doc["metadata"]["name"] = "my_exp"
    find(errors_of(doc), "metadata.name", "Kubernetes names")


def test_name_is_required(doc):
    del doc["metadata"]["name"]
    find(errors_of(doc), "metadata.name", "required")


def test_namespace_must_be_a_dns_label(doc):
    doc["metadata"]["namespace"] = "Team_A"
    find(errors_of(doc), "metadata.namespace")


@pytest.mark.parametrize("field, value, text", [
    ("maxFailedTrialCount", -1, "should not be less than 0"),
    ("maxTrialCount", 0, "must be greater than 0"),
    ("parallelTrialCount", 0, "must be greater than 0"),
])
def test_count_bounds(doc, field, value, text):
    doc["spec"][field] = value
    find(errors_of(doc), f"spec.{field}", text)


def test_max_failed_above_max_trials(doc):
    doc["spec"]["maxFailedTrialCount"] = 7
    find(errors_of(doc), "spec.maxFailedTrialCount", "less than or equal to spec.maxTrialCount")


def test_parallel_above_max_trials(doc):
    doc["spec"]["parallelTrialCount"] = 7
    find(errors_of(doc), "spec.parallelTrialCount", "less than or equal to spec.maxTrialCount")


# --- objective (errors stop validation) ---------------------------------------------------------

def test_every_problem_is_reported_not_only_the_first(doc):
    del doc["spec"]["objective"]
    del doc["spec"]["algorithm"]  # Katib's webhook would return after the objective; we report both
    assert {"spec.objective", "spec.algorithm"} <= set(paths(errors_of(doc)))


def test_objective_type(doc):
    doc["spec"]["objective"]["type"] = "maximise"
    problem = find(errors_of(doc), "spec.objective.type", "minimize or maximize")
    assert 'did you mean "maximize"' in problem.hint


def test_objective_metric_name_required(doc):
    doc["spec"]["objective"]["objectiveMetricName"] = ""
    find(errors_of(doc), "spec.objective.objectiveMetricName", "required")


def test_additional_metrics_must_not_repeat_the_objective(doc):
    doc["spec"]["objective"]["additionalMetricNames"] = ["loss", "accuracy"]
    find(errors_of(doc), "spec.objective.additionalMetricNames", "should not contain")


# --- algorithm, early stopping, resume policy ---------------------------------------------------

def test_algorithm_required(doc):
    del doc["spec"]["algorithm"]
    find(errors_of(doc), "spec.algorithm", "required")


def test_algorithm_name_required(doc):
    doc["spec"]["algorithm"] = {"algorithmName": ""}
    find(errors_of(doc), "spec.algorithm.algorithmName", "required")


def test_unknown_algorithm(doc):
    doc["spec"]["algorithm"] = {"algorithmName": "bayesian"}
    problem = find(errors_of(doc), "spec.algorithm.algorithmName", "unable to get Suggestion config data")
    assert "bayesianoptimization" in problem.hint


def test_early_stopping_name_required(doc):
    doc["spec"]["earlyStopping"] = {"algorithmSettings": []}
    find(errors_of(doc), "spec.earlyStopping.algorithmName", "required")


def test_unknown_early_stopping(doc):
    doc["spec"]["earlyStopping"] = {"algorithmName": "median"}
    problem = find(errors_of(doc), "spec.earlyStopping.algorithmName", "EarlyStopping config data")
    assert "medianstop" in problem.hint


def test_resume_policy(doc):
    doc["spec"]["resumePolicy"] = "Always"
    find(errors_of(doc), "spec.resumePolicy", "invalid ResumePolicyType")


# --- trial template, rules 1-18 -----------------------------------------------------------------

def test_rule1_trial_template_required(doc):
    del doc["spec"]["trialTemplate"]
    find(errors_of(doc), T, "required")


def test_rule2_primary_container_name_required(doc):
    del doc["spec"]["trialTemplate"]["primaryContainerName"]
    find(errors_of(doc), f"{T}.primaryContainerName", "required")


def test_rule3_conditions_required_for_kinds_without_defaults(doc):
    job_spec(doc)["apiVersion"] = "argoproj.io/v1alpha1"
    job_spec(doc)["kind"] = "Workflow"
    problem = find(errors_of(doc), T, "successCondition and failureCondition")
    assert "GJSON" in problem.hint


@pytest.mark.parametrize("value", [None, []])
def test_rule4_trial_parameters_required_even_when_empty(doc, value):
    doc["spec"]["trialTemplate"]["trialParameters"] = value
    errors = errors_of(doc)
    find(errors, f"{T}.trialParameters", "required")
    assert not [p for p in errors if p.path.startswith(f"{T}.trialSpec")]  # Katib returns here


def test_rule5_trial_spec_or_config_map_required(doc):
    del doc["spec"]["trialTemplate"]["trialSpec"]
    doc["spec"]["trialTemplate"]["successCondition"] = "x"
    doc["spec"]["trialTemplate"]["failureCondition"] = "y"
    find(errors_of(doc), T, "trialSpec or spec.trialTemplate.configMap must be specified")


def test_rule6_not_both_trial_spec_and_config_map(doc):
    doc["spec"]["trialTemplate"]["configMap"] = {"configMapName": "a", "configMapNamespace": "b",
                                                 "templatePath": "c"}
    find(errors_of(doc), T, "only one of")


def test_rule7_config_map_needs_all_three_fields(doc):
    del doc["spec"]["trialTemplate"]["trialSpec"]
    doc["spec"]["trialTemplate"].update(successCondition="x", failureCondition="y",
                                        configMap={"configMapName": "templates", "templatePath": "job.yaml"})
    find(errors_of(doc), f"{T}.configMap", "configMapName, configMapNamespace and templatePath")


@pytest.mark.parametrize("tp", [{"name": "", "reference": "lr"}, {"name": "lr"}, {"name": "a{b", "reference": "lr"}])
def test_rule9_trial_parameter_name_and_reference(doc, tp):
    doc["spec"]["trialTemplate"]["trialParameters"][0] = tp
    find(errors_of(doc), f"{T}.trialParameters[0]", "name and reference must be specified")


def test_rule10_duplicate_trial_parameter_name(doc):
    doc["spec"]["trialTemplate"]["trialParameters"][1]["name"] = "lr"
    find(errors_of(doc), f"{T}.trialParameters[1].name", "can't be duplicated")


def test_rule11_duplicate_trial_parameter_reference(doc):
    doc["spec"]["trialTemplate"]["trialParameters"][1]["reference"] = "lr"
    find(errors_of(doc), f"{T}.trialParameters[1].reference", "can't be duplicated")


def test_rule12_reference_must_name_a_parameter(doc):
    doc["spec"]["trialTemplate"]["trialParameters"][1]["reference"] = "batchsize"
    problem = find(errors_of(doc), f"{T}.trialParameters[1].reference", "does not exist in spec.parameters")
    assert 'did you mean "batch_size"' in problem.hint


@pytest.mark.parametrize("ref", ["${trialSpec.Name}", "${trialSpec.Namespace}", "${trialSpec.Kind}",
                                 "${trialSpec.APIVersion}", "${trialSpec.Labels[app]}",
                                 "${trialSpec.Annotations[note]}"])
def test_rule12_metadata_references_are_accepted(doc, container, ref):
    doc["spec"]["trialTemplate"]["trialParameters"].append({"name": "meta", "reference": ref})
    container["env"] = [{"name": "META", "value": "${trialParameters.meta}"}]
    job_spec(doc)["metadata"] = {"labels": {"app": "x"}, "annotations": {"note": "y"}}
    assert errors_of(doc) == []


def test_rule12_skipped_without_parameters_for_nas(make_doc):
    doc = make_doc("enas.yaml")
    doc["spec"]["trialTemplate"]["trialParameters"][0]["reference"] = "whatever"
    assert errors_of(doc) == []  # Katib does not check references for NAS (lint does)


def test_rule13_declared_trial_parameter_missing_from_template_returns_early(doc, container):
    container["command"] = ["python", "-m", "trainer", "train", "--lr=${trialParameters.lr}",
                            "--undeclared=${trialParameters.nope}"]
    errors = errors_of(doc)
    find(errors, f"{T}.trialParameters[1].name", "not found in spec.trialTemplate")
    assert not [p for p in errors if "nope" in p.message]  # rule 14 never ran


def test_rule14_placeholder_not_declared(doc, container):
    container["args"] = ["--seed=${trialParameters.seed}"]
    problem = find(errors_of(doc), f"{T}.trialSpec", "not found in spec.trialParameters")
    assert "${trialParameters.seed}" in problem.message


def test_rule16_template_must_not_set_name_or_namespace(doc):
    job_spec(doc)["metadata"] = {"name": "fixed", "namespace": "ns"}
    errors = errors_of(doc)
    find(errors, f"{T}.trialSpec.metadata.name", "must be omitted")
    find(errors, f"{T}.trialSpec.metadata.namespace", "must be omitted")


@pytest.mark.parametrize("field", ["apiVersion", "kind"])
def test_rule17_api_version_and_kind_required(doc, field):
    del job_spec(doc)[field]
    doc["spec"]["trialTemplate"].update(successCondition="x", failureCondition="y")
    find(errors_of(doc), f"{T}.trialSpec.{field}", "APIVersion and Kind")


def test_rule18_job_unknown_field_is_an_error(doc, container):
    container["comand"] = ["python"]
    problem = find(errors_of(doc), f"{T}.trialSpec.spec.template.spec.containers[0].comand", "unknown field")
    assert problem.severity == "error" and 'did you mean "command"' in problem.hint


def test_rule18_job_wrong_type_even_through_a_placeholder(doc):
    doc["spec"]["trialTemplate"]["trialSpec"]["spec"]["parallelism"] = "${trialParameters.lr}"
    find(errors_of(doc), f"{T}.trialSpec.spec.parallelism", "must be an integer")


def test_rule18_job_null_and_empty_values_do_not_survive_the_round_trip(doc, container):
    container["args"] = []
    container["workingDir"] = None
    errors = errors_of(doc)
    find(errors, f"{T}.trialSpec.spec.template.spec.containers[0].args", "empty list")
    find(errors, f"{T}.trialSpec.spec.template.spec.containers[0].workingDir", "null")


def test_rule18_resources_are_not_checked_and_other_kinds_are_not_schema_checked(doc, container):
    container["resources"] = {"limits": {"nvidia.com/gpu": 1, "cpu": "500m"}, "requests": {"memory": 1.5}}
    assert errors_of(doc) == []
    job_spec(doc)["apiVersion"] = "kubeflow.org/v1"
    job_spec(doc)["kind"] = "PyTorchJob"
    job_spec(doc)["spec"]["anything"] = {"goes": True}
    assert errors_of(doc) == []


# --- parameters ---------------------------------------------------------------------------------

def test_parameters_or_nas_config_required(doc):
    del doc["spec"]["parameters"]
    find(errors_of(doc), "spec", "spec.parameters or spec.nasConfig must be specified")


def test_not_both_parameters_and_nas_config(doc, make_doc):
    doc["spec"]["nasConfig"] = make_doc("enas.yaml")["spec"]["nasConfig"]
    find(errors_of(doc), "spec", "only one of spec.parameters and spec.nasConfig")


def test_parameter_type(doc):
    doc["spec"]["parameters"][0]["parameterType"] = "float"
    find(errors_of(doc), "spec.parameters[0].parameterType", "is not supported")


def test_distribution(doc):
    doc["spec"]["parameters"][0]["feasibleSpace"]["distribution"] = "loguniform"
    problem = find(errors_of(doc), "spec.parameters[0].feasibleSpace.distribution", "is not supported")
    assert 'did you mean "logUniform"' in problem.hint


def test_empty_feasible_space_when_the_mutating_webhook_was_bypassed(doc):
    doc["spec"]["parameters"][0]["feasibleSpace"] = {}
    spec = doc["spec"]  # not defaulted: distribution stays empty
    find(validate(spec, "x"), "spec.parameters[0].feasibleSpace", "must be specified")


def test_numeric_parameter_with_a_list(doc):
    doc["spec"]["parameters"][0]["feasibleSpace"]["list"] = ["0.1"]
    find(errors_of(doc), "spec.parameters[0].feasibleSpace.list", "not supported")


@pytest.mark.parametrize("missing", [("min",), ("max",), ("min", "max"), ("min", "max", "step")])
def test_numeric_parameter_needs_min_and_max_and_katib_always_names_max(doc, missing):
    # validator.go: field.Required(...Child("feasibleSpace").Child("max")) whichever bound is absent
    for key in missing:
        doc["spec"]["parameters"][1]["feasibleSpace"].pop(key, None)
    problems = errors_of(doc)
    find(problems, "spec.parameters[1].feasibleSpace.max", "must be specified for parameterType")
    assert "spec.parameters[1].feasibleSpace.min" not in paths(problems)


@pytest.mark.parametrize("space", [{}, None])
def test_empty_feasible_space_after_defaulting_is_named_max_like_katib(doc, space):
    # the mutating webhook sets distribution: uniform, so the space is no longer empty
    if space is None:
        del doc["spec"]["parameters"][1]["feasibleSpace"]
    else:
        doc["spec"]["parameters"][1]["feasibleSpace"] = space
    assert paths(errors_of(doc)) == ["spec.parameters[1].feasibleSpace.max"]


def test_categorical_with_bounds(doc):
    doc["spec"]["parameters"][2]["feasibleSpace"]["step"] = "1"
    find(errors_of(doc), "spec.parameters[2].feasibleSpace", ".max, .min and .step is not supported")


# --- metrics collector --------------------------------------------------------------------------

MC = "spec.metricsCollectorSpec"


def collector(doc, kind, source=None):
    doc["spec"]["metricsCollectorSpec"] = {"collector": {"kind": kind}}
    if source is not None:
        doc["spec"]["metricsCollectorSpec"]["source"] = source


def test_prometheus_has_no_collector_in_katib_config(doc):
    collector(doc, "PrometheusMetric")
    find(errors_of(doc), f"{MC}.collector.kind", "GetMetricsCollectorConfigData")


def test_prometheus_port_and_path(doc):
    collector(doc, "PrometheusMetric", {"httpGet": {"path": "metrics", "port": -1}})
    errors = validate(apply_defaults(doc)["spec"], "x")
    find(errors, f"{MC}.source.httpGet.port", "positive integer")
    find(errors, f"{MC}.source.httpGet.path", "path is invalid")


@pytest.mark.parametrize("fsp", [{"path": "metrics.log"}, {"path": "/m.log", "kind": "Directory"}])
def test_file_collector_needs_an_absolute_file_path(doc, fsp):
    collector(doc, "File", {"fileSystemPath": fsp})
    find(errors_of(doc), f"{MC}.source.fileSystemPath.path", "file path")


def test_file_collector_format(doc):
    collector(doc, "File", {"fileSystemPath": {"path": "/m.log", "format": "CSV"}})
    find(errors_of(doc), f"{MC}.source.fileSystemPath.format", "format of metrics file")


def test_file_collector_json_takes_no_filter(doc):
    collector(doc, "File", {"fileSystemPath": {"path": "/m.json", "format": "JSON"},
                            "filter": {"metricsFormat": ["(a)=(b)"]}})
    find(errors_of(doc), f"{MC}.source.filter", "must be nil")


def test_tfevent_collector_needs_a_directory(doc):
    collector(doc, "TensorFlowEvent", {"fileSystemPath": {"path": "/logs", "kind": "File", "format": "TEXT"}})
    errors = errors_of(doc)
    find(errors, f"{MC}.source", "directory path")
    find(errors, f"{MC}.source.fileSystemPath.format", "must be empty")


def test_custom_collector_needs_a_container_and_a_valid_source(doc):
    collector(doc, "Custom", {"fileSystemPath": {"path": "rel", "kind": "File"}})
    errors = errors_of(doc)
    find(errors, f"{MC}.collector.customCollector", "is required")
    find(errors, f"{MC}.source.fileSystemPath", "source is invalid")


@pytest.mark.parametrize("kind", ["", "Stdout"])
def test_invalid_collector_kind(doc, kind):
    collector(doc, kind)
    find(errors_of(doc), f"{MC}.collector.kind", "invalid metrics collector kind")


@pytest.mark.parametrize("fmt, text", [("([a-z]+=(\\d+)", "invalid filter"), ("(?=x)(a)(b)", "invalid filter"),
                                       ("([a-z]+)=\\d+", "two top subexpressions")])
def test_file_collector_filters(doc, fmt, text):
    collector(doc, "File", {"fileSystemPath": {"path": "/m.log", "kind": "File", "format": "TEXT"},
                            "filter": {"metricsFormat": [fmt]}})
    find(errors_of(doc), f"{MC}.source.filter.metricsFormat[0]", text)


def test_stdout_filters_are_not_checked_at_admission(doc):
    collector(doc, "StdOut", {"filter": {"metricsFormat": ["no groups"]}})
    assert errors_of(doc) == []
