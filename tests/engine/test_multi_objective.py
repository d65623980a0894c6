"""Multi-objective search (kubetune.io/objectives): NSGA-II locally, the Pareto front in
`kubetune best`, the annotation's errors, and the trainer's scalarised `score` for Katib."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from engine_helpers import experiment

from kubetune.cli import main
from kubetune.engine import LocalEngine
from kubetune.engine.extensions import build_suggester
from kubetune.engine.pareto import dominates
from kubetune.algorithms.define_by_run import DefineByRunSuggester
from kubetune.algorithms import check
from kubetune.experiment import experiment_from_dict, load_experiment
from kubetune.experiment.objectives import parse_objectives
from trainer.report import penalised_score

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "multi-objective" / "experiment.yaml"

# accuracy rises with width and lr near 0.1; params grow with width: the two conflict.
TRIAL = """
import argparse, math
p = argparse.ArgumentParser()
p.add_argument("--width", type=int)
p.add_argument("--lr", type=float)
a = p.parse_args()
accuracy = 1 - 1 / (1 + a.width) - 0.2 * abs(math.log10(a.lr) + 1)
params = 100 * a.width ** 2
score = accuracy - 0.1 * max(0.0, math.log(params / 10000))
print(f"params={params}")
print(f"score={score:.6f} accuracy={accuracy:.6f}")
"""
DIRECTIONS = ("maximize", "minimize")


def mo_experiment(tmp_path: Path, name: str = "mo", trials: int = 14, population: int = 4, **annotations) -> dict:
    script = tmp_path / "trial.py"
    script.write_text(TRIAL)
    params = [{"name": "width", "parameterType": "int", "feasibleSpace": {"min": "1", "max": "64"}},
              {"name": "lr", "parameterType": "double",
               "feasibleSpace": {"min": "0.001", "max": "1.0", "distribution": "logUniform"}}]
    raw = experiment(name, parameters=params, algorithm="tpe", parallel=2, max_trials=trials, metric="score",
                     additional=("accuracy", "params"),
                     args=["--width", "${trialParameters.width}", "--lr", "${trialParameters.lr}"])
    raw["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]["command"] = [
        "python", str(script)]
    raw["spec"]["objective"]["metricStrategies"] = [{"name": "params", "value": "latest"}]
    raw["metadata"]["annotations"] = {"kubetune.io/objectives": "{accuracy: maximize, params: minimize}",
                                      "kubetune.io/population-size": str(population), **annotations}
    return raw


def test_nsga2_run_gives_a_pareto_front_in_best_json(tmp_path, capsys):
    raw = mo_experiment(tmp_path)
    exp = experiment_from_dict(raw)
    assert check(exp)[0] == []
    suggester = build_suggester(exp, 3)
    assert isinstance(suggester, DefineByRunSuggester) and suggester.algorithm == "nsga2"
    result = LocalEngine(exp, tmp_path / "runs", seed=3, gpus=[]).run()
    assert result.succeeded and len(result.trials) == 14
    capsys.readouterr()
    assert main(["best", "mo", "--workdir", str(tmp_path / "runs"), "-o", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["objectives"] == [{"name": "accuracy", "direction": "maximize"},
                                   {"name": "params", "direction": "minimize"}]
    front = shown["paretoFront"]
    values = {t.name: (float(t.observation["accuracy"]["max"]), float(t.observation["params"]["latest"]))
              for t in result.trials if t.state == "Succeeded"}
    assert front and {m["name"] for m in front} <= set(values)
    for member in front:
        assert (member["values"]["accuracy"], member["values"]["params"]) == values[member["name"]]
        # no trial of the run dominates a front member ...
        assert not any(dominates(v, values[member["name"]], DIRECTIONS) for v in values.values())
    front_names = {m["name"] for m in front}
    for name, v in values.items():  # ... and every other trial is dominated by one
        if name not in front_names:
            assert any(dominates(values[m], v, DIRECTIONS) for m in front_names)
    assert shown["best"]["name"] == result.status["currentOptimalTrial"]["bestTrialName"]  # best by score
    # the table form names the objectives and lists the front
    assert main(["best", "mo", "--workdir", str(tmp_path / "runs")]) == 0
    table = capsys.readouterr().out
    assert "Pareto front of mo" in table and "accuracy (max)" in table and "params (min)" in table


def test_nsga2_told_every_objective_and_resumes(tmp_path):
    """The study is multi-objective and holds each finished trial's metric values; a fresh
    suggester (resumed run) adopts them."""
    from kubetune.algorithms import TrialView

    exp = experiment_from_dict(mo_experiment(tmp_path, population=2))
    suggester = build_suggester(exp, 1)
    views = []
    for _ in range(3):
        for s in suggester.suggest(2, views):
            width = int(s.assignments["width"])
            views.append(TrialView(f"t{len(views)}", s.assignments, "Succeeded", 0.5,
                                   {"accuracy": 1 - 1 / width, "params": 100.0 * width ** 2, "score": 0.5}, {}))
    suggester.suggest(0, views)
    told = [t.values for t in suggester.study.trials]
    assert told == [[v.metrics["accuracy"], v.metrics["params"]] for v in views]
    again = build_suggester(exp, 2)
    assert len(again.suggest(2, views)) == 2
    assert [t.values for t in again.study.trials[:len(views)]] == told


@pytest.mark.parametrize("annotations, words", [
    ({"kubetune.io/objectives": "{accuracy: maximize, size: minimize}"}, ["size", "additionalMetricNames"]),
    ({"kubetune.io/objectives": "{accuracy: maximise, params: minimize}"}, ["maximise", '"maximize"']),
    ({"kubetune.io/objectives": "{accuracy: maximize}"}, ["at least 2"]),
    ({"kubetune.io/objectives": "{score: minimize, params: minimize}"}, ["objective metric", "maximize"]),
    ({"kubetune.io/objectives": "[accuracy]"}, ["must be a mapping"]),
    ({"kubetune.io/objectives": "{accuracy: maximize, params: minimize}", "kubetune.io/population-size": "1"},
     ["population-size", ">= 2"]),
    ({"kubetune.io/population-size": "8"}, ["kubetune.io/objectives is not"]),
])
def test_annotation_errors(annotations, words):
    _, problems = parse_objectives(annotations, ["score", "accuracy", "params"], "maximize")
    text = " ".join(str(p) for p in problems)
    assert problems and all(p.is_error for p in problems)
    for word in words:
        assert word in text, text


def test_validate_refuses_objectives_with_fixed_product(tmp_path):
    raw = yaml.safe_load((ROOT / "examples" / "compound-scaling" / "experiment.yaml").read_text())
    raw["metadata"]["annotations"] = {"kubetune.io/objectives": "{accuracy: maximize, params: minimize}"}
    errors, _ = check(experiment_from_dict(raw))
    assert any("fixed-product cannot be replaced" in str(e) for e in errors)


def test_example_is_strictly_valid_katib_and_scalarises_for_it(capsys):
    assert main(["validate", "--strict", str(EXAMPLE)]) == 0
    exp = load_experiment(EXAMPLE)
    objectives, problems = parse_objectives(exp.annotations, exp.metric_names, exp.objective.type)
    assert problems == [] and objectives.metrics == ("accuracy", "params") and objectives.population_size == 6
    assert exp.objective.metric_name == "score"  # what Katib optimises on a cluster
    args = exp.trial_template["trialSpec"]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--score-params-budget=20000" in args


def test_penalised_score_formula():
    assert penalised_score(0.9, 10_000, 0, params_budget=20_000) == 0.9  # under budget: no reward
    assert math.isclose(penalised_score(0.9, 40_000, 0, params_budget=20_000), 0.9 - 0.1 * math.log(2))
    assert math.isclose(penalised_score(0.9, 40_000, 3_000, params_budget=20_000, macs_budget=1_000, weight=0.2),
                        0.9 - 0.2 * (math.log(2) + math.log(3)))
    assert penalised_score(0.9, 10**9, 10**9) == 0.9  # no budget, no term


@pytest.mark.slow
def test_trainer_reports_score(tmp_path):
    data = tmp_path / "digits"
    subprocess.run([sys.executable, "-m", "trainer", "data", "digits", "--out", str(data), "--image-size", "8"],
                   check=True, capture_output=True)
    run = subprocess.run([sys.executable, "-m", "trainer", "train", "--data", str(data), "--image-size", "8",
                          "--model", "cells", "--cells.n-stages", "1", "--cells.base-channels", "8", "--epochs", "1",
                          "--out", str(tmp_path / "out"), "--tensorboard", "false", "--workers", "0",
                          "--score-params-budget", "500", "--score-lambda", "0.2"],
                         capture_output=True, text=True, check=True)
    lines = [dict(kv.split("=") for kv in line.split()[1:]) for line in run.stdout.splitlines() if "=" in line]
    params = float(next(m["params"] for m in lines if "params" in m))
    epoch = next(m for m in lines if "score" in m)
    expected = float(epoch["accuracy"]) - 0.2 * max(0.0, math.log(params / 500))
    assert params > 500 and math.isclose(float(epoch["score"]), expected, abs_tol=2e-6)
