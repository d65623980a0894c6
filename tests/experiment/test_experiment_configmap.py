"""ConfigMap trial templates read from a local file (`--configmap FILE`, issue 14 item 4).

data/katib/ holds Katib's own example Experiment (examples/v1beta1/trial-template/
trial-configmap-source.yaml) and the ConfigMap Katib ships (manifests/.../trial-templates.yaml):
Katib's webhook rejects the example with that ConfigMap (its template has no
${trialParameters.numberLayers}), and so must we.
"""
from __future__ import annotations

import copy
import json
import sys

import pytest
import yaml

from kubetune.cli import main
from kubetune.engine.template import TemplateError, render_workload
from kubetune.experiment import SpecError, lint, load_experiments
from kubetune.experiment.configmaps import TEMPLATE_TEXT_KEY, load_config_maps
from experiment_helpers import DATA, find

EXAMPLE = DATA / "katib" / "trial-configmap-source.yaml"
SHIPPED = DATA / "katib" / "trial-templates.yaml"


@pytest.fixture(scope="module")
def shipped():
    return load_config_maps([SHIPPED])


def _example(**changes) -> dict:
    doc = yaml.safe_load(EXAMPLE.read_text())
    doc["spec"].update(copy.deepcopy(changes))
    return doc


def _errors(doc, config_maps) -> list:
    try:
        load_experiments(yaml.safe_dump(doc), config_maps=config_maps)
    except SpecError as exc:
        return exc.errors
    return []


def test_katibs_example_is_rejected_with_katibs_configmap_as_katib_rejects_it(shipped):
    with pytest.raises(SpecError) as info:
        load_experiments(EXAMPLE, config_maps=shipped)
    find(info.value.errors, "spec.trialTemplate.trialParameters[1].name", 'parameter name "numberLayers" not found')
    assert len(info.value.errors) == 1  # Katib returns at the first missing placeholder


def test_without_the_configmap_the_template_is_not_checked_and_lint_says_so():
    exp = load_experiments(EXAMPLE)[0]
    assert exp.config_map_template is None
    assert any(p.path == "spec.trialTemplate.configMap" and "--configmap" in p.hint for p in lint(exp))


def test_a_matching_experiment_passes_and_keeps_the_text(shipped):
    doc = _example(parameters=[
        {"name": "lr", "parameterType": "double", "feasibleSpace": {"min": "0.01", "max": "0.03"}},
        {"name": "momentum", "parameterType": "double", "feasibleSpace": {"min": "0.5", "max": "0.9"}}])
    doc["spec"]["trialTemplate"]["trialParameters"] = [{"name": "learningRate", "reference": "lr"},
                                                       {"name": "momentum", "reference": "momentum"}]
    exp = load_experiments(yaml.safe_dump(doc), config_maps=shipped)[0]
    assert "${trialParameters.momentum}" in exp.config_map_template
    workload = render_workload(exp.trial_template, {"lr": "0.02", "momentum": "0.7"}, "t-1", "kubeflow")
    command = workload["spec"]["template"]["spec"]["containers"][0]["command"]
    assert "--lr=0.02" in command and "--momentum=0.7" in command
    assert workload["metadata"] == {"name": "t-1", "namespace": "kubeflow"}
    assert TEMPLATE_TEXT_KEY not in exp.document()["spec"]["trialTemplate"]  # the state keeps Katib's spec
    assert not any(p.path == "spec.trialTemplate.configMap" for p in lint(exp))


def test_a_placeholder_with_no_trial_parameter_is_named(shipped):
    doc = _example(parameters=[
        {"name": "lr", "parameterType": "double", "feasibleSpace": {"min": "0.01", "max": "0.03"}}])
    doc["spec"]["trialTemplate"]["trialParameters"] = [{"name": "learningRate", "reference": "lr"}]
    find(_errors(doc, shipped), "spec.trialTemplate.configMap", "${trialParameters.momentum}")


@pytest.mark.parametrize("field, value, path, text", [
    ("configMapName", "nope", "spec.trialTemplate.configMap", "ConfigMap kubeflow/nope not found"),
    ("configMapNamespace", "other", "spec.trialTemplate.configMap", "ConfigMap other/trial-templates not found"),
    ("templatePath", "missing.yaml", "spec.trialTemplate.configMap.templatePath", '"missing.yaml" not found'),
])
def test_missing_configmap_or_key(shipped, field, value, path, text):
    doc = _example()
    doc["spec"]["trialTemplate"]["configMap"][field] = value
    problem = find(_errors(doc, shipped), path, text)
    assert "pytorchJobTemplate" in problem.hint or "kubeflow/trial-templates" in problem.hint


def test_a_file_without_configmaps_is_refused(tmp_path):
    with pytest.raises(SpecError, match="no ConfigMap in the file"):
        load_config_maps([EXAMPLE])
    bad = tmp_path / "cm.yaml"
    bad.write_text("kind: ConfigMap\nmetadata: {name: x}\ndata: {t: [1]}\n")
    with pytest.raises(SpecError, match="data maps keys to strings"):
        load_config_maps([bad])


def test_run_without_the_configmap_names_the_option(tmp_path, capsys):
    assert main(["run", str(EXAMPLE), "--workdir", str(tmp_path)]) == 2
    assert "--configmap" in capsys.readouterr().err


def test_validate_and_run_read_the_configmap(tmp_path, capsys):
    configmap = {"apiVersion": "v1", "kind": "ConfigMap",
                 "metadata": {"name": "trial-templates", "namespace": "kubeflow"},
                 "data": {"tiny.yaml": "\n".join([
                     "apiVersion: batch/v1", "kind: Job", "spec:", "  template:", "    spec:",
                     "      restartPolicy: Never", "      containers:", "        - name: training-container",
                     "          image: python:3.11", f"          command: [{sys.executable}, -c]",
                     "          args:", "            - \"print('accuracy=${trialParameters.learningRate}')\""])}}
    (tmp_path / "cm.yaml").write_text(yaml.safe_dump(configmap))
    doc = _example(parameters=[{"name": "lr", "parameterType": "categorical",
                                "feasibleSpace": {"list": ["0.25", "0.5"]}}],
                   algorithm={"algorithmName": "grid"}, maxTrialCount=2, parallelTrialCount=2,
                   objective={"type": "maximize", "objectiveMetricName": "accuracy"})
    doc["spec"].pop("maxFailedTrialCount")
    doc["spec"]["trialTemplate"]["trialParameters"] = [{"name": "learningRate", "reference": "lr"}]
    doc["spec"]["trialTemplate"]["configMap"]["templatePath"] = "tiny.yaml"
    (tmp_path / "exp.yaml").write_text(yaml.safe_dump(doc))
    assert main(["validate", str(tmp_path / "exp.yaml"), "--configmap", str(tmp_path / "cm.yaml")]) == 0
    capsys.readouterr()
    rc = main(["run", str(tmp_path / "exp.yaml"), "--configmap", str(tmp_path / "cm.yaml"),
               "--workdir", str(tmp_path / "runs"), "-o", "json"])
    out = capsys.readouterr().out
    assert rc == 0, out
    result = json.loads(out)
    # each trial printed its own substituted value as its objective
    assert sorted(t["objective"] for t in result["trials"]) == [0.25, 0.5]


def test_render_without_the_text_is_a_template_error():
    exp = load_experiments(EXAMPLE)[0]
    with pytest.raises(TemplateError, match="--configmap"):
        render_workload(exp.trial_template, {"lr": "0.1", "num-layers": "2", "optimizer": "sgd"}, "t", "ns")


def test_a_configmap_template_is_linted_like_an_inline_one(tmp_path):
    """Katib's pod would be refused (restartPolicy Always) and the primary container has no command:
    the same warnings an inline trialSpec gets, named by the ConfigMap template they come from."""
    template = "\n".join([
        "apiVersion: batch/v1", "kind: Job", "spec:", "  template:", "    spec:", "      restartPolicy: Always",
        "      containers:", "        - name: training-container", "          image: trainer:1",
        "          args: [--lr=${trialParameters.learningRate}]"])
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "trial-templates",
                                                                       "namespace": "kubeflow"},
                 "data": {"bad.yaml": template}}
    (tmp_path / "cm.yaml").write_text(yaml.safe_dump(configmap))
    doc = _example(parameters=[{"name": "lr", "parameterType": "double",
                                "feasibleSpace": {"min": "0.01", "max": "0.03"}}])
    doc["spec"]["trialTemplate"]["trialParameters"] = [{"name": "learningRate", "reference": "lr"}]
    doc["spec"]["trialTemplate"]["configMap"]["templatePath"] = "bad.yaml"
    exp = load_experiments(yaml.safe_dump(doc), config_maps=load_config_maps([tmp_path / "cm.yaml"]))[0]
    where = "spec.trialTemplate.configMap(kubeflow/trial-templates bad.yaml)"
    problems = {p.path: p for p in lint(exp)}
    assert "a Job pod needs Never or OnFailure" in problems[f"{where}.spec.template.spec.restartPolicy"].message
    assert "no command" in problems[f"{where}.spec.template.spec.containers[0].command"].message
    assert not any(p.startswith("spec.trialTemplate.trialSpec") for p in problems)
    # the Experiment itself is untouched: Katib's spec keeps the ConfigMap reference only
    assert "trialSpec" not in exp.spec["trialTemplate"]
