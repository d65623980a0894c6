"""`kubetune run` never leaves a trial process behind when the engine stops on an error, and a value
no process can carry (a NUL byte) fails its trial instead of the run (issue 14 item 7)."""
from __future__ import annotations

import os

import psutil
import pytest

from kubetune.engine import LocalEngine
from kubetune.experiment import experiment_from_dict
from engine_helpers import experiment


class ReporterThatBreaks:
    """A reporter (the engine's plug-in point) that raises when the second trial starts."""

    def __init__(self):
        self.started_names: list[str] = []
        self.trial_pids: set[int] = set()

    def started(self, trial) -> None:
        self.started_names.append(trial.name)
        if len(self.started_names) == 2:
            me = psutil.Process(os.getpid())
            self.trial_pids = {p.pid for p in me.children(recursive=True)}  # trials (+ a warm launcher)
            raise RuntimeError("reporter broke")

    def finished(self, trial) -> None: ...
    def resumed(self, reset, kept) -> None: ...
    def tick(self, counts, best) -> None: ...
    def message(self, text) -> None: ...


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_an_engine_error_kills_the_running_trials(tmp_path):
    raw = experiment(args=["--x", "${trialParameters.x}", "--sleep", "30"], parallel=2, max_trials=2)
    reporter = ReporterThatBreaks()
    engine = LocalEngine(experiment_from_dict(raw), tmp_path, gpus=[], reporter=reporter)
    with pytest.raises(RuntimeError, match="reporter broke"):
        engine.run()
    handles = [run.handle.pid for run in engine.running.values()]
    assert len(handles) == 2 and set(handles) <= reporter.trial_pids, "both trials were running"
    assert [pid for pid in reporter.trial_pids if _alive(pid)] == []


@pytest.mark.parametrize("launcher", ["subprocess", "auto"])
def test_a_value_no_process_can_carry_fails_its_trial_not_the_run(tmp_path, launcher):
    raw = experiment(parameters=[{"name": "x", "parameterType": "categorical",
                                  "feasibleSpace": {"list": ["0.5", "0.25"]}}], algorithm="grid", parallel=2,
                     max_trials=2, max_failed=2)
    exp = experiment_from_dict(raw)
    exp.spec["parameters"][0]["feasibleSpace"]["list"][1] = "0.2\x005"  # past validation, which rejects it
    result = LocalEngine(exp, tmp_path, gpus=[], launcher=launcher).run()
    states = {t.assignments["x"]: t.state for t in result.trials}
    assert states == {"0.5": "Succeeded", "0.2\x005": "Failed"}
    if launcher == "subprocess":  # execve refuses it (a warm fork hands the trial the value, which it rejects)
        failed = next(t for t in result.trials if t.state == "Failed")
        assert "null byte" in failed.message + failed.reason, failed
