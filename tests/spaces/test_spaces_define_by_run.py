"""Conditional sampling, property-based: over random conditional spaces and every define-by-run
algorithm, an inactive parameter always gets exactly its neutral value, an active one always a
value of its domain, the Optuna trials hold only active parameters, and a re-created suggester
(a resumed experiment) keeps both rules."""
from __future__ import annotations

import random

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spaces_helpers import drive, in_domain

from kubetune.engine.extensions import build_suggester
from kubetune.algorithms import TrialView
from kubetune.experiment import experiment_from_dict
from kubetune.experiment.space import Parameter

ALGORITHMS = ("random", "tpe", "multivariate-tpe")


@st.composite
def conditional_spaces(draw):
    """(parameters as Katib dicts, conditions {child: (parent, allowed values, neutral or None)})."""
    count = draw(st.integers(2, 6))
    params, conditions = [], {}
    for i in range(count):
        name = f"p{i}"
        kind = draw(st.sampled_from(["categorical", "int", "double"]))
        if kind == "categorical":
            values = [f"v{j}" for j in range(draw(st.integers(2, 4)))]
            params.append({"name": name, "parameterType": "categorical", "feasibleSpace": {"list": values}})
        elif kind == "int":
            lo = draw(st.integers(-3, 3))
            hi = lo + draw(st.integers(1, 6))
            space = {"min": str(lo), "max": str(hi)}
            if draw(st.booleans()):
                space["step"] = str(draw(st.integers(1, 3)))
            params.append({"name": name, "parameterType": "int", "feasibleSpace": space})
        else:
            log = draw(st.booleans())
            lo = draw(st.sampled_from([0.001, 0.1, 1.0])) if log else draw(st.sampled_from([-2.0, 0.0, 0.5]))
            hi = lo * 100 if log else lo + draw(st.sampled_from([0.5, 1.0, 10.0]))
            space = {"min": repr(lo), "max": repr(hi)}
            if log:
                space["distribution"] = "logUniform"
            elif draw(st.booleans()):
                space["step"] = "0.25"
            params.append({"name": name, "parameterType": "double", "feasibleSpace": space})
        parents = [p for p in params[:-1] if p["parameterType"] in ("categorical", "int")]
        if parents and draw(st.booleans()):
            parent = draw(st.sampled_from(parents))
            domain = (parent["feasibleSpace"]["list"] if parent["parameterType"] == "categorical"
                      else [str(v) for v in range(int(parent["feasibleSpace"]["min"]),
                                                  int(parent["feasibleSpace"]["max"]) + 1,
                                                  int(parent["feasibleSpace"].get("step", "1")))])
            allowed = draw(st.lists(st.sampled_from(domain), min_size=1, max_size=len(domain), unique=True))
            neutral = draw(st.sampled_from([None, "7"])) if kind != "categorical" else None
            conditions[name] = (parent["name"], allowed, neutral)
    return params, conditions


def experiment(params, conditions, algorithm: str) -> dict:
    annotation = {}
    for child, (parent, allowed, neutral) in conditions.items():
        entry = {"when": {parent: allowed}}
        if neutral is not None:
            entry["neutral"] = neutral
        annotation[child] = entry
    meta = {"name": "cond", "annotations": {"kubetune.io/conditions": yaml.safe_dump(annotation)}} if conditions \
        else {"name": "cond"}
    return {
        "apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment", "metadata": meta,
        "spec": {
            "objective": {"type": "maximize", "objectiveMetricName": "accuracy"},
            "algorithm": {"algorithmName": algorithm},
            "parameters": params,
            "trialTemplate": {
                "primaryContainerName": "t",
                "trialParameters": [{"name": p["name"], "reference": p["name"]} for p in params],
                "trialSpec": {"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {"spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "t", "image": "python:3.11", "command": ["python", "-c", "pass"],
                                    "args": ["${trialParameters.%s}" % p["name"] for p in params]}]}}}},
            },
        },
    }


def active(name: str, assignments: dict, conditions: dict) -> bool:
    """Written from the generated structure, independently of kubetune's ConditionalSpace."""
    if name not in conditions:
        return True
    parent, allowed, _ = conditions[name]
    return active(parent, assignments, conditions) and assignments[parent] in allowed


def neutral_of(param: Parameter, conditions: dict) -> str:
    given_neutral = conditions[param.name][2]
    if given_neutral is not None:  # written as the parameter writes its values: a double's 7 is "7.0"
        return repr(float(given_neutral)) if param.type == "double" else given_neutral
    return param.values[0] if param.values else param.format_value(param.min)


def check(views, exp, conditions) -> None:
    by_name = {p.name: p for p in exp.parameters}
    hyperopt = exp.algorithm.name in ("random", "tpe")  # Katib's hp.quniform: steps from 0
    for view in views:
        assert set(view.assignments) == set(by_name)
        for name, value in view.assignments.items():
            if active(name, view.assignments, conditions):
                assert in_domain(by_name[name], value, hyperopt), (name, value, by_name[name])
            else:
                assert value == neutral_of(by_name[name], conditions), (name, value)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(space=conditional_spaces(), algorithm=st.sampled_from(ALGORITHMS), seed=st.integers(0, 1000))
def test_inactive_is_neutral_and_active_in_domain(space, algorithm, seed):
    params, conditions = space
    exp = experiment_from_dict(experiment(params, conditions, algorithm))
    suggester = build_suggester(exp, seed)
    rng = random.Random(seed)
    views = drive(suggester, rounds=4, batch=3, score=lambda a: rng.random(), rng=rng)
    check(views, exp, conditions)
    if conditions:
        for trial in suggester.study.trials:  # the sampler never sees an inactive parameter
            sampled = {n: views[trial.number].assignments[n] for n in trial.params}
            assignments = views[trial.number].assignments
            assert set(trial.params) == {n for n in assignments if active(n, assignments, conditions)}, sampled

    # A resumed experiment: a fresh suggester adopts the finished trials and a running one.
    running = views[:-1] + [TrialView(views[-1].name, views[-1].assignments, "Running", None, {}, {})]
    again = build_suggester(exp, seed + 1)
    more = again.suggest(3, running)
    later = running + [TrialView(f"n{i}", s.assignments, "Succeeded", 0.5, {}, {}) for i, s in enumerate(more)]
    check(later, exp, conditions)
    more = again.suggest(2, later)
    check([TrialView("x", s.assignments, "Created", None, {}, {}) for s in more], exp, conditions)


def test_without_conditions_the_algorithm_is_unchanged():
    params = [{"name": "x", "parameterType": "double", "feasibleSpace": {"min": "0", "max": "1"}}]
    exp = experiment_from_dict(experiment(params, {}, "tpe"))
    from kubetune.algorithms.optuna_study import OptunaSuggester

    assert isinstance(build_suggester(exp, 1), OptunaSuggester)


def test_tpe_learns_within_the_active_subspace():
    """TPE asked define-by-run still optimises: the good branch (optimizer=sgd with momentum near
    0.9) is found and exploited, and adam trials never carry a sampled momentum."""
    params = [
        {"name": "optimizer", "parameterType": "categorical", "feasibleSpace": {"list": ["sgd", "adam"]}},
        {"name": "momentum", "parameterType": "double", "feasibleSpace": {"min": "0.0", "max": "1.0"}},
    ]
    conditions = {"momentum": ("optimizer", ["sgd"], None)}
    exp = experiment_from_dict(experiment(params, conditions, "tpe"))
    suggester = build_suggester(exp, 3)

    def score(a):
        return 1.0 - abs(float(a["momentum"]) - 0.9) if a["optimizer"] == "sgd" else 0.3

    views = drive(suggester, rounds=20, batch=2, score=score, rng=random.Random(1))
    check(views, exp, conditions)
    late = [v for v in views[-10:] if v.state == "Succeeded"]
    assert sum(v.assignments["optimizer"] == "sgd" for v in late) >= len(late) // 2
    best = max((v for v in views if v.objective is not None), key=lambda v: v.objective)
    assert best.assignments["optimizer"] == "sgd" and abs(float(best.assignments["momentum"]) - 0.9) < 0.15
    assert all(v.assignments["momentum"] == "0.0" for v in views if v.assignments["optimizer"] == "adam")
