"""The Suggestion service driven like Katib's controller: whole experiments for every algorithm the
registry serves, a restart mid-experiment, concurrent experiments."""
from __future__ import annotations

import math
import threading

import pytest

from kubetune.algorithms import registered_algorithms
from kubetune.experiment import experiment_from_dict
from katib_driver import KatibTrial, assignments_of, experiment_pb, request, run_like_katib

DOUBLE = {"parameterType": "double", "feasibleSpace": {"min": "-5.0", "max": "5.0"}}
PARAMS = [{"name": "x", **DOUBLE}, {"name": "y", **DOUBLE},
          {"name": "k", "parameterType": "int", "feasibleSpace": {"min": "-20", "max": "20"}}]
GRID = [{"name": "x", "parameterType": "double", "feasibleSpace": {"min": "-2.0", "max": "2.0", "step": "1.0"}},
        {"name": "k", "parameterType": "int", "feasibleSpace": {"min": "5", "max": "8"}}]
EPOCHS = {"name": "epochs", "parameterType": "int", "feasibleSpace": {"min": "1", "max": "9"}}
SCALING = [{"name": n, "parameterType": "double", "feasibleSpace": {"min": "1.0", "max": hi, "step": "0.1"}}
           for n, hi in (("alpha", "2.0"), ("beta", "1.5"), ("gamma", "1.5"))]
RESOURCE = {"resource_name": "epochs", "r_l": "9", "eta": "3"}
# algorithm -> (parameters, settings, parallelTrialCount, maxTrialCount); every algorithm the
# registry can build must be listed (test_every_served_algorithm_has_a_case)
CASES = {
    "random": (PARAMS, {}, 2, 8),
    "tpe": (PARAMS, {}, 2, 10),
    "multivariate-tpe": (PARAMS, {"n_startup_trials": "4"}, 2, 10),
    "cmaes": (PARAMS, {"sigma": "2.0"}, 2, 10),
    "sobol": (PARAMS, {}, 2, 8),
    "bayesianoptimization": ([{"name": "x", **DOUBLE}], {"n_initial_points": "3"}, 1, 5),
    "grid": (GRID, {}, 2, 20),
    "hyperband": ([{"name": "x", **DOUBLE}, EPOCHS], RESOURCE, 9, 20),
    "fixed-product": (SCALING, {"product": "2"}, 2, 6),
    "asha": ([{"name": "x", **DOUBLE}, EPOCHS], {"resource_name": "epochs", "max_resource": "9", "eta": "3"}, 3, 16),
    "bohb": ([{"name": "x", **DOUBLE}, EPOCHS], {"resource_name": "epochs", "max_resource": "9", "eta": "3"}, 9, 30),
}


def katib_experiment(name: str, algorithm: str, *, params=None, settings=None, parallel=2, max_trials=8,
                     objective_type="minimize", additional=("loss",), annotations=None) -> dict:
    params = params or PARAMS
    container = {"name": "training", "image": "kubetune-trainer:0", "command": ["python", "-m", "trainer"],
                 "args": [f"--{p['name']}=${{trialParameters.{p['name']}}}" for p in params]}
    doc = {"apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment",
           "metadata": {"name": name, "namespace": "default", "annotations": dict(annotations or {})},
           "spec": {"objective": {"type": objective_type, "objectiveMetricName": "score",
                                  "additionalMetricNames": list(additional)},
                    "algorithm": {"algorithmName": algorithm,
                                  "algorithmSettings": [{"name": k, "value": v} for k, v in (settings or {}).items()]},
                    "parallelTrialCount": parallel, "maxTrialCount": max_trials,
                    "parameters": params,
                    "trialTemplate": {"primaryContainerName": "training",
                                      "trialParameters": [{"name": p["name"], "reference": p["name"]} for p in params],
                                      "trialSpec": {"apiVersion": "batch/v1", "kind": "Job",
                                                    "spec": {"template": {"spec": {"containers": [container],
                                                                                   "restartPolicy": "Never"}}}}}}}
    return doc


def quadratic(a: dict[str, str]) -> dict[str, str]:
    """A simple objective (minimum at x=1, y=-2, k=7; more epochs help a little) as metric strings."""
    x, y = float(a.get("x", a.get("alpha", "1"))), float(a.get("y", "-2"))
    k, epochs = int(a.get("k", "7")), int(a.get("epochs", "9"))
    score = (x - 1) ** 2 + (y + 2) ** 2 + (k - 7) ** 2 / 40 + 1 / epochs
    return {"score": repr(score), "loss": repr(score / 2)}


def in_space(doc: dict, assignments: dict[str, str]) -> bool:
    exp = experiment_from_dict(doc)
    for p in exp.parameters:
        value = assignments[p.name]
        if p.type in ("categorical", "discrete"):
            if value not in p.values:
                return False
        elif not (p.min - 1e-9 <= float(value) <= p.max + 1e-9) or not math.isfinite(float(value)):
            return False
    return set(assignments) == {p.name for p in exp.parameters}


def test_every_served_algorithm_has_a_case():
    assert set(registered_algorithms()) <= set(CASES), "add a whole-experiment case for the new algorithm"


SLOW = {"bayesianoptimization"}  # GPSampler's acquisition search: seconds per ask


@pytest.mark.parametrize("algorithm", [pytest.param(a, marks=[pytest.mark.slow] if a in SLOW else [])
                                       for a in sorted(set(CASES) & set(registered_algorithms()))])
def test_whole_experiment_for_each_algorithm(suggestion, algorithm):
    params, settings, parallel, max_trials = CASES[algorithm]
    doc = katib_experiment(f"whole-{algorithm}", algorithm, params=params, settings={**settings, "random_state": "7"}
                           if algorithm not in ("grid", "fixed-product", "sobol") else settings,
                           parallel=parallel, max_trials=max_trials)
    trials = run_like_katib(lambda: suggestion.stub, doc, quadratic)
    assert trials and all(in_space(doc, t.assignments) for t in trials)
    done = [t for t in trials if t.condition == "Succeeded"]
    if algorithm in ("grid", "fixed-product"):  # finite spaces: every point once, then nothing more
        points = [tuple(sorted(t.assignments.items())) for t in trials]
        assert len(points) == len(set(points))
    else:
        assert len(done) == max_trials
    if algorithm in ("hyperband", "bohb", "asha"):  # promotions carry labels and a larger budget
        promoted = [t for t in trials if any(k.endswith("/parent") for k in t.labels)]
        assert promoted, [t.labels for t in trials]
        by_name = {t.name: t for t in trials}
        for t in promoted:
            parent = by_name[next(v for k, v in t.labels.items() if k.endswith("/parent"))]
            assert int(t.assignments["epochs"]) > int(parent.assignments["epochs"])
            assert t.assignments["x"] == parent.assignments["x"]
    scores = [float(t.observation["score"]) for t in done]
    assert len(set(scores)) > 1  # the search moved through the space


@pytest.mark.parametrize("algorithm", ["tpe", "hyperband", "asha"])
def test_restart_mid_experiment_continues_like_a_resumed_run(suggestion, algorithm):
    """Katib restarts suggestion pods at will: a fresh service rebuilds from the request. The
    trials after the restart are exactly those of an uninterrupted service whose suggester was
    rebuilt at the same point (what a resumed `kubetune run` does)."""
    if algorithm not in registered_algorithms():
        pytest.skip(f"{algorithm} is not registered")
    params, settings, parallel, max_trials = CASES[algorithm]
    doc = katib_experiment("restart", algorithm, params=params, settings={**settings, "random_state": "3"},
                           parallel=parallel, max_trials=max_trials)
    restarted = run_like_katib(lambda: suggestion.stub, doc, quadratic,
                               on_round=lambda i: suggestion.restart() if i in (3, 6) else None)
    assert suggestion.server  # still serving after two restarts
    assert len([t for t in restarted if t.condition == "Succeeded"]) == max_trials
    assert len({t.name for t in restarted}) == len(restarted)
    if algorithm != "tpe":  # label-driven schedulers: same trajectory with or without restarts
        plain = run_like_katib(lambda: suggestion.stub, doc, quadratic)
        assert [(t.assignments, t.labels) for t in restarted] == [(t.assignments, t.labels) for t in plain]


def test_rebuilt_suggester_equals_a_fresh_engine_suggester(suggestion):
    """After a restart the service answers what kubetune run's suggester, built fresh over the
    same trial history (a resumed run), answers."""
    from kubetune.algorithms import TrialView
    from kubetune.engine.extensions import build_suggester

    doc = katib_experiment("fresh", "tpe", settings={"random_state": "11"}, max_trials=30)
    history = run_like_katib(lambda: suggestion.stub, doc, quadratic)[:24]  # past tpe's 20 random startup trials
    suggestion.restart()
    got = assignments_of(suggestion.stub.GetSuggestions(request(experiment_pb(doc), history, 2)))
    views = [TrialView(t.name, t.assignments, t.condition, float(t.observation["score"]),
                       {k: float(v) for k, v in t.observation.items()}, t.labels) for t in history]
    want = build_suggester(experiment_from_dict(doc)).suggest(2, views)
    assert [a for a, _ in got] == [s.assignments for s in want]


def test_concurrent_experiments_are_served_in_parallel(suggestion):
    docs = [katib_experiment(f"conc-{i}", alg, settings={"random_state": str(i)}, max_trials=6)
            for i, alg in enumerate(["tpe", "random", "tpe", "multivariate-tpe", "random", "tpe"])]
    results, errors = {}, []

    def one(doc):
        try:
            results[doc["metadata"]["name"]] = run_like_katib(lambda: suggestion.stub, doc, quadratic)
        except Exception as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=one, args=(d,)) for d in docs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    assert sorted(results) == sorted(d["metadata"]["name"] for d in docs)
    # an experiment served next to five others gets what it gets alone
    solo = run_like_katib(lambda: suggestion.stub, {**docs[0], "metadata": {**docs[0]["metadata"], "name": "solo"}},
                          quadratic)
    assert [t.assignments for t in solo] == [t.assignments for t in results["conc-0"]]


def test_same_experiment_concurrent_requests_do_not_corrupt_it(suggestion):
    doc = katib_experiment("same", "tpe", settings={"random_state": "5"}, max_trials=30, parallel=30)
    exp = experiment_pb(doc)
    trials = [KatibTrial(f"same-{i}", quadratic_assignment(i), condition="Succeeded",
                         observation={"score": str(i), "loss": str(i)}) for i in range(8)]
    replies, errors = [], []

    def ask():
        try:
            replies.append(assignments_of(suggestion.stub.GetSuggestions(request(exp, trials, 3), timeout=60)))
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and len(replies) == 6 and all(len(r) == 3 for r in replies)


def quadratic_assignment(i: int) -> dict[str, str]:
    return {"x": repr(-4.0 + i), "y": repr(4.0 - i), "k": str(i)}
