"""The bench's per-trial fixed cost: measured through the real engine, charged by the replay."""
from __future__ import annotations

import json
import statistics
import sys

import pytest

from bench_efficiency_helpers import ROOT, TOY, toy_table

from efficiency import simulate
from efficiency.fixed_cost import charge, epoch_seconds, fixed_cost, from_run, measure, parse_setup
from efficiency.methods import METHODS
from efficiency.replay import replay_one

TRIAL = ROOT / "tests" / "bench" / "fixed_cost_trial.py"
LOG = ("[trainer] model cells\n2026-01-01T00:00:01Z params=10 macs=20\n"
       "2026-01-01T00:00:03Z epoch=1 accuracy=0.5 loss=1.2 epoch_time=1.25\n"
       "2026-01-01T00:00:05Z epoch=2 accuracy=0.6 loss=1.1 epoch_time=1.5\n[trainer] done\n")


def test_fixed_cost_is_the_trials_wall_time_minus_its_epochs():
    assert epoch_seconds(LOG) == pytest.approx(2.75)
    assert fixed_cost(4.0, LOG) == pytest.approx(1.25)
    with pytest.raises(ValueError, match="no metric line with epoch_time="):
        fixed_cost(4.0, "[trainer] crashed before its first epoch\nparams=10\n")


def test_from_run_takes_the_median_of_the_succeeded_trials(tmp_path):
    durations = {"t1": 3.0, "t2": 5.0, "t3": 4.0, "t4": 9.0}
    for name in durations:
        (tmp_path / "trials" / name).mkdir(parents=True)
        (tmp_path / "trials" / name / "log").write_text(LOG)
    status = {"trials": [{"name": n, "state": "Failed" if n == "t4" else "Succeeded", "parameters": {},
                          "durationSeconds": d} for n, d in durations.items()]}
    fc = from_run(status, tmp_path)
    assert fc.per_trial == pytest.approx([0.25, 2.25, 1.25])  # the failed t4 is left out
    assert fc.trials == ["t1", "t2", "t3"]
    assert fc.seconds == pytest.approx(1.25)
    assert fc.launcher == "subprocess"  # no warm parent's log in the run's folder
    status["trials"] = status["trials"][3:]
    with pytest.raises(RuntimeError, match="no trial succeeded"):
        from_run(status, tmp_path)


def _spec(name: str) -> dict:
    container = {"name": "training", "command": [sys.executable, str(TRIAL)], "args": ["--x=${trialParameters.x}"]}
    return {"apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"objective": {"type": "maximize", "objectiveMetricName": "accuracy"},
                     "algorithm": {"algorithmName": "random"}, "parallelTrialCount": 2, "maxTrialCount": 3,
                     "parameters": [{"name": "x", "parameterType": "double",
                                     "feasibleSpace": {"min": "0.1", "max": "0.9"}}],
                     "trialTemplate": {"primaryContainerName": "training", "retain": True,
                                       "trialParameters": [{"name": "x", "reference": "x"}],
                                       "trialSpec": {"apiVersion": "batch/v1", "kind": "Job", "spec": {
                                           "template": {"spec": {"restartPolicy": "Never",
                                                                 "containers": [container]}}}}}}}


@pytest.mark.slow
def test_measure_runs_real_trials_through_kubetune_run(tmp_path):
    fc = measure(_spec("fixed-cost-probe"), tmp_path)
    assert len(fc.per_trial) == len(fc.durations) == len(set(fc.trials)) == 3
    assert fc.launcher == "warm workers"  # the engine's default for a trial run by its own python
    for cost, duration, name in zip(fc.per_trial, fc.durations, fc.trials):
        log = tmp_path / "fixed-cost-probe" / "trials" / name / "log"
        assert cost == pytest.approx(duration - epoch_seconds(log.read_text()))
        assert cost < duration
    assert fc.seconds == pytest.approx(statistics.median(fc.per_trial))
    json.dumps(fc.to_dict())  # goes to results.json


def _sequential(table, configs):
    class Fixed:
        def __init__(self):
            self.todo = list(configs)

        def new_jobs(self, free, now):
            return [simulate.Job(f"j{len(self.todo)}", table.curve(self.todo.pop(0)), 0, 9)
                    for _ in range(min(free, len(self.todo)))]

        def on_epoch(self, job, value):
            return simulate.GO

        def on_end(self, job, state):
            pass
    return simulate.run(Fixed(), parallel=1, cap_epochs=1000)


def test_replay_charges_the_given_fixed_cost_per_trial():
    table, configs = toy_table(), TOY.configurations()[:5]
    base = _sequential(table.with_setup_time(0.5), configs)
    dearer = _sequential(table.with_setup_time(3.0), configs)
    assert base.trials == dearer.trials == 5
    assert dearer.total_seconds - base.total_seconds == pytest.approx(5 * 2.5)
    assert dearer.epochs == base.epochs and dearer.best == base.best  # compute and accuracy unchanged
    assert table.curves == toy_table().curves  # with_setup_time leaves the table alone
    random = next(m for m in METHODS if m.name == "random")  # suggestions do not depend on the clock
    a = replay_one(table.with_setup_time(0.0), random, 3, parallel=1, cap_epochs=40)
    b = replay_one(table.with_setup_time(2.0), random, 3, parallel=1, cap_epochs=40)
    assert a.trials == b.trials and a.total_epochs == b.total_epochs
    assert b.total_seconds - a.total_seconds == pytest.approx(b.trials * 2.0)


def test_charge_with_seconds_or_recorded_and_the_setup_flag(tmp_path):
    table = toy_table()
    tables, info = charge([table], 2.5, tmp_path, progress=lambda m: None)
    assert {c.setup_time for c in tables[0].curves.values()} == {2.5}
    assert info["toy"]["charged_s"] == 2.5 and info["toy"]["recorded_median_s"] == 1.0
    tables, info = charge([table], "recorded", tmp_path, progress=lambda m: None)
    assert tables[0] is table and info["toy"]["charged_s"] == 1.0 and "recorded" in info["toy"]["note"]
    assert parse_setup("measured") == "measured" and parse_setup("0.2") == 0.2
    for bad in ("fast", "-1", "nan"):
        with pytest.raises(ValueError, match="use measured, recorded or seconds >= 0"):
            parse_setup(bad)
