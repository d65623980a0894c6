"""A step keeps Optuna's meaning (low + k * step) under every algorithm: random and tpe (Katib's
hyperopt rounds to multiples of the step from 0), bayesianoptimization and hyperband (their Katib
services never read the step) get a list; and `when` values of an int parent are checked against
what the algorithm draws."""
from __future__ import annotations

import random

import pytest
from spaces_helpers import drive

from kubetune.algorithms.extended import build_suggester
from kubetune.convert.optuna_space_compile import compile_space
from kubetune.experiment import experiment_from_dict
from kubetune.experiment.extensions import extension_problems


def space(algorithm: str, **parameters) -> dict:
    return {
        "apiVersion": "kubetune.io/v1alpha1", "kind": "SearchSpace", "metadata": {"name": "steps"},
        "objective": {"metric": "accuracy", "direction": "maximize"},
        "algorithm": {"name": algorithm, "settings": {"random_state": 3}}, "trials": 24,
        "trial": {"image": "python:3.11", "command": ["python", "train.py"]},
        "parameters": {"lr": {"type": "float", "low": 0.01, "high": 0.1, "step": 0.01}, **parameters},
    }


def drawn(document: dict, name: str, trials: int = 24) -> set[str]:
    """The values of `name` the real suggester of the compiled Experiment gives over `trials`."""
    suggester = build_suggester(experiment_from_dict(document), seed=5)
    views = drive(suggester, trials // 4, 4, lambda a: random.Random(str(a)).random())
    return {v.assignments[name] for v in views}


def params(document: dict) -> dict:
    return {p["name"]: p for p in document["spec"]["parameters"]}


@pytest.mark.parametrize("algorithm", ["tpe", "random"])
def test_odd_kernel_sizes_stay_odd_under_hyperopt(algorithm):
    document = compile_space(space(algorithm, k={"type": "int", "low": 1, "high": 7, "step": 2}))
    k = params(document)["k"]
    assert k == {"name": "k", "parameterType": "discrete", "feasibleSpace": {"list": ["1", "3", "5", "7"]}}
    [tp] = [t for t in document["spec"]["trialTemplate"]["trialParameters"] if t["name"] == "k"]
    assert "written as a discrete list" in tp["description"] and "multiples of 2 (2, 4, 6)" in tp["description"]
    values = drawn(document, "k")
    assert values and values <= {"1", "3", "5", "7"} and len(values) >= 3
    # the step as written would have drawn even kernels through the same suggester
    k.update(parameterType="int", feasibleSpace={"min": "1", "max": "7", "step": "2"})
    assert drawn(document, "k") <= {"0", "2", "4", "6", "8"}


def test_float_step_off_its_multiples_becomes_a_list_of_optunas_values():
    document = compile_space(space("tpe", p={"type": "float", "low": 0.05, "high": 0.45, "step": 0.1}))
    assert params(document)["p"]["feasibleSpace"] == {"list": ["0.05", "0.15", "0.25", "0.35", "0.45"]}


@pytest.mark.parametrize("algorithm, spec", [
    ("grid", {"type": "int", "low": 1, "high": 7, "step": 2}),  # optuna's grid: min + k * step
    ("multivariate-tpe", {"type": "int", "low": 1, "high": 7, "step": 2}),
    ("tpe", {"type": "int", "low": 2, "high": 8, "step": 2}),  # multiples already
    ("tpe", {"type": "float", "low": 0.3, "high": 0.9, "step": 0.1}),  # 0.3 is a multiple of 0.1
])
def test_steps_that_keep_their_meaning_stay_steps(algorithm, spec):
    document = compile_space(space(algorithm, k=spec))
    assert "step" in params(document)["k"]["feasibleSpace"]


def conditional(algorithm: str, when, kernel_step: bool = True):
    """An Experiment whose m is active for `when` values of k: int [1, 5] step 2 as written by
    hand (`kernel_step`), else as the converter writes it."""
    document = compile_space(space(algorithm, k={"type": "int", "low": 1, "high": 5, "step": 2},
                                   m={"type": "float", "low": 0.1, "high": 0.9, "when": {"k": 1}}))
    if kernel_step:
        params(document)["k"].update(parameterType="int", feasibleSpace={"min": "1", "max": "5", "step": "2"})
    document["metadata"]["annotations"]["kubetune.io/conditions"] = f"m: {{when: {{k: {when}}}}}\n"
    return experiment_from_dict(document)


def test_when_values_an_int_parent_never_draws_are_errors():
    path = "metadata.annotations[kubetune.io/conditions].m.when.k"
    # tpe draws 2 and 4 for int [1, 5] step 2: m would never be active with k 3
    [p] = extension_problems(conditional("tpe", [3, 4]))
    assert p.path == path and p.is_error
    assert "3 is never drawn for k (tpe draws multiples of 2 from 0: 2, 4)" in p.message
    assert "discrete" in p.hint
    assert extension_problems(conditional("tpe", 4)) == []
    # multivariate-tpe draws the grid 1, 3, 5
    [p] = extension_problems(conditional("multivariate-tpe", [3, 4]))
    assert "4 is never drawn for k (the values are min + k * 2: 1, 3, 5)" in p.message
    # the converter's discrete list keeps 3 drawable under tpe
    assert extension_problems(conditional("tpe", [3, 5], kernel_step=False)) == []


def test_a_step_skopt_never_reads_becomes_a_list_its_suggester_keeps():
    # Katib's Skopt: Integer(1, 7) / Real(0.01, 0.1) whatever the step (every Katib version)
    document = compile_space(space("bayesianoptimization", k={"type": "int", "low": 1, "high": 7, "step": 2}))
    k, lr = params(document)["k"], params(document)["lr"]
    assert k == {"name": "k", "parameterType": "discrete", "feasibleSpace": {"list": ["1", "3", "5", "7"]}}
    assert lr["parameterType"] == "discrete" and lr["feasibleSpace"]["list"][:3] == ["0.01", "0.02", "0.03"]
    [tp] = [t for t in document["spec"]["trialTemplate"]["trialParameters"] if t["name"] == "k"]
    assert "Katib's Skopt service for bayesianoptimization ignores the step" in tp["description"]
    values = drawn(document, "k", trials=8)
    assert values and values <= {"1", "3", "5", "7"}


def test_hyperband_lists_doubles_as_categorical_and_keeps_its_resource_step():
    doc = space("hyperband", k={"type": "int", "low": 1, "high": 7, "step": 2},
                epochs={"type": "int", "low": 1, "high": 9, "step": 2})
    doc.update(algorithm={"name": "hyperband", "settings": {"r_l": 9, "eta": 3, "resource_name": "epochs",
                                                             "random_state": 1}}, parallel=9)
    document = compile_space(doc)
    found = params(document)
    assert found["k"]["parameterType"] == "discrete"  # Katib's hyperband reads a discrete list as ints
    assert found["lr"]["parameterType"] == "categorical"
    assert found["epochs"]["feasibleSpace"] == {"min": "1", "max": "9", "step": "2"}  # hyperband sets it
    suggester = build_suggester(experiment_from_dict(document), seed=5)
    first = [s.assignments for s in suggester.suggest(9, [])]
    assert first and {a["k"] for a in first} <= {"1", "3", "5", "7"}
    assert {a["lr"] for a in first} <= set(found["lr"]["feasibleSpace"]["list"])


@pytest.mark.parametrize("algorithm", ["cmaes", "sobol", "multivariate-tpe"])
def test_services_that_keep_the_grid_keep_the_step(algorithm):
    document = compile_space(space(algorithm, k={"type": "int", "low": 1, "high": 7, "step": 2}))
    assert params(document)["k"]["feasibleSpace"] == {"min": "1", "max": "7", "step": "2"}
