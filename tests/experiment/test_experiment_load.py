"""Loading: files and text, multi-document YAML, malformed input, SpecError formatting."""
from __future__ import annotations

import copy

import pytest

from kubetune.experiment import (
    Problem,
    SpecError,
    experiment_from_dict,
    lint,
    load_documents,
    load_experiment,
    load_experiments,
)
from experiment_helpers import DATA, find


def test_multi_document_file_picks_experiments_and_skips_empty_docs():
    docs = load_documents(DATA / "multi.yaml")
    assert [d.get("kind") for d, _ in docs] == ["ConfigMap", "Experiment", "Experiment"]
    # labels carry the 1-based document number (the empty third document is skipped)
    assert [label.rsplit("#", 1)[1] for _, label in docs] == ["1", "2", "4"]
    exps = load_experiments(DATA / "multi.yaml")
    assert [e.name for e in exps] == ["first", "second"]
    assert exps[1].source.endswith("multi.yaml#4")
    assert load_experiment(DATA / "multi.yaml").name == "first"


def test_path_given_as_str_and_yaml_text_both_load():
    path = str(DATA / "tpe.yaml")
    assert load_experiment(path).name == "tpe-example"
    text = (DATA / "tpe.yaml").read_text()
    exp = load_experiment(text)
    assert exp.name == "tpe-example" and exp.source == "<text>"


def test_single_document_label_is_the_file_name():
    [(doc, label)] = load_documents(DATA / "tpe.yaml")
    assert label == str(DATA / "tpe.yaml") and doc["kind"] == "Experiment"


def test_malformed_yaml_reports_file_line_and_column(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: kubeflow.org/v1beta1\nkind: Experiment\nspec:\n  objective: [a, b\n")
    with pytest.raises(SpecError) as info:
        load_experiments(bad)
    assert info.value.source.startswith(f"{bad}:")
    line, column = info.value.source.rsplit(":", 2)[1:]
    assert int(line) >= 4 and int(column) >= 1
    assert "invalid YAML" in str(info.value)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(SpecError, match="cannot read file"):
        load_experiments(str(tmp_path / "nope.yaml"))


def test_no_experiment_is_an_error():
    with pytest.raises(SpecError) as info:
        load_experiments("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    find(info.value.problems, "kind", "no Experiment")
    with pytest.raises(SpecError, match="empty"):
        load_experiments("---\n---\n")


def test_a_document_that_is_not_a_mapping_is_an_error():
    with pytest.raises(SpecError, match="must be a mapping, found a list"):
        load_documents("- a\n- b\n")


def test_other_kinds_are_ignored_but_a_wrong_api_version_is_not(doc):
    doc["apiVersion"] = "kubeflow.org/v1alpha3"
    with pytest.raises(SpecError) as info:
        experiment_from_dict(doc)
    find(info.value.problems, "apiVersion", "kubeflow.org/v1beta1")


def test_spec_error_lists_every_problem_prefixed_by_the_source(doc):
    doc["spec"]["parallelTrialCount"] = 0
    doc["spec"]["maxFailedTrialCount"] = -1
    doc["spec"]["parameters"][0]["parameterType"] = "float"
    doc["spec"]["paralelTrialCount"] = 2  # unknown: a warning shown next to the errors
    with pytest.raises(SpecError) as info:
        experiment_from_dict(doc, "exp.yaml")
    err = info.value
    lines = str(err).splitlines()
    assert len(lines) == len(err.problems) == 4
    assert all(line.startswith("exp.yaml: ") for line in lines)
    assert [p.path for p in err.errors] == ["spec.maxFailedTrialCount", "spec.parallelTrialCount",
                                            "spec.parameters[0].parameterType"]
    assert lines[-1].startswith("exp.yaml: warning: spec.paralelTrialCount")
    assert copy.deepcopy(err).problems == err.problems  # survives the pickle protocol (reduce)


def test_problem_str_format():
    p = Problem("spec.parameters[2].feasibleSpace.min", 'found "abc"; must be a number', "error",
                "Katib reads it as a string")
    assert str(p) == ('spec.parameters[2].feasibleSpace.min: found "abc"; must be a number '
                      "(Katib reads it as a string)")
    assert str(Problem("", "invalid YAML", "error")) == "invalid YAML"


def test_unknown_fields_are_warnings_with_did_you_mean(doc):
    del doc["spec"]["parallelTrialCount"]
    doc["spec"]["parallelTrialcount"] = 1
    doc["spec"]["objective"]["objectiveMetricname"] = "x"
    doc["spec"]["trialTemplate"]["retian"] = True
    doc["metadata"]["annotations"]["kubetune.io/extension"] = "anything"
    exp = experiment_from_dict(doc)
    warnings = lint(exp)
    w = find(warnings, "spec.parallelTrialcount", "unknown field")
    assert 'did you mean "parallelTrialCount"' in w.hint
    assert 'did you mean "objectiveMetricName"' in find(warnings, "spec.objective.objectiveMetricname").hint
    assert 'did you mean "retain"' in find(warnings, "spec.trialTemplate.retian").hint
    # the misspelt key had no effect: Katib's default stays
    assert exp.parallel_trial_count == 3
    # annotations are never flagged and are kept untouched
    assert exp.annotations["kubetune.io/extension"] == "anything"
    assert not [w for w in warnings if "annotations" in w.path]


def test_status_is_ignored_with_a_warning(doc):
    doc["status"] = {"trials": 3}
    exp = experiment_from_dict(doc)
    find(lint(exp), "status", "ignored")


def test_input_dict_is_not_modified(doc):
    before = copy.deepcopy(doc)
    experiment_from_dict(doc)
    assert doc == before
