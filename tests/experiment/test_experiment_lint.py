"""One case per generic lint trap: accepted by Katib, but hangs, fails later or misleads (the
algorithm-aware traps are tests/algorithms/test_algorithms_lint.py)."""
from __future__ import annotations

import pytest

from kubetune.experiment import experiment_from_dict, lint
from experiment_helpers import find, paths, warnings_of

T = "spec.trialTemplate"



def test_every_warning_is_a_warning_with_a_hint(doc, container):
    del doc["spec"]["maxTrialCount"]
    container["command"].append("$(trialParameters.lr)")
    warnings = warnings_of(doc)
    assert warnings and all(w.severity == "warning" and w.hint for w in warnings)


def test_parameter_not_referenced_by_any_trial_parameter(doc, container):
    doc["spec"]["parameters"].append({"name": "momentum", "parameterType": "double",
                                      "feasibleSpace": {"min": "0.5", "max": "0.9"}})
    w = find(warnings_of(doc), "spec.parameters[3].name", "not referenced by any trialParameter")
    assert "${trialParameters.momentum}" in w.hint


@pytest.mark.parametrize("text", ["$(trialParameters.lr)", "${ trialParameters.lr }", "${trialParameter.lr}",
                                  "{trialParameters.lr}", "$trialParameters.lr"])
def test_near_miss_placeholders_are_passed_through_literally(doc, container, text):
    container["command"].append(f"--x={text}")
    find(warnings_of(doc), f"{T}.trialSpec", "not a Katib placeholder")


def test_metadata_reference_to_a_missing_label(doc, container):
    doc["spec"]["trialTemplate"]["trialParameters"].append({"name": "team", "reference": "${trialSpec.Labels[team]}"})
    container["env"] = [{"name": "TEAM", "value": "${trialParameters.team}"}]
    w = find(warnings_of(doc), f"{T}.trialParameters[3].reference", "no metadata.labels key")
    assert "trialSpec.metadata.labels" in w.hint
    doc["spec"]["trialTemplate"]["trialSpec"]["metadata"] = {"labels": {"team": "vision"}}
    assert f"{T}.trialParameters[3].reference" not in paths(warnings_of(doc))


def test_early_stopping_without_retain(make_doc):
    doc = make_doc("median-stop.yaml")
    del doc["spec"]["trialTemplate"]["retain"]
    w = find(warnings_of(doc), f"{T}.retain", "early stopping without retain")
    assert "retain: true" in w.hint


def test_early_stopping_with_a_collector_that_cannot_stop(make_doc):
    doc = make_doc("median-stop.yaml")
    doc["spec"]["metricsCollectorSpec"] = {"collector": {"kind": "Push"}}
    find(warnings_of(doc), "spec.metricsCollectorSpec.collector.kind", "only works with the StdOut and File")


def test_no_max_trial_count(doc):
    del doc["spec"]["maxTrialCount"]
    find(warnings_of(doc), "spec.maxTrialCount", "no maxTrialCount")


def test_no_max_failed_trial_count(doc):
    del doc["spec"]["maxFailedTrialCount"]
    find(warnings_of(doc), "spec.maxFailedTrialCount", "still ends Succeeded")


@pytest.mark.parametrize("name", ["val/loss", "val.loss", "top-1 acc", "précision"])
def test_metric_names_the_default_stdout_regex_cannot_read(doc, name):
    doc["spec"]["objective"]["objectiveMetricName"] = name
    w = find(warnings_of(doc), "spec.objective.objectiveMetricName", "can never be read")
    assert "metricsFormat" in w.hint


def test_slash_metric_is_recorded_under_its_suffix(doc):
    doc["spec"]["objective"]["additionalMetricNames"] = ["val/loss"]
    w = find(warnings_of(doc), "spec.objective.additionalMetricNames[0]", "can never be read")
    assert 'recorded as "loss"' in w.message


def test_metric_names_are_fine_with_a_custom_filter(doc):
    doc["spec"]["objective"]["objectiveMetricName"] = "val/loss"
    doc["spec"]["metricsCollectorSpec"] = {"collector": {"kind": "StdOut"}, "source": {"filter": {
        "metricsFormat": [r"([\w/]+)=([+-]?\d+(\.\d+)?)"]}}}
    assert "spec.objective.objectiveMetricName" not in paths(warnings_of(doc))


def test_stdout_filter_problems_are_warnings(doc):
    doc["spec"]["metricsCollectorSpec"] = {"collector": {"kind": "StdOut"},
                                           "source": {"filter": {"metricsFormat": ["loss=(\\d+)"]}}}
    find(warnings_of(doc), "spec.metricsCollectorSpec.source.filter.metricsFormat[0]", "two top subexpressions")


def test_metric_strategy_with_an_invalid_value(doc):
    doc["spec"]["objective"]["metricStrategies"] = [{"name": "accuracy", "value": "maximum"},
                                                    {"name": "f1", "value": "max"}]
    warnings = warnings_of(doc)
    find(warnings, "spec.objective.metricStrategies[0].value", "unavailable")
    find(warnings, "spec.objective.metricStrategies[1].name", "never collected")


def test_file_collector_path_not_used_by_the_command(make_doc):
    doc = make_doc("file-collector.yaml")
    doc["spec"]["metricsCollectorSpec"]["source"]["fileSystemPath"]["path"] = "/katib/other.log"
    w = find(warnings_of(doc), "spec.metricsCollectorSpec.source.fileSystemPath.path", "never mentions")
    assert "/katib/other.log" in w.hint


def test_hyperband_discrete_values_must_be_numbers(make_doc):
    doc = make_doc("hyperband.yaml")
    doc["spec"]["parameters"][0] = {"name": "lr", "parameterType": "discrete",
                                    "feasibleSpace": {"list": ["low", "high"]}}
    w = find(warnings_of(doc), "spec.parameters[0].feasibleSpace.list", "hyperband fails")
    assert "categorical" in w.hint


def test_dot_in_the_experiment_name(doc):
    doc["metadata"]["name"] = "exp.v2"
    find(warnings_of(doc), "metadata.name", "DNS-1035")


def test_primary_container_name_not_in_the_pods(doc):
    doc["spec"]["trialTemplate"]["primaryContainerName"] = "training"
    w = find(warnings_of(doc), f"{T}.primaryContainerName", "no container named")
    assert "training-container" in w.hint


def test_primary_container_without_command(doc, container):
    container["args"] = container.pop("command")
    find(warnings_of(doc), f"{T}.trialSpec.spec.template.spec.containers[0].command", "ENTRYPOINT")


def test_job_restart_policy(doc):
    del doc["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["restartPolicy"]
    find(warnings_of(doc), f"{T}.trialSpec.spec.template.spec.restartPolicy", "Never or OnFailure")


def test_kind_outside_the_default_trial_resources(doc):
    ts = doc["spec"]["trialTemplate"]["trialSpec"]
    ts.update(apiVersion="argoproj.io/v1alpha1", kind="Workflow")
    doc["spec"]["trialTemplate"].update(successCondition='status.[@this].#(phase=="Succeeded")#',
                                        failureCondition='status.[@this].#(phase=="Failed")#')
    find(warnings_of(doc), f"{T}.trialSpec.kind", "trialResources")


def test_config_map_template_cannot_be_checked_or_run_locally(doc):
    del doc["spec"]["trialTemplate"]["trialSpec"]
    doc["spec"]["trialTemplate"].update(successCondition="x", failureCondition="y", configMap={
        "configMapName": "trial-templates", "configMapNamespace": "kubeflow", "templatePath": "job.yaml"})
    find(warnings_of(doc), f"{T}.configMap", "cannot read it")


def test_duplicate_names_and_unknown_distribution(doc):
    doc["spec"]["objective"]["additionalMetricNames"] = ["loss", "loss"]
    doc["spec"]["parameters"][0]["feasibleSpace"]["distribution"] = "unknown"
    warnings = warnings_of(doc)
    find(warnings, "spec.objective.additionalMetricNames[1]", "listed twice")
    find(warnings, "spec.parameters[0].feasibleSpace.distribution", "treats it as uniform")


def test_additional_metric_reported_in_the_objective_direction(doc):
    doc["spec"]["objective"].pop("metricStrategies")
    w = find(warnings_of(doc), "spec.objective.additionalMetricNames[0]", "reports its maximum")
    assert "value: min" in w.hint


def test_values_with_quotes_break_the_json_template(doc):
    doc["spec"]["parameters"][2]["feasibleSpace"]["list"] = ["sgd", 'adam"w']
    find(warnings_of(doc), "spec.parameters[2].feasibleSpace.list[1]", "unescaped")


def test_registered_extension_fields_are_kept_without_warning(doc):
    from kubetune.experiment import register_extension_field
    from kubetune.experiment.decode import EXTENSION_FIELDS

    doc["spec"]["kubetuneExtension"] = {"objectives": ["accuracy", "latency"]}
    assert "spec.kubetuneExtension" in paths(warnings_of(doc))
    register_extension_field("spec.kubetuneExtension")
    try:
        exp = experiment_from_dict(doc)
        assert "spec.kubetuneExtension" not in paths(lint(exp))
        assert exp.spec["kubetuneExtension"] == {"objectives": ["accuracy", "latency"]}
    finally:
        EXTENSION_FIELDS.discard("spec.kubetuneExtension")
