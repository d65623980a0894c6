"""The SearchSpace YAML format: compiling to a Katib Experiment that passes `validate --strict`,
running it with `kubetune run`, and clear errors for bad input."""
from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest
import yaml

from kubetune.cli import main
from kubetune.convert import ConvertError
from kubetune.convert.optuna_space_compile import compile_space, compile_space_file, experiment_yaml
from kubetune.convert.optuna_space_format import load_space
from kubetune.algorithms import check
from kubetune.experiment import experiment_from_dict
from kubetune.experiment.conditions import parse_conditions

ROOT = Path(__file__).resolve().parents[2]
LECTURE = ROOT / "examples" / "optuna" / "lecture-nas.yaml"

TRIAL = """
import json, sys
args = dict(a[2:].split("=", 1) for a in sys.argv[1:])
json.dump(args, open("received.json", "w"))
acc = 0.5 + (0.4 if args["optimizer"] == "sgd" else 0.1) * float(args.get("lr", 0.1))
print(f"accuracy={acc}")
"""


def small_space(tmp_path: Path) -> dict:
    script = tmp_path / "trial.py"
    script.write_text(TRIAL)
    return {
        "apiVersion": "kubetune.io/v1alpha1",
        "kind": "SearchSpace",
        "metadata": {"name": "small"},
        "objective": {"metric": "accuracy", "direction": "maximize"},
        "algorithm": {"name": "random", "settings": {"random_state": 4}},
        "trials": 6,
        "parallel": 2,
        "trial": {"image": "python:3.11", "command": ["python", str(script)]},
        "parameters": {
            "optimizer": {"type": "categorical", "choices": ["sgd", "adam"]},
            "momentum": {"type": "float", "low": 0.5, "high": 0.99, "when": {"optimizer": "sgd"}, "neutral": 0.9},
            "betas": {"type": "categorical", "choices": ["0.9,0.999", "0.8,0.99"], "when": {"optimizer": ["adam"]}},
            "lr": {"type": "float", "low": "1e-3", "high": 1.0, "log": True},
            "epochs": 2,
            "tag": {"fixed": True, "flag": "--verbose"},
        },
    }


def write(tmp_path: Path, doc: dict, name: str = "space.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


# -- compiling --------------------------------------------------------------------------------------

def test_lecture_example_compiles_to_a_strictly_valid_katib_experiment(tmp_path, capsys):
    document = compile_space_file(LECTURE)
    spec = document["spec"]
    names = [p["name"] for p in spec["parameters"]]
    assert {"n_repeat_1", "normal_cell_2", "reduction_cell", "optimizer", "momentum", "betas", "lr",
            "batch_size", "epochs"} <= set(names)
    # flattened: conditional parameters are ordinary Katib parameters with their whole domain
    exp = experiment_from_dict(document)
    space, problems = parse_conditions(exp.annotations, exp.parameters)
    assert problems == [] and set(space.conditions) == {
        "normal_kernel_1", "normal_expansion_1", "normal_kernel_2", "normal_expansion_2", "reduction_kernel",
        "reduction_expansion", "momentum", "betas"}
    args = spec["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--n_stages=2" in args and "--momentum=${trialParameters.momentum}" in args
    assert "--batch-size=${trialParameters.batch_size}" in args
    errors, warnings = check(exp)
    assert errors == [] and warnings == []
    out = tmp_path / "lecture.experiment.yaml"
    assert main(["convert", "optuna", str(LECTURE), "-o", str(out)]) == 0
    assert out.read_text() == experiment_yaml(document, str(LECTURE))
    capsys.readouterr()
    assert main(["validate", "--strict", str(out)]) == 0
    assert main(["validate", "--strict", str(LECTURE)]) == 0  # a space file validates as what it compiles to
    assert "valid (tpe, 19 parameters)" in capsys.readouterr().out


def test_types_flags_and_fixed_values(tmp_path):
    document = compile_space(small_space(tmp_path))
    params = {p["name"]: p for p in document["spec"]["parameters"]}
    assert params["lr"]["feasibleSpace"] == {"min": "0.001", "max": "1.0", "distribution": "logUniform"}
    assert params["momentum"]["parameterType"] == "double"
    assert params["betas"]["feasibleSpace"]["list"] == ["0.9,0.999", "0.8,0.99"]
    assert "epochs" not in params and "tag" not in params
    container = document["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["--optimizer=${trialParameters.optimizer}", "--momentum=${trialParameters.momentum}",
                                 "--betas=${trialParameters.betas}", "--lr=${trialParameters.lr}", "--epochs=2",
                                 "--verbose=true"]
    conditions = yaml.safe_load(document["metadata"]["annotations"]["kubetune.io/conditions"])
    assert conditions == {"momentum": {"when": {"optimizer": "sgd"}, "neutral": "0.9"},
                          "betas": {"when": {"optimizer": ["adam"]}}}


def test_objectives_become_annotations_and_additional_metrics(tmp_path):
    doc = small_space(tmp_path)
    doc["objective"] = {"metric": "score", "direction": "maximize",
                        "objectives": {"accuracy": "maximize", "params": "minimize"}, "populationSize": 6}
    document = compile_space(doc)
    assert document["spec"]["objective"]["additionalMetricNames"] == ["accuracy", "params"]
    annotations = document["metadata"]["annotations"]
    assert yaml.safe_load(annotations["kubetune.io/objectives"]) == {"accuracy": "maximize", "params": "minimize"}
    assert annotations["kubetune.io/population-size"] == "6"


@pytest.mark.parametrize("edit, words", [
    (lambda d: d.update(trails=3), ['trails', 'did you mean "trials"']),
    (lambda d: d["parameters"]["lr"].update(step=0.1), ["parameters.lr.step", "step together with log"]),
    (lambda d: d["parameters"]["momentum"].update(low=1.0), ["parameters.momentum.low", "must be below high"]),
    (lambda d: d["parameters"]["momentum"].update(when={"optimiser": "sgd"}),
     ["parameters.momentum.when.optimiser", "not another parameter"]),
    (lambda d: d["parameters"]["momentum"].update(when={"epochs": 2}), ["is a fixed value"]),
    (lambda d: d["parameters"]["momentum"].update(when={"optimizer": "sdg"}), ["momentum.when.optimizer", "sdg"]),
    (lambda d: d["parameters"]["optimizer"].update(choices=["sgd", "sgd"]), ["values repeat"]),
    (lambda d: d["parameters"]["lr"].pop("low"), ["parameters.lr.low", "required"]),
    (lambda d: d["parameters"]["lr"].update(type="double"), ["parameters.lr.type", "categorical, float, int"]),
    (lambda d: d["parameters"]["optimizer"].update(neutral="sgd"), ["only a conditional parameter"]),
    (lambda d: d["parameters"].update({"bad name": 1}), ["parameter name", "bad name"]),
    (lambda d: d["parameters"].update(n={"type": "int", "low": 1, "high": 2.5}), ["parameters.n.high", "integer"]),
    (lambda d: d["trial"].pop("image"), ["trial.image", "required"]),
    (lambda d: d["objective"].update(direction="max"), ["objective.direction", "minimize, maximize"]),
    (lambda d: d["objective"].update(objectives={"accuracy": "maximize"}), ["objective.objectives", "at least two"]),
    (lambda d: d["objective"].update(populationSize=8), ["populationSize", "objective.objectives"]),
    (lambda d: d["metadata"].update(name="Bad_Name"), ["metadata.name"]),
])
def test_bad_input_names_the_key(tmp_path, edit, words):
    doc = small_space(tmp_path)
    edit(doc)
    path = write(tmp_path, doc)
    with pytest.raises(ConvertError) as info:
        compile_space_file(path)
    message = str(info.value)
    assert message.startswith("space.yaml") or "space.yaml" in message
    for word in words:
        assert word in message, message


def test_run_reports_a_bad_space_without_traceback(tmp_path, capsys):
    doc = small_space(tmp_path)
    doc["parameters"]["momentum"]["low"] = "x"
    assert main(["run", str(write(tmp_path, doc)), "--workdir", str(tmp_path / "runs")]) == 2
    assert "parameters.momentum.low" in capsys.readouterr().err


def test_load_space_rejects_other_documents(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("kind: Experiment\n")
    with pytest.raises(ConvertError, match="kind: SearchSpace"):
        load_space(path)


# -- running ----------------------------------------------------------------------------------------

def test_kubetune_run_space_file_samples_define_by_run(tmp_path, capsys):
    path = write(tmp_path, small_space(tmp_path))
    workdir = tmp_path / "runs"
    assert main(["run", str(path), "--workdir", str(workdir), "-o", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"]["trialsSucceeded"] == 6
    for trial in result["trials"]:
        p = trial["parameters"]
        if p["optimizer"] == "sgd":
            assert 0.5 <= float(p["momentum"]) <= 0.99 and p["betas"] == "0.9,0.999"  # betas neutral: first choice
        else:
            assert p["momentum"] == "0.9" and p["betas"] in ("0.9,0.999", "0.8,0.99")
        received = json.loads((workdir / "small" / "trials" / trial["name"] / "received.json").read_text())
        assert received == {**p, "epochs": "2", "verbose": "true"}  # what the trial got, flag by flag
    assert {t["parameters"]["optimizer"] for t in result["trials"]} == {"sgd", "adam"}


@pytest.mark.slow
def test_lecture_example_runs_two_tiny_trials_on_digits(tmp_path, capsys):
    """The shipped lecture search, unchanged but for the budget, trains the trainer's cells
    networks on 16 px digits."""
    import subprocess

    data = tmp_path / "digits"
    subprocess.run([sys.executable, "-m", "trainer", "data", "digits", "--out", str(data), "--image-size", "16"],
                   check=True, capture_output=True)
    doc = copy.deepcopy(load_space(LECTURE))
    doc.update(trials=2, parallel=2, maxFailed=1)
    path = write(tmp_path, doc, "lecture.yaml")
    workdir = tmp_path / "runs"
    code = main(["run", str(path), "--workdir", str(workdir), "--set-path", f"/data={data}", "-o", "json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0, result
    assert result["status"]["trialsSucceeded"] == 2
    exp = experiment_from_dict(compile_space(doc, str(path)))
    space, _ = parse_conditions(exp.annotations, exp.parameters)
    for trial in result["trials"]:
        p = trial["parameters"]
        assert float(trial["observation"]["params"]["latest"]) > 0
        for name in space.conditions:
            if not space.is_active(name, p):
                assert p[name] == space.neutral(name)
