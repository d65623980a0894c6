"""Katib's decode rules (katib-semantics 1.1): wrong JSON types reject the whole Experiment."""
from __future__ import annotations

import pytest

from experiment_helpers import errors_of, find


@pytest.mark.parametrize("field", ["min", "max", "step"])
def test_number_in_a_feasible_space_bound_must_be_quoted(doc, field):
    doc["spec"]["parameters"][0]["feasibleSpace"][field] = 0.01
    problem = find(errors_of(doc), f"spec.parameters[0].feasibleSpace.{field}", "must be a string")
    assert "found 0.01 (a number)" in problem.message
    assert f'{field}: "0.01"' in problem.hint


def test_list_items_must_be_strings_and_yaml_booleans_are_explained(doc):
    doc["spec"]["parameters"][2]["feasibleSpace"]["list"] = ["sgd", 3, True]
    errors = errors_of(doc)
    find(errors, "spec.parameters[2].feasibleSpace.list[1]", "found 3 (a number)")
    bool_problem = find(errors, "spec.parameters[2].feasibleSpace.list[2]", "a boolean")
    assert "yes/no" in bool_problem.hint


def test_algorithm_setting_values_are_strings(doc):
    doc["spec"]["algorithm"]["algorithmSettings"][0]["value"] = 7
    find(errors_of(doc), "spec.algorithm.algorithmSettings[0].value", "must be a string")


def test_early_stopping_setting_values_are_strings(doc):
    doc["spec"]["earlyStopping"] = {"algorithmName": "medianstop",
                                    "algorithmSettings": [{"name": "start_step", "value": 2}]}
    find(errors_of(doc), "spec.earlyStopping.algorithmSettings[0].value", "must be a string")


def test_metric_strategy_values_are_strings(doc):
    doc["spec"]["objective"]["metricStrategies"] = [{"name": "accuracy", "value": 1}]
    find(errors_of(doc), "spec.objective.metricStrategies[0].value", "must be a string")


def test_trial_parameter_fields_are_strings(doc):
    doc["spec"]["trialTemplate"]["trialParameters"][0]["description"] = 5
    find(errors_of(doc), "spec.trialTemplate.trialParameters[0].description", "must be a string")


def test_goal_is_a_number_not_a_string(doc):
    doc["spec"]["objective"]["goal"] = "0.99"
    problem = find(errors_of(doc), "spec.objective.goal", "must be a number")
    assert "without quotes" in problem.hint


def test_goal_accepts_an_integer(doc):
    doc["spec"]["objective"]["goal"] = 1
    assert errors_of(doc) == []


@pytest.mark.parametrize("field", ["parallelTrialCount", "maxTrialCount", "maxFailedTrialCount"])
def test_counts_are_int32(doc, field):
    doc["spec"][field] = 2**31
    find(errors_of(doc), f"spec.{field}", "32-bit")
    doc["spec"][field] = "3"
    find(errors_of(doc), f"spec.{field}", "must be an integer")
    doc["spec"][field] = 3.0
    assert "without the decimal point" in find(errors_of(doc), f"spec.{field}", "integer").hint
    doc["spec"][field] = True
    find(errors_of(doc), f"spec.{field}", "a boolean")


def test_nas_graph_sizes_are_int32(make_doc):
    doc = make_doc("enas.yaml")
    doc["spec"]["nasConfig"]["graphConfig"]["inputSizes"] = [32, "32", 3]
    find(errors_of(doc), "spec.nasConfig.graphConfig.inputSizes[1]", "must be an integer")


def test_retain_is_a_boolean(doc):
    doc["spec"]["trialTemplate"]["retain"] = "true"
    find(errors_of(doc), "spec.trialTemplate.retain", "must be true or false")


def test_a_mapping_where_a_list_belongs(doc):
    doc["spec"]["parameters"] = {"lr": {}}
    find(errors_of(doc), "spec.parameters", "must be a list")


def test_non_string_keys_are_rejected(doc):
    doc["spec"]["objective"][3] = "x"
    find(errors_of(doc), "spec.objective[3]", "keys must be strings")


def test_labels_and_annotations_are_string_maps(doc):
    doc["metadata"]["labels"] = {"team": 1}
    find(errors_of(doc), "metadata.labels.team", "must be a string")


def test_custom_collector_container_is_type_checked(doc):
    doc["spec"]["metricsCollectorSpec"] = {"collector": {"kind": "Custom", "customCollector": {
        "name": "collector", "image": "x", "imagePullPolicy": "Sometimes", "args": [1]}}}
    errors = errors_of(doc)
    find(errors, "spec.metricsCollectorSpec.collector.customCollector.imagePullPolicy", "Sometimes")
    find(errors, "spec.metricsCollectorSpec.collector.customCollector.args[0]", "must be a string")


def test_nulls_are_left_unset_like_go_does(doc):
    doc["spec"]["parallelTrialCount"] = None
    doc["spec"]["objective"]["goal"] = None
    from kubetune.experiment import experiment_from_dict

    exp = experiment_from_dict(doc)
    assert exp.parallel_trial_count == 3 and exp.objective.goal is None


def test_trial_spec_keeps_arbitrary_content_and_yaml_timestamps_become_strings(doc):
    import datetime

    from kubetune.experiment import experiment_from_dict

    doc["spec"]["trialTemplate"]["trialSpec"]["metadata"] = {
        "annotations": {"built": datetime.date(2024, 3, 4).isoformat()}}
    exp = experiment_from_dict(doc)
    assert exp.trial_template["trialSpec"]["metadata"]["annotations"]["built"] == "2024-03-04"
