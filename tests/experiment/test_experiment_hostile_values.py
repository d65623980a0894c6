"""Parameter values that a process cannot carry or that Katib substitutes unpredictably
(issue 14 items 7 and 13), and the exact field paths of missing bounds (item 3)."""
from __future__ import annotations

import pytest
import yaml

from kubetune.cli import main
from kubetune.convert import ConvertError
from kubetune.convert.optuna_space_format import is_space_file, load_space
from kubetune.engine.template import render_workload, substitute
from kubetune.experiment import experiment_from_dict, lint
from experiment_helpers import errors_of, find, paths, warnings_of


def _categorical(doc) -> dict:
    return doc["spec"]["parameters"][2]  # optimizer: [sgd, adam]


# -- item 7: a NUL byte ----------------------------------------------------------------------------
def test_nul_byte_in_a_categorical_value_is_an_error_naming_the_parameter(doc):
    _categorical(doc)["feasibleSpace"]["list"].append("ad\x00am")
    problem = find(errors_of(doc), "spec.parameters[2].feasibleSpace.list[2]", 'parameter "optimizer"')
    assert "NUL byte" in problem.message and problem.is_error


def test_validate_and_run_cli_reject_the_nul_byte(doc, tmp_path, capsys):
    _categorical(doc)["feasibleSpace"]["list"].append("ad\x00am")
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(doc))
    assert main(["validate", str(path)]) == 1
    assert "spec.parameters[2].feasibleSpace.list[2]" in capsys.readouterr().err
    assert main(["run", str(path), "--workdir", str(tmp_path / "runs")]) == 2  # nothing started
    assert "spec.parameters[2].feasibleSpace.list[2]" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


# -- item 8: YAML nested 500 levels ----------------------------------------------------------------
def test_deeply_nested_yaml_is_a_clean_error_from_validate(tmp_path, capsys):
    path = tmp_path / "deep.yaml"
    path.write_text("a: " + "[" * 500 + "]" * 500 + "\n")
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}: invalid YAML: nested too deeply" in err and "Traceback" not in err
    assert is_space_file(path) is False
    with pytest.raises(ConvertError, match="nested too deeply"):
        load_space(path)


# -- item 13: a value holding a placeholder --------------------------------------------------------
def test_substitution_is_one_pass_and_verbatim():
    text = '["--a=${trialParameters.a}", "--w=${trialParameters.w}"]'
    assert substitute(text, {"a": "${trialParameters.w}", "w": "0.5"}) == \
        '["--a=${trialParameters.w}", "--w=0.5"]'
    # whatever order the values come in: a Go map's order is random, ours must not matter
    assert substitute(text, {"w": "0.5", "a": "${trialParameters.w}"}) == \
        '["--a=${trialParameters.w}", "--w=0.5"]'


def test_rendered_trial_gets_the_value_verbatim(doc):
    _categorical(doc)["feasibleSpace"]["list"] = ["${trialParameters.lr}", "adam"]
    exp = experiment_from_dict(doc)
    workload = render_workload(exp.trial_template, {"lr": "0.01", "batch_size": "16",
                                                    "optimizer": "${trialParameters.lr}"}, "t-1", "ns")
    command = workload["spec"]["template"]["spec"]["containers"][0]["command"]
    assert "--optimizer=${trialParameters.lr}" in command and "--lr=0.01" in command


def test_validate_warns_that_katib_substitutes_such_a_value_at_random(doc):
    _categorical(doc)["feasibleSpace"]["list"] = ["x-${trialParameters.lr}", "adam"]
    problem = find(warnings_of(doc), "spec.parameters[2].feasibleSpace.list[0]", "Go map order")
    assert "verbatim" in problem.message
    doc["spec"]["parameters"][2]["feasibleSpace"]["list"] = ["sgd", "adam"]
    assert "spec.parameters[2].feasibleSpace.list[0]" not in paths(lint(experiment_from_dict(doc)))
