"""The search step's Experiment: rendered from the template with the dataset location, budget,
search space and GPUs, valid by Katib's rules, and runnable by the local engine unchanged."""
from __future__ import annotations

import pytest

from kubetune.steps.experiment import (ExperimentSettings, ExperimentSettingsError, experiment_name,
                                          render_experiment)
from kubetune.steps.space import SPACES, SpaceError, resolve_space
from kubetune.experiment import SpecError, experiment_from_dict


def settings(**kw) -> ExperimentSettings:
    base = dict(name="kt-cells-abc12345", data_path="/datasets/digits", trials_dir="/models/kubetune/kt/models",
                model="cells", max_trials=6, parallel_trials=2, max_failed_trials=2, epochs=3, image_size=32,
                namespace="team-a", data_args=["--val-ratio=0.2", "--cache-dir=/models/kubetune/cache"])
    base.update(kw)
    return ExperimentSettings(**base)


def container(doc: dict) -> dict:
    return doc["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]


def test_rendered_experiment_carries_data_budget_space_and_outputs():
    doc = render_experiment(settings(algorithm="random", seed=7))
    spec = doc["spec"]
    assert doc["metadata"] == {"name": "kt-cells-abc12345", "namespace": "team-a",
                               "labels": {"app.kubernetes.io/part-of": "kubetune",
                                          "app.kubernetes.io/component": "pipeline-search"},
                               "annotations": {"kubetune.io/search-space": "cells"}}
    assert (spec["maxTrialCount"], spec["parallelTrialCount"], spec["maxFailedTrialCount"]) == (6, 2, 2)
    assert spec["algorithm"] == {"algorithmName": "random", "algorithmSettings": [{"name": "random_state", "value": "7"}]}
    assert [p["name"] for p in spec["parameters"]] == [p["name"] for p in SPACES["cells"]]
    args = container(doc)["args"]
    assert args[:5] == ["--data=/datasets/digits", "--model=cells", "--image-size=32", "--epochs=3", "--batch-size=64"]
    assert "--cache-dir=/models/kubetune/cache" in args
    assert "--cells.normal_cell=${trialParameters.cellsNormalCell}" in args
    assert "--out=/models/kubetune/kt/models/${trialParameters.trialName}" in args
    refs = {t["name"]: t["reference"] for t in spec["trialTemplate"]["trialParameters"]}
    assert refs["trialName"] == "${trialSpec.Name}" and refs["cellsNRepeat"] == "cells.n_repeat"
    # no GPU asked: no GPU limit and no GPU toleration
    assert "nvidia.com/gpu" not in container(doc)["resources"]["limits"]
    assert "tolerations" not in spec["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]
    experiment_from_dict(doc)  # Katib's webhook rules


def test_gpus_per_trial_become_the_accelerator_limit_and_claims_are_set():
    doc = render_experiment(settings(gpus_per_trial=2, accelerator="nvidia.com/gpu", datasets_pvc="data-a",
                                     models_pvc="models-a"))
    assert container(doc)["resources"]["limits"]["nvidia.com/gpu"] == 2
    pod = doc["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]
    assert pod["tolerations"][0]["key"] == "nvidia.com/gpu"
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"] if "persistentVolumeClaim" in v}
    assert claims == {"datasets": "data-a", "models": "models-a"}


def test_budget_is_clamped_to_what_katib_accepts():
    doc = render_experiment(settings(max_trials=2, parallel_trials=5, max_failed_trials=9))
    assert (doc["spec"]["parallelTrialCount"], doc["spec"]["maxFailedTrialCount"]) == (2, 2)


@pytest.mark.parametrize("field, value", [("max_trials", 0), ("epochs", -1), ("gpus_per_trial", -1),
                                          ("parallel_trials", "3")])
def test_bad_budget_names_the_setting(field, value):
    with pytest.raises(ExperimentSettingsError, match=field):
        render_experiment(settings(**{field: value}))


def test_unknown_algorithm_is_rejected_with_katib_rules():
    with pytest.raises(SpecError, match="algorithm"):
        render_experiment(settings(algorithm="simulated-annealing"))


def test_search_space_auto_by_model_family_and_builtin_names():
    assert resolve_space("auto", "efficientnet-b3")[0] == "efficientnet"
    assert resolve_space("", "vit")[0] == "vit"
    assert resolve_space("auto", "resnet18")[0] == "basic"
    assert resolve_space("cells", "resnet18")[0] == "cells"
    with pytest.raises(SpaceError, match="not a built-in space.*basic, cells, efficientnet, vit"):
        resolve_space("celss", "cells")


def test_inline_search_space_yaml_and_json():
    label, params = resolve_space("- {name: lr, parameterType: double, feasibleSpace: {min: 0.001, max: 0.1}}\n"
                                  "- {name: optimizer, parameterType: categorical, feasibleSpace: {list: [sgd, adam]}}",
                                  "cells")
    assert label == "inline"
    assert params[0]["feasibleSpace"] == {"min": "0.001", "max": "0.1"}  # Katib wants strings
    _, params = resolve_space('{"parameters": [{"name": "batch_size", "parameterType": "discrete", '
                              '"feasibleSpace": {"list": [16, 32]}}]}', "cells")
    assert params[0]["feasibleSpace"]["list"] == ["16", "32"]
    doc = render_experiment(settings(search_space='[{"name": "lr", "parameterType": "double", '
                                                  '"feasibleSpace": {"min": "0.01", "max": "0.1"}}]'))
    assert "--lr=${trialParameters.lr}" in container(doc)["args"]


@pytest.mark.parametrize("text, message", [
    ("[]", "non-empty list"),
    ("- {name: 'bad name', parameterType: double}", "not a trainer option name"),
    ("- just-a-string", "expected a mapping"),
    ("{parameters: [", "not valid YAML"),
])
def test_bad_inline_space_says_what_is_wrong(text, message):
    with pytest.raises(SpaceError, match=message):
        resolve_space(text, "cells")


def test_inline_space_that_breaks_katib_rules_fails_before_submitting():
    with pytest.raises(SpecError, match="feasibleSpace"):
        render_experiment(settings(search_space="- {name: lr, parameterType: double, feasibleSpace: {min: '0.1'}}"))


def test_experiment_names_are_katib_valid_and_unique_per_run():
    a = experiment_name("kt-efficientnet-b0", "3f2a9c1e-7b6d-4e8f-9a0b-1c2d3e4f5a6b")
    b = experiment_name("kt-efficientnet-b0", "9d8c7b6a-7b6d-4e8f-9a0b-1c2d3e4f5a6b")
    assert a == "kt-efficientnet-b0-3f2a9c1e" and a != b
    long = experiment_name("x" * 60, "abc")
    assert len(long) <= 40 and long.endswith("-abc")
    assert experiment_name("9lives", "Run_ID!")[0].isalpha()
