"""One valid Experiment per algorithm loads, validates and exposes typed views."""
from __future__ import annotations

import pytest

from kubetune.algorithms import check
from kubetune.experiment import Parameter, load_experiment
from kubetune.experiment.katib_models import V1beta1Experiment
from experiment_helpers import ALGORITHM_FIXTURES, DATA

LOCAL_ONLY_WARNING = {"enas", "darts"}


@pytest.mark.parametrize("algorithm", sorted(ALGORITHM_FIXTURES))
def test_every_algorithm_example_is_valid(algorithm):
    exp = load_experiment(DATA / ALGORITHM_FIXTURES[algorithm])
    errors, warnings = check(exp)
    assert errors == []
    assert exp.algorithm.name == algorithm
    assert isinstance(exp.model, V1beta1Experiment)
    assert exp.model.spec.algorithm.algorithm_name == algorithm
    if algorithm in LOCAL_ONLY_WARNING:
        assert [w.path for w in warnings] == ["spec.algorithm.algorithmName"]
    else:
        assert warnings == [], "\n".join(map(str, warnings))


def test_typed_views_of_the_random_example():
    exp = load_experiment(DATA / "random.yaml")
    assert exp.name == "random-example" and exp.namespace == "kubetune"
    assert exp.source.endswith("random.yaml")
    assert exp.parameters == [
        Parameter("lr", "double", 0.001, 0.1, None, (), "uniform"),
        Parameter("batch_size", "int", 16, 64, 16, (), "uniform"),
        Parameter("optimizer", "categorical", None, None, None, ("sgd", "adam"), "uniform"),
    ]
    obj = exp.objective
    assert (obj.type, obj.goal, obj.metric_name) == ("maximize", 0.99, "accuracy")
    assert obj.additional_metric_names == ("loss",)
    assert obj.strategies == {"loss": "min", "accuracy": "max"}
    assert exp.metric_names == ["accuracy", "loss"]
    assert exp.algorithm.settings == {"random_state": "7"}
    assert exp.early_stopping is None
    assert (exp.parallel_trial_count, exp.max_trial_count, exp.max_failed_trial_count) == (2, 6, 2)
    assert exp.metrics_collector == {"collector": {"kind": "StdOut"}}
    assert exp.trial_template["primaryContainerName"] == "training-container"
    assert exp.resume_policy == "Never"
    assert exp.annotations == {"kubetune.io/note": "kept as written"}


def test_raw_is_as_written_and_spec_is_defaulted():
    exp = load_experiment(DATA / "tpe.yaml")
    assert "resumePolicy" not in exp.raw["spec"]
    assert exp.spec["resumePolicy"] == "Never"
    assert exp.spec["metricsCollectorSpec"] == {"collector": {"kind": "StdOut"}}
    assert exp.document()["spec"] is exp.spec
    assert exp.document()["metadata"]["name"] == "tpe-example"


def test_early_stopping_view():
    exp = load_experiment(DATA / "median-stop.yaml")
    assert exp.early_stopping.name == "medianstop"
    assert exp.early_stopping.settings == {"min_trials_required": "2", "start_step": "2"}


def test_nas_example_has_no_parameters():
    exp = load_experiment(DATA / "enas.yaml")
    assert exp.parameters == []
    assert exp.nas_config["graphConfig"]["numLayers"] == 2
