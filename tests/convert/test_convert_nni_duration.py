"""NNI durations and kubetune's experiment duration limit (annotation kubetune.io/max-duration),
honoured by the local engine: no new trials after it, running trials finish, the experiment ends
Succeeded with reason ExperimentMaxDurationReached."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kubetune.experiment.duration import max_duration_seconds, parse_duration, parse_v1_duration
from kubetune.engine import LocalEngine
from kubetune.experiment import experiment_from_dict

TRIAL = Path(__file__).parent / "data" / "sleep_trial.py"


@pytest.mark.parametrize("text,seconds", [("30s", 30), ("10m", 600), ("2h", 7200), ("1d", 86400), ("12h", 43200),
                                          ("99999d", 8_639_913_600)])
def test_v1_durations(text, seconds):
    assert parse_v1_duration(text) == seconds


@pytest.mark.parametrize("text", ["1h30m", "0.5h", "010m", "12", "12 h", "12H", "1|", "", None, 5])
def test_v1_rejects_what_nni_v1_rejects(text):
    with pytest.raises(ValueError, match="NNI v1 durations are a whole number"):
        parse_v1_duration(text)


@pytest.mark.parametrize("value,seconds", [("30s", 30), ("10M", 600), ("1.5h", 5400), ("0.5H", 1800), ("1d", 86400),
                                           (" 2h ", 7200), (90, 90), (1.2, 2), ("100", 100), ("0.001s", 1)])
def test_v2_durations(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["abc", "-1h", "0s", 0, "1h30m", "5w", True, None, "inf"])
def test_v2_rejects_bad_durations(value):
    with pytest.raises(ValueError):
        parse_duration(value)


def test_annotation_reading():
    assert max_duration_seconds({}) is None and max_duration_seconds(None) is None
    assert max_duration_seconds({"kubetune.io/max-duration": "2h"}) == 7200
    with pytest.raises(ValueError, match=r"metadata.annotations\[kubetune.io/max-duration\]: found 'soon'"):
        max_duration_seconds({"kubetune.io/max-duration": "soon"})


def _experiment(name: str, annotation: str, sleep: float, parallel: int) -> dict:
    return {
        "apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment",
        "metadata": {"name": name, "annotations": {"kubetune.io/max-duration": annotation}},
        "spec": {
            "objective": {"type": "maximize", "objectiveMetricName": "accuracy"},
            "algorithm": {"algorithmName": "random"},
            "parallelTrialCount": parallel, "maxTrialCount": 10, "maxFailedTrialCount": 10,
            "parameters": [{"name": "x", "parameterType": "double", "feasibleSpace": {"min": "0.1", "max": "0.9"}}],
            "trialTemplate": {
                "primaryContainerName": "t",
                "trialParameters": [{"name": "x", "reference": "x"}],
                "trialSpec": {"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {"spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "t", "image": "python:3.11",
                                    "command": [sys.executable, str(TRIAL), str(sleep), "${trialParameters.x}"]}]}}}},
            },
        },
    }


def test_engine_stops_creating_trials_after_max_duration_and_lets_running_ones_finish(tmp_path):
    exp = experiment_from_dict(_experiment("dur", "1s", sleep=2.0, parallel=2))
    result = LocalEngine(exp, tmp_path, seed=1, gpus=[]).run()
    done = [c for c in result.status["conditions"] if c["type"] == "Succeeded"]
    assert done and done[0]["status"] == "True" and done[0]["reason"] == "ExperimentMaxDurationReached"
    assert "kubetune.io/max-duration: 1s" in done[0]["message"]
    # the two trials running when the limit passed were not killed: they finished and count
    assert [t.state for t in result.trials] == ["Succeeded", "Succeeded"]
    assert all(t.objective is not None for t in result.trials)


def test_engine_fails_the_experiment_on_a_bad_annotation(tmp_path):
    exp = experiment_from_dict(_experiment("bad", "soon", sleep=0.1, parallel=1))
    result = LocalEngine(exp, tmp_path, seed=1, gpus=[]).run()
    failed = [c for c in result.status["conditions"] if c["type"] == "Failed"]
    assert failed and failed[0]["status"] == "True" and "kubetune.io/max-duration" in failed[0]["message"]
    assert len(result.trials) == 1


def test_engine_without_the_annotation_runs_to_max_trial_count(tmp_path):
    doc = _experiment("plain", "1d", sleep=0.0, parallel=2)
    doc["spec"]["maxTrialCount"] = doc["spec"]["maxFailedTrialCount"] = 3
    result = LocalEngine(experiment_from_dict(doc), tmp_path, seed=1, gpus=[]).run()
    done = [c for c in result.status["conditions"] if c["type"] == "Succeeded"][0]
    assert done["reason"] == "ExperimentMaxTrialsReached" and len(result.trials) == 3
