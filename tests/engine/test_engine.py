"""The local engine end to end, with real trial processes (tiny Python scripts)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from kubetune.engine.state import ExperimentState

from engine_helpers import experiment, state_rows


def states(result) -> list[str]:
    return [t.state for t in result.trials]


def condition(result, type_):
    return next((c for c in result.status["conditions"] if c["type"] == type_ and c["status"] == "True"), None)


def test_max_trial_count_ends_succeeded(run_experiment):
    result = run_experiment(experiment(max_trials=4, parallel=2))
    assert len(result.trials) == 4
    assert states(result) == ["Succeeded"] * 4
    assert condition(result, "Succeeded")["reason"] == "ExperimentMaxTrialsReached"
    assert result.status["trialsSucceeded"] == 4
    best = result.status["currentOptimalTrial"]
    values = {t.name: t.objective for t in result.trials}
    assert values[best["bestTrialName"]] == max(values.values())
    # observation holds min/max/latest of every metric, objective = max by default strategy
    obs = {m["name"]: m for m in best["observation"]["metrics"]}
    assert set(obs) == {"accuracy", "loss"}
    assert float(obs["accuracy"]["max"]) == pytest.approx(values[best["bestTrialName"]], abs=1e-6)


def test_trial_names_follow_katib_style(run_experiment):
    result = run_experiment(experiment("names", max_trials=2))
    for t in result.trials:
        prefix, suffix = t.name.rsplit("-", 1)
        assert prefix == "names" and len(suffix) == 8
        assert set(suffix) <= set("bcdfghjklmnpqrstvwxz2456789")


def test_goal_reached_stops_early(run_experiment):
    # grid over x, one trial at a time: only x=0.3 reaches the goal (accuracy 1.0), and the
    # experiment must end right after it, whatever the grid's (seeded, shuffled) order.
    params = [{"name": "x", "parameterType": "discrete",
               "feasibleSpace": {"list": ["0.9", "0.3", "0.5", "0.7", "0.8", "0.6"]}}]
    result = run_experiment(experiment(parameters=params, algorithm="grid", parallel=1, max_trials=6, goal=0.99), seed=3)
    assert condition(result, "Succeeded")["reason"] == "ExperimentGoalReached"
    order = [t.assignments["x"] for t in result.trials]
    assert order[-1] == "0.3" and "0.3" not in order[:-1]
    assert len(order) < 6  # premise of this seed: the goal is not the last grid point


def test_max_failed_trial_count_fails_experiment(run_experiment):
    raw = experiment(parallel=1, max_trials=10, max_failed=2,
                     args=["--x", "${trialParameters.x}", "--fail-above", "-1"])
    result = run_experiment(raw)
    assert condition(result, "Failed")["reason"] == "ExperimentFailed"
    assert states(result) == ["Failed", "Failed"]
    assert "diverged" in result.trials[0].message  # the log tail explains the failure


def test_exhausted_grid_ends_cleanly(run_experiment):
    params = [{"name": "x", "parameterType": "double", "feasibleSpace": {"min": "0.1", "max": "0.3", "step": "0.1"}}]
    # Katib rejects maxTrialCount above the grid size, so exhaustion happens with no maxTrialCount
    result = run_experiment(experiment(parameters=params, algorithm="grid", parallel=2, max_trials=None))
    assert sorted(float(t.assignments["x"]) for t in result.trials) == pytest.approx([0.1, 0.2, 0.3])
    assert condition(result, "Succeeded")["reason"] == "ExperimentSuggestionEndReached"


def test_metrics_unavailable_when_objective_missing(run_experiment):
    raw = experiment(max_trials=1, parallel=1, args=["--x", "${trialParameters.x}", "--no-metrics"])
    result = run_experiment(raw)
    assert states(result) == ["MetricsUnavailable"]
    assert "accuracy" in result.trials[0].message


def test_file_collector_text(run_experiment):
    collector = {"collector": {"kind": "File"},
                 "source": {"fileSystemPath": {"path": "/var/log/katib/metrics.log", "kind": "File"}}}
    raw = experiment(max_trials=2, collector=collector,
                     args=["--x", "${trialParameters.x}", "--metrics-file", "/var/log/katib/metrics.log"])
    result = run_experiment(raw)
    assert states(result) == ["Succeeded"] * 2
    for t in result.trials:
        local = result.directory / "trials" / t.name / "metrics" / "metrics.log"
        assert local.exists()
        assert t.objective == pytest.approx(1 - (float(t.assignments["x"]) - 0.3) ** 2, abs=1e-5)


def test_file_collector_json(run_experiment):
    collector = {"collector": {"kind": "File"},
                 "source": {"fileSystemPath": {"path": "/katib/m.json", "kind": "File", "format": "JSON"}}}
    raw = experiment(max_trials=1, parallel=1, collector=collector,
                     args=["--x", "${trialParameters.x}", "--metrics-file", "/katib/m.json", "--format", "json"])
    result = run_experiment(raw)
    assert states(result) == ["Succeeded"]
    assert result.trials[0].observation["loss"]["latest"] is not None


def test_file_collector_file_never_appears(run_experiment):
    collector = {"collector": {"kind": "File"},
                 "source": {"fileSystemPath": {"path": "/var/log/katib/metrics.log", "kind": "File"}}}
    raw = experiment(max_trials=1, parallel=1, collector=collector, args=["--x", "${trialParameters.x}"])
    result = run_experiment(raw)
    assert states(result) == ["MetricsUnavailable"]
    assert "never appeared" in result.trials[0].message


HOSTILE = ["; rm -rf /", "$(id)", "a\nb", "it's \"quoted\"", "`uname`", "x y", "--flag=1", "\\back"]


def test_hostile_values_arrive_verbatim_as_one_argv_element(run_experiment):
    params = [{"name": "v", "parameterType": "categorical", "feasibleSpace": {"list": HOSTILE}}]
    raw = experiment(parameters=params, algorithm="grid", parallel=2, max_trials=len(HOSTILE), script="echo_args.py",
                     args=["--value", "${trialParameters.v}", "--value=${trialParameters.v}"],
                     env=[{"name": "KT_VALUE", "value": "${trialParameters.v}"}])
    result = run_experiment(raw)
    assert states(result) == ["Succeeded"] * len(HOSTILE)
    seen = []
    for t in result.trials:
        got = json.loads((result.directory / "trials" / t.name / "received.json").read_text())
        v = t.assignments["v"]
        assert got["argv"] == ["--value", v, f"--value={v}"]
        assert got["env"]["KT_VALUE"] == v
        seen.append(v)
    assert sorted(seen) == sorted(HOSTILE)


def test_medianstop_stops_trials_behind_the_median(run_experiment):
    # One trial at a time over a grid; x=1.0 is far worse than the rest. A trial is checked against
    # the rule frozen at its creation, which exists once 3 trials have succeeded (min_trials_required).
    params = [{"name": "x", "parameterType": "discrete",
               "feasibleSpace": {"list": ["0.3", "0.35", "0.25", "0.28", "1.0"]}}]
    raw = experiment(parameters=params, algorithm="grid", parallel=1, max_trials=5,
                     args=["--x", "${trialParameters.x}", "--epochs", "6", "--sleep", "0.2"],
                     early_stopping={"algorithmName": "medianstop",
                                     "algorithmSettings": [{"name": "min_trials_required", "value": "3"},
                                                           {"name": "start_step", "value": "2"}]})
    result = run_experiment(raw, seed=1)
    order = [t.assignments["x"] for t in result.trials]
    assert order.index("1.0") >= 3  # premise of this seed: the bad trial comes after 3 good ones
    for i, t in enumerate(result.trials):
        assert (t.rule is not None) == (i >= 3)  # no rule before min_trials_required successes
        assert t.state == ("EarlyStopped" if t.assignments["x"] == "1.0" else "Succeeded"), t
    stopped = result.trials[order.index("1.0")]
    assert stopped.reason == "TrialEarlyStopped"
    st = ExperimentState(result.directory / "state.db", readonly=True)
    try:  # stopped at the start_step-th report, long before its 6 epochs
        assert 2 <= len(st.metric_logs(stopped.name, "accuracy")) < 6
    finally:
        st.close()
    assert stopped.observation["accuracy"]["latest"]  # retain: true -> the observation is kept


def test_active_deadline_seconds_fails_slow_trial(run_experiment):
    raw = experiment(max_trials=1, parallel=1, deadline=1,
                     args=["--x", "${trialParameters.x}", "--epochs", "50", "--sleep", "0.2"])
    started = time.time()
    result = run_experiment(raw)
    assert time.time() - started < 15
    assert states(result) == ["Failed"]
    assert result.trials[0].reason == "DeadlineExceeded"


def test_missing_command_is_a_clear_error_before_any_trial(tmp_path):
    from kubetune.engine import LocalEngine, TemplateError
    from kubetune.experiment import experiment_from_dict

    raw = experiment()
    raw["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]["command"] = ["no-such-binary-xyz"]
    with pytest.raises(TemplateError, match="no-such-binary-xyz"):
        LocalEngine(experiment_from_dict(raw), tmp_path, gpus=[]).run()


def test_cli_run_then_read_results(tmp_path):
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(experiment("cli", max_trials=3)))
    kt = [sys.executable, "-m", "kubetune.cli"]
    run = subprocess.run(kt + ["run", str(path), "--workdir", str(tmp_path / "w"), "-o", "json"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["status"]["trialsSucceeded"] == 3
    status = subprocess.run(kt + ["status", "cli", "--workdir", str(tmp_path / "w"), "-o", "json"],
                            capture_output=True, text=True, timeout=60)
    assert json.loads(status.stdout)["status"]["currentOptimalTrial"]["bestTrialName"] == \
        out["status"]["currentOptimalTrial"]["bestTrialName"]
    best = subprocess.run(kt + ["best", "cli", "--workdir", str(tmp_path / "w"), "-o", "json"],
                          capture_output=True, text=True, timeout=60)
    assert json.loads(best.stdout)["name"] == out["status"]["currentOptimalTrial"]["bestTrialName"]
    trial = out["trials"][0]["name"]
    logs = subprocess.run(kt + ["logs", "cli", trial[-8:], "--workdir", str(tmp_path / "w")],
                          capture_output=True, text=True, timeout=60)
    assert "epoch=3 accuracy=" in logs.stdout
    table = subprocess.run(kt + ["trials", "cli", "--workdir", str(tmp_path / "w")],
                           capture_output=True, text=True, timeout=60)
    assert table.returncode == 0 and trial in table.stdout


@pytest.mark.slow
def test_kill_9_then_resume_finishes_with_exact_trial_count(tmp_path):
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(experiment("resume", max_trials=6, parallel=2,
                                              args=["--x", "${trialParameters.x}", "--epochs", "4", "--sleep", "0.4"])))
    cmd = [sys.executable, "-m", "kubetune.cli", "run", str(path), "--workdir", str(tmp_path / "w"), "-o", "json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    db = tmp_path / "w" / "resume" / "state.db"
    deadline = time.time() + 60
    while time.time() < deadline:  # wait until at least one trial finished and others run
        time.sleep(0.3)
        if db.exists():
            st = ExperimentState(db, readonly=True)
            try:
                rows = st.trials()
            except Exception:
                rows = []
            finally:
                st.close()
            if sum(r.state == "Succeeded" for r in rows) >= 1 and any(r.state == "Running" for r in rows):
                break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {r.name: r.state for r in state_rows(db)}
    assert "Running" in before.values()
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert rerun.returncode == 0, rerun.stderr
    after = state_rows(db)
    assert len(after) == 6
    assert all(r.state == "Succeeded" for r in after)
    for name, state in before.items():  # finished trials were kept, not re-run
        if state == "Succeeded":
            assert next(r for r in after if r.name == name).attempts == 1
    assert json.loads(rerun.stdout)["status"]["trialsSucceeded"] == 6


def test_resume_with_changed_search_space_is_refused(tmp_path):
    from kubetune.engine import EngineError, LocalEngine
    from kubetune.experiment import experiment_from_dict

    raw = experiment("changed", max_trials=1, parallel=1)
    LocalEngine(experiment_from_dict(raw), tmp_path, gpus=[]).run()
    raw["spec"]["parameters"][0]["feasibleSpace"]["max"] = "2.0"
    with pytest.raises(EngineError, match="spec.parameters"):
        LocalEngine(experiment_from_dict(raw), tmp_path, gpus=[]).run()


def test_raising_max_trial_count_restarts_a_finished_experiment(tmp_path):
    from kubetune.engine import LocalEngine
    from kubetune.experiment import experiment_from_dict

    raw = experiment("restart", max_trials=2, parallel=2)
    first = LocalEngine(experiment_from_dict(raw), tmp_path, gpus=[]).run()
    assert len(first.trials) == 2
    again = LocalEngine(experiment_from_dict(raw), tmp_path, gpus=[]).run()
    assert len(again.trials) == 2  # completed, same budget: nothing re-run
    raw["spec"]["maxTrialCount"] = 4
    more = LocalEngine(experiment_from_dict(raw), tmp_path, gpus=[]).run()
    assert len(more.trials) == 4
    assert {c["type"] for c in more.status["conditions"]} >= {"Restarting", "Succeeded"}


def test_gpus_are_handed_out_one_set_per_trial(run_experiment):
    raw = experiment(max_trials=4, parallel=4, script="echo_args.py", args=["${trialParameters.x}"],
                     env=[{"name": "KT_GPUS", "value": "see CUDA_VISIBLE_DEVICES"}])
    container = raw["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]
    container["resources"] = {"limits": {"nvidia.com/gpu": 1}}
    container["command"] = [sys.executable, "-c",
                            "import os,json; json.dump(os.environ.get('CUDA_VISIBLE_DEVICES'), open('gpu.json','w')); "
                            "import time; time.sleep(0.5); print('accuracy=0.5')"]
    container["args"] = ["${trialParameters.x}"]
    result = run_experiment(raw, gpus=["0", "1"])
    assert states(result) == ["Succeeded"] * 4
    got = [json.loads((result.directory / "trials" / t.name / "gpu.json").read_text()) for t in result.trials]
    assert sorted(got) == ["0", "0", "1", "1"]  # never more than 2 at once, one GPU each
