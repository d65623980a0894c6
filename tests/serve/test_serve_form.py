"""The settings form of kubetune's extensions (kubetune.conditions / kubetune.objectives /
kubetune.population_size): `kubetune validate` checks it, `kubetune run` accepts it, `kubetune
convert katib --services` writes it, and `kubetune best -n NS` shows the Pareto front of a
cluster experiment that used it (read from a fake Kubernetes API, tests/cluster)."""
from __future__ import annotations

import json

import pytest
import yaml

from kubetune.algorithms import check
from kubetune.algorithms.define_by_run import DefineByRunSuggester
from kubetune.algorithms.extended import build_suggester
from kubetune.cli import main
from kubetune.experiment import experiment_from_dict
from test_serve_suggestion import PARAMS, katib_experiment

OBJECTIVES = "{score: minimize, loss: minimize}"
CONDITIONS = "y: {when: {k: [1, 2, 3]}}"


def errors_of(doc: dict) -> list[str]:
    return [str(p) for p in check(experiment_from_dict(doc))[0]]


def test_validate_and_run_accept_the_settings_form():
    doc = katib_experiment("form", "tpe", settings={"kubetune.objectives": OBJECTIVES,
                                                    "kubetune.population_size": "4"})
    assert errors_of(doc) == []
    suggester = build_suggester(experiment_from_dict(doc), seed=1)
    assert isinstance(suggester, DefineByRunSuggester) and suggester.algorithm == "nsga2"
    conditional = katib_experiment("form2", "tpe", settings={"kubetune.conditions": CONDITIONS})
    assert errors_of(conditional) == []
    assert isinstance(build_suggester(experiment_from_dict(conditional), seed=1), DefineByRunSuggester)


@pytest.mark.parametrize("settings, needle", [
    ({"kubetune.objectives": "{score: minimize, latency: minimize}"},
     "spec.algorithm.algorithmSettings[0].value.latency: \"latency\" is not objectiveMetricName"),
    ({"kubetune.objectives": "[score]"}, "spec.algorithm.algorithmSettings[0].value: found a list"),
    ({"kubetune.population_size": "4"}, "spec.algorithm.algorithmSettings[0].value: is set but"),
    ({"kubetune.conditions": "y: {when: {nope: [1]}}"}, "spec.algorithm.algorithmSettings[0].value.y.when.nope"),
])
def test_bad_values_are_reported_at_the_setting(settings, needle):
    found = errors_of(katib_experiment("bad-form", "tpe", settings=settings))
    assert any(needle in e for e in found), found


def test_one_extension_in_both_forms_is_an_error():
    doc = katib_experiment("both", "tpe", settings={"kubetune.objectives": OBJECTIVES},
                           annotations={"kubetune.io/objectives": OBJECTIVES})
    assert any("repeats the annotation kubetune.io/objectives" in e for e in errors_of(doc))


def test_conditions_need_a_define_by_run_algorithm_in_the_settings_form_too():
    doc = katib_experiment("grid-cond", "sobol", settings={"kubetune.conditions": CONDITIONS})
    assert any(e.startswith("spec.algorithm.algorithmSettings[0].value: kubetune run samples conditional")
               for e in errors_of(doc))


def test_convert_katib_services_moves_the_annotations_into_settings(tmp_path, capsys):
    source = katib_experiment("conv", "tpe", settings={"random_state": "1"},
                              annotations={"kubetune.io/objectives": OBJECTIVES, "kubetune.io/population-size": "4",
                                           "kubetune.io/conditions": CONDITIONS, "team": "vision"})
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(source))
    out = tmp_path / "services.yaml"
    assert main(["convert", "katib", str(path), "--services", "-o", str(out)]) == 0
    doc = yaml.safe_load(out.read_text())
    assert doc["metadata"]["annotations"] == {"team": "vision"}
    assert doc["spec"]["algorithm"]["algorithmSettings"] == [
        {"name": "random_state", "value": "1"}, {"name": "kubetune.conditions", "value": CONDITIONS},
        {"name": "kubetune.objectives", "value": OBJECTIVES}, {"name": "kubetune.population_size", "value": "4"}]
    assert errors_of(doc) == []
    # the same search either way: kubetune run builds the same suggester from both forms
    a = build_suggester(experiment_from_dict(source), seed=3).suggest(3, [])
    b = build_suggester(experiment_from_dict(doc), seed=3).suggest(3, [])
    assert [s.assignments for s in a] == [s.assignments for s in b]
    plain = tmp_path / "plain.yaml"
    assert main(["convert", "katib", str(path), "-o", str(plain)]) == 0  # without --services: unchanged
    assert yaml.safe_load(plain.read_text())["metadata"]["annotations"] == source["metadata"]["annotations"]


def test_best_on_a_cluster_shows_the_pareto_front(tmp_path, capsys, monkeypatch):
    from fake_apiserver import FakeKubernetesAPI
    from katib_objects import NS, condition

    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    api = FakeKubernetesAPI().start()
    try:
        doc = katib_experiment("mo", "random", settings={"kubetune.objectives": OBJECTIVES})
        doc["metadata"]["namespace"] = NS
        exp = experiment_from_dict(doc).document()
        exp["status"] = {"conditions": [condition("Succeeded", "ExperimentMaxTrialsReached", "done")],
                         "currentOptimalTrial": {"bestTrialName": "mo-a", "observation": {"metrics": []}}}
        api.put("experiments", exp)
        for name, score, loss in (("mo-a", "1.0", "5.0"), ("mo-b", "2.0", "1.0"), ("mo-c", "3.0", "6.0")):
            api.put("trials", {
                "apiVersion": "kubeflow.org/v1beta1", "kind": "Trial",
                "metadata": {"name": name, "namespace": NS, "labels": {"katib.kubeflow.org/experiment": "mo"},
                             "creationTimestamp": "2026-11-22T10:00:01Z"},
                "spec": {"parameterAssignments": [{"name": "x", "value": "0.1"}, {"name": "y", "value": "0.2"},
                                                  {"name": "k", "value": "3"}]},
                "status": {"conditions": [condition("Succeeded", "TrialSucceeded", "ok")],
                           "observation": {"metrics": [{"name": m, "min": v, "max": v, "latest": v}
                                                       for m, v in (("score", score), ("loss", loss))]}}})
        kubeconfig = api.write_kubeconfig(tmp_path / "kubeconfig", namespace=NS)
        capsys.readouterr()
        assert main(["best", "mo", "-n", NS, "--kubeconfig", str(kubeconfig), "-o", "json"]) == 0
        front = json.loads(capsys.readouterr().out)
    finally:
        api.stop()
    assert [o["name"] for o in front["objectives"]] == ["score", "loss"]
    assert [t["name"] for t in front["paretoFront"]] == ["mo-a", "mo-b"]  # mo-c is beaten on both


def test_params_are_the_shared_ones():
    assert len(PARAMS) == 3
