"""asha, bohb and the early-stopping rules through the local engine, with real trial processes
(tests/engine/trials/fidelity.py: a learning curve and a checkpoint pool like the trainer's)."""
from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

from kubetune.engine.state import ExperimentState

from engine_helpers import experiment, state_rows

X = {"name": "x", "parameterType": "double", "feasibleSpace": {"min": "0.0", "max": "1.0"}}
EPOCHS = {"name": "epochs", "parameterType": "int", "feasibleSpace": {"min": "1", "max": "9"}}
FIDELITY_ARGS = ["--x", "${trialParameters.x}", "--epochs", "${trialParameters.epochs}"]


def fidelity_experiment(name, algorithm, settings, *, max_trials, parallel=2, sleep=0.0, **kw):
    return experiment(name, parameters=[X, EPOCHS], algorithm=algorithm, settings=settings, parallel=parallel,
                      max_trials=max_trials, script="fidelity.py", args=FIDELITY_ARGS + ["--sleep", str(sleep)],
                      **kw)


def logs(result, trial, metric="accuracy"):
    st = ExperimentState(result.directory / "state.db", readonly=True)
    try:
        return [float(v) for _, _, v in st.metric_logs(trial, metric)]
    finally:
        st.close()


def trained_epochs(directory: Path) -> Counter:
    """(x, epoch) -> how many times that epoch of that configuration was trained."""
    path = directory / "checkpoints" / "trained.log"
    return Counter(tuple(line.split()) for line in path.read_text().splitlines())


def assert_promotions_continue_training(result, parent_label):
    by_name = {t.name: t for t in result.trials}
    promoted = [t for t in result.trials if parent_label in t.labels]
    assert promoted, "no configuration was promoted"
    for t in promoted:
        parent = by_name[t.labels[parent_label]]
        assert t.assignments["x"] == parent.assignments["x"]
        assert int(t.assignments["epochs"]) > int(parent.assignments["epochs"])
        log = (result.directory / "trials" / t.name / "log").read_text()
        assert f"pool={result.directory / 'checkpoints'}" in log
        if t.state == "Succeeded" and parent.state == "Succeeded":
            assert f"resumed_from_epoch={parent.assignments['epochs']}" in log
    # every epoch of every configuration was trained once: a promotion costs only its extra epochs
    trained = trained_epochs(result.directory)
    assert set(trained.values()) == {1}
    # parents are promoted once per rung
    assert max(Counter((t.labels[parent_label], t.assignments["epochs"]) for t in promoted).values()) == 1


def test_asha_runs_and_promotions_resume_from_the_checkpoint_pool(run_experiment):
    settings = {"resource_name": "epochs", "max_resource": "9", "eta": "3", "random_state": "2"}
    result = run_experiment(fidelity_experiment("asha", "asha", settings, max_trials=14, parallel=2))
    assert result.succeeded and len(result.trials) == 14
    assert all(t.state == "Succeeded" for t in result.trials)
    assert_promotions_continue_training(result, "asha.kubetune.io/parent")
    rungs = Counter(t.labels["asha.kubetune.io/rung"] for t in result.trials)
    assert rungs["0"] > rungs["1"] >= 1


def test_bohb_runs_every_bracket_then_ends(run_experiment):
    settings = {"resource_name": "epochs", "max_resource": "3", "eta": "3", "iterations": "1",
                "random_state": "4"}
    result = run_experiment(fidelity_experiment("bohb", "bohb", settings, max_trials=20, parallel=3))
    assert result.succeeded and len(result.trials) == 6  # brackets: 3 x 1 epoch -> 1 x 3; 2 x 3 epochs
    reason = next(c["reason"] for c in result.status["conditions"] if c["type"] == "Succeeded")
    assert reason == "ExperimentSuggestionEndReached"
    assert Counter(t.assignments["epochs"] for t in result.trials) == Counter({"1": 3, "3": 3})
    assert_promotions_continue_training(result, "hyperband.kubetune.io/parent")


def test_trial_env_keeps_its_own_checkpoint_pool(run_experiment, tmp_path):
    settings = {"resource_name": "epochs", "max_resource": "3", "eta": "3", "random_state": "4"}
    own = tmp_path / "mine"
    raw = fidelity_experiment("ownpool", "asha", settings, max_trials=2, parallel=1,
                              env=[{"name": "KUBETUNE_CHECKPOINT_POOL", "value": str(own)}])
    result = run_experiment(raw)
    assert (own / "trained.log").exists() and not (result.directory / "checkpoints").exists()
    plain = run_experiment(experiment("nopool", max_trials=1, parallel=1, script="fidelity.py",
                                      args=["--x", "${trialParameters.x}"]))
    log = (plain.directory / "trials" / plain.trials[0].name / "log").read_text()
    assert "pool=" not in log  # tpe/random/... trials get no pool


def test_percentile_stops_the_trial_behind_the_median(run_experiment):
    params = [{"name": "x", "parameterType": "discrete",
               "feasibleSpace": {"list": ["0.3", "0.35", "0.25", "0.28", "1.0"]}}]
    raw = experiment(parameters=params, algorithm="grid", parallel=1, max_trials=5,
                     args=["--x", "${trialParameters.x}", "--epochs", "6", "--sleep", "0.2"],
                     early_stopping={"algorithmName": "percentile",
                                     "algorithmSettings": [{"name": "min_trials_required", "value": "3"},
                                                           {"name": "start_step", "value": "2"}]})
    result = run_experiment(raw, seed=1)
    assert [t.rule is not None for t in result.trials] == [False] * 3 + [True] * 2
    for i, t in enumerate(result.trials[3:], start=3):  # the median of the earlier trials' best at report 2
        earlier = [max(logs(result, e.name)[:2]) for e in result.trials[:i] if e.state == "Succeeded"]
        assert float(t.rule["value"]) == pytest.approx(statistics.median(earlier))
        stop = max(logs(result, t.name)[:2]) < float(t.rule["value"])
        assert t.state == ("EarlyStopped" if stop else "Succeeded"), t
    stopped = next(t for t in result.trials if t.assignments["x"] == "1.0")
    assert stopped.state == "EarlyStopped" and len(logs(result, stopped.name)) < 6


def test_successive_halving_stops_trials_outside_the_top_at_a_rung(run_experiment):
    es = {"algorithmName": "successivehalving",
          "algorithmSettings": [{"name": "eta", "value": "2"}, {"name": "min_trials_required", "value": "2"}]}
    raw = experiment(algorithm="random", parallel=1, max_trials=6, early_stopping=es,
                     args=["--x", "${trialParameters.x}", "--epochs", "4", "--sleep", "0.15"])
    result = run_experiment(raw, seed=3)
    stopped = [t for t in result.trials if t.state == "EarlyStopped"]
    assert stopped and any(t.state == "Succeeded" for t in result.trials)
    curves = {t.name: logs(result, t.name) for t in result.trials}
    for i, t in enumerate(result.trials):  # one at a time: the earlier trials are the competition
        mine = curves[t.name]
        if t.state != "EarlyStopped":
            continue
        step = max(s for s in (1, 2, 4) if s <= len(mine))  # the last rung it reached (reports may follow the kill)
        others = [max(c[:step]) for n, c in list(curves.items())[:i] if len(c) >= step]
        ahead = sum(o > max(mine[:step]) for o in others)
        assert ahead >= max(1, (len(others) + 1) // 2), (t.name, step, others, mine)


def test_patience_stops_a_plateaued_curve(run_experiment):
    es = {"algorithmName": "patience", "algorithmSettings": [{"name": "patience", "value": "2"}]}
    raw = experiment(algorithm="random", parallel=2, max_trials=2, early_stopping=es, script="fidelity.py",
                     args=["--x", "${trialParameters.x}", "--epochs", "10", "--plateau", "2", "--sleep", "0.15"])
    result = run_experiment(raw)
    assert [t.state for t in result.trials] == ["EarlyStopped", "EarlyStopped"]
    for t in result.trials:  # rises at epochs 1-2, flat at 3-4: stopped at the 4th report
        assert 4 <= len(logs(result, t.name)) < 10
        assert t.observation["accuracy"]["latest"]


# ---- kill -9, then resume ----------------------------------------------------------------------

def kill_then_resume(tmp_path, raw):
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(raw))
    cmd = [sys.executable, "-m", "kubetune.cli", "run", str(path), "--workdir", str(tmp_path / "w"), "-o", "json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    db = tmp_path / "w" / raw["metadata"]["name"] / "state.db"
    deadline = time.time() + 90
    while time.time() < deadline:  # at least two trials finished and others run
        time.sleep(0.3)
        try:
            rows = state_rows(db) if db.exists() else []
        except Exception:
            rows = []
        finished = sum(r.state in ("Succeeded", "EarlyStopped") for r in rows)
        if (finished >= 2 and any(r.state == "Running" for r in rows)) or proc.poll() is not None:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {r.name: r for r in state_rows(db)}
    assert any(r.state == "Running" for r in before.values())
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    assert rerun.returncode == 0, rerun.stderr
    after = state_rows(db)
    for name, row in before.items():  # finished trials were kept, not re-run; labels intact
        if row.state in ("Succeeded", "EarlyStopped"):
            kept = next(r for r in after if r.name == name)
            assert kept.attempts == 1 and kept.labels == row.labels and kept.state == row.state
    unfinished = [(r.name, r.state, r.reason, r.message[-300:]) for r in after
                  if r.state not in ("Succeeded", "EarlyStopped")]
    assert not unfinished, (unfinished, rerun.stderr[-2000:])
    return before, after, json.loads(rerun.stdout)


@pytest.mark.slow
@pytest.mark.parametrize("algorithm, settings, parent", [
    ("asha", {"resource_name": "epochs", "max_resource": "9", "random_state": "1"}, "asha.kubetune.io/parent"),
    ("bohb", {"resource_name": "epochs", "max_resource": "9", "random_state": "1"},
     "hyperband.kubetune.io/parent"),
])
def test_kill_9_then_resume_loses_nothing(tmp_path, algorithm, settings, parent):
    raw = fidelity_experiment(f"kill-{algorithm}", algorithm, settings, max_trials=16, parallel=3, sleep=0.25)
    before, after, out = kill_then_resume(tmp_path, raw)
    assert len(after) == 16 and out["status"]["trialsSucceeded"] == 16
    promoted = Counter((r.labels[parent], r.assignments["epochs"]) for r in after if parent in r.labels)
    assert promoted and max(promoted.values()) == 1  # no configuration promoted twice to a rung
    by_name = {r.name: r for r in after}
    for r in after:
        if parent in r.labels:
            assert by_name[r.labels[parent]].assignments["x"] == r.assignments["x"]


@pytest.mark.slow
def test_kill_9_then_resume_with_successive_halving(tmp_path):
    es = {"algorithmName": "successivehalving", "algorithmSettings": [{"name": "eta", "value": "2"}]}
    raw = experiment("kill-sh", algorithm="random", parallel=2, max_trials=10, early_stopping=es,
                     args=["--x", "${trialParameters.x}", "--epochs", "4", "--sleep", "0.4"])
    before, after, out = kill_then_resume(tmp_path, raw)
    assert len(after) == 10 and any(r.state == "EarlyStopped" for r in after)
    assert out["status"]["trialsSucceeded"] + out["status"].get("trialsEarlyStopped", 0) == 10


# ---- the real trainer --------------------------------------------------------------------------

@pytest.mark.slow
def test_asha_with_the_trainer_on_digits_continues_promoted_trials(tmp_path, run_experiment):
    from trainer.data import write_digits

    data = tmp_path / "digits"
    write_digits(data, image_size=16, seed=0)
    lr = {"name": "lr", "parameterType": "double", "feasibleSpace": {"min": "0.01", "max": "0.1",
                                                                      "distribution": "logUniform"}}
    epochs = {"name": "epochs", "parameterType": "int", "feasibleSpace": {"min": "1", "max": "3"}}
    args = ["-m", "trainer", "train", "--data", str(data), "--image-size", "16", "--batch-size", "64",
            "--model", "cells", "--cells.base-channels", "8", "--threads", "1", "--no-tensorboard",
            "--augment", "none", "--out", "out", "--lr", "${trialParameters.lr}",
            "--epochs", "${trialParameters.epochs}"]
    raw = experiment("trainer-asha", parameters=[lr, epochs], algorithm="asha", parallel=1, max_trials=4,
                     settings={"resource_name": "epochs", "max_resource": "3", "random_state": "0"},
                     args=args, additional=("loss",))
    raw["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]["command"] = ["python"]
    result = run_experiment(raw)
    assert result.succeeded and [t.state for t in result.trials] == ["Succeeded"] * 4
    (promoted,) = [t for t in result.trials if "asha.kubetune.io/parent" in t.labels]
    assert promoted.assignments["epochs"] == "3"
    log = (result.directory / "trials" / promoted.name / "log").read_text()
    assert "resumed_from_epoch=1" in log  # trained epochs 2 and 3 only
    assert (result.directory / "checkpoints").is_dir()
