"""`kubetune validate` and `kubetune run` judge a metrics filter with one RE2 implementation
(kubetune.gocompat.re2), so they accept and refuse the same regexes, as Go does."""
from __future__ import annotations

import pytest

from kubetune.engine.collector import TrialCollector
from kubetune.experiment import SpecError, experiment_from_dict
from kubetune.gocompat.re2 import FilterError

from engine_helpers import experiment

PATH = "/var/log/katib/metrics.log"

# (filter, whether Go's regexp.Compile accepts it); the trial writes "epoch=1 accuracy=0.5 loss=0.5".
CASES = [
    (r"(accuracy)=([0-9.]+) loss=[0-9.]+\z", True),  # \z: end of text, Go and RE2 have it
    (r"(?<name>accuracy)=(?<value>[0-9.]+)", True),    # (?<name>...): Go 1.22+ named group
    (r"(accuracy)=([0-9.]+)\Z", False),                # \Z is Python's, an invalid escape in Go
    (r"(accuracy)=(\d++\.\d+)", False),                # possessive ++ is Python's, not RE2
]


def file_experiment(pattern: str) -> dict:
    collector = {"collector": {"kind": "File"},
                 "source": {"fileSystemPath": {"path": PATH, "kind": "File", "format": "TEXT"},
                            "filter": {"metricsFormat": [pattern]}}}
    return experiment(max_trials=1, parallel=1, collector=collector,
                      args=["--x", "${trialParameters.x}", "--metrics-file", PATH])


def validate_errors(raw: dict) -> list:
    try:
        experiment_from_dict(raw)
    except SpecError as e:
        return e.errors
    return []


def engine_accepts(raw: dict, trial_dir) -> bool:
    """What the engine does with the filter when it starts a trial (its metrics collector)."""
    try:
        TrialCollector(raw["spec"]["metricsCollectorSpec"], ["accuracy", "loss"], trial_dir)
    except FilterError:
        return False
    return True


@pytest.mark.parametrize("pattern, go_accepts", CASES)
def test_validate_and_run_agree_with_go(pattern, go_accepts, tmp_path):
    raw = file_experiment(pattern)
    errors = validate_errors(raw)
    assert (errors == []) is go_accepts, errors
    assert engine_accepts(raw, tmp_path) is go_accepts
    if not go_accepts:
        assert [e.path for e in errors] == ["spec.metricsCollectorSpec.source.filter.metricsFormat[0]"]
        assert "invalid filter" in errors[0].message


@pytest.mark.parametrize("pattern", [p for p, ok in CASES if ok])
def test_filters_go_accepts_collect_the_objective(pattern, run_experiment):
    result = run_experiment(file_experiment(pattern))
    assert [t.state for t in result.trials] == ["Succeeded"]
    t = result.trials[0]
    assert t.objective == pytest.approx(1 - (float(t.assignments["x"]) - 0.3) ** 2, abs=1e-5)
