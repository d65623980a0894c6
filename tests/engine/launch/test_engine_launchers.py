"""The engine under both launchers: same trials, states, metrics and exit codes; which launcher runs
is said once; the annotation opt-out and the fallbacks."""
from __future__ import annotations

import json
import os
import sys

import pytest

from engine_helpers import TRIALS, experiment
from kubetune.engine import LocalEngine, Reporter
from kubetune.engine.launch import LAUNCHER_ANNOTATION, LauncherError
from kubetune.engine.state import ExperimentState
from kubetune.experiment import experiment_from_dict

HOSTILE = ["a b", "$(touch /tmp/kubetune-pwned)", "; rm -rf /", "'\"", "--flag=--x", "ünï\u00e7ødé"]


class Messages(Reporter):
    def __init__(self):
        self.lines = []

    def message(self, text: str) -> None:
        self.lines.append(text)


def run(raw: dict, workdir, launcher=None, **kw):
    reporter = Messages()
    result = LocalEngine(experiment_from_dict(raw), workdir, seed=1, gpus=kw.pop("gpus", []),
                         reporter=reporter, launcher=launcher, **kw).run()
    result.messages = reporter.lines
    return result


def by_assignment(result) -> list:
    return sorted(result.trials, key=lambda t: json.dumps(t.assignments, sort_keys=True))


def summary(result) -> list:
    st = ExperimentState(result.directory / "state.db", readonly=True)
    try:
        return [(t.state, t.reason, t.exit_code, t.assignments, t.objective, t.observation,
                 [(n, v) for _, n, v in st.metric_logs(t.name)]) for t in by_assignment(result)]
    finally:
        st.close()


def launcher_line(result) -> str:
    return next(m for m in result.messages if m.startswith("launcher: "))


CASES = {
    "grid-with-failures": dict(parameters=[{"name": "x", "parameterType": "discrete",
                                            "feasibleSpace": {"list": ["0.1", "0.3", "0.8", "0.9"]}}],
                               algorithm="grid", max_trials=4, max_failed=4,
                               args=["--x", "${trialParameters.x}", "--fail-above", "0.85"]),
    "random-no-metrics": dict(max_trials=3, args=["--x", "${trialParameters.x}", "--no-metrics"]),
    "file-collector-json": dict(max_trials=2, args=["--x", "${trialParameters.x}", "--metrics-file",
                                                    "/var/log/katib/metrics.log", "--format", "json"],
                                collector={"collector": {"kind": "File"}, "source": {"fileSystemPath": {
                                    "path": "/var/log/katib/metrics.log", "kind": "File", "format": "JSON"}}}),
    "hostile-values": dict(parameters=[{"name": "v", "parameterType": "categorical",
                                        "feasibleSpace": {"list": HOSTILE}}], algorithm="grid",
                           max_trials=len(HOSTILE), script="echo_args.py",
                           args=["--value", "${trialParameters.v}", "--value=${trialParameters.v}"],
                           env=[{"name": "KT_VALUE", "value": "${trialParameters.v}"}]),
    "medianstop": dict(parameters=[{"name": "x", "parameterType": "discrete",
                                    "feasibleSpace": {"list": ["0.3", "0.35", "0.25", "0.28", "1.0"]}}],
                       algorithm="grid", parallel=1, max_trials=5,
                       args=["--x", "${trialParameters.x}", "--epochs", "6", "--sleep", "0.15"],
                       early_stopping={"algorithmName": "medianstop", "algorithmSettings": [
                           {"name": "min_trials_required", "value": "3"}, {"name": "start_step", "value": "2"}]}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_trials_states_and_metrics_under_both_launchers(tmp_path, case):
    raw = experiment(case, **CASES[case])
    sub = run(raw, tmp_path / "sub", "subprocess")
    warm = run(raw, tmp_path / "warm", "warm")
    assert launcher_line(sub).startswith("launcher: subprocess")
    assert launcher_line(warm).startswith("launcher: warm workers")
    assert not [m for m in warm.messages if "runs as a subprocess" in m or "fresh interpreter" in m]
    assert summary(warm) == summary(sub)
    best = [r.status["currentOptimalTrial"] for r in (sub, warm)]
    assert best[0]["observation"] == best[1]["observation"] and best[0]["parameterAssignments"] == best[1]["parameterAssignments"]
    for s, w in zip(by_assignment(sub), by_assignment(warm)):
        a, b = (r.directory / "trials" / t.name / "received.json" for r, t in ((sub, s), (warm, w)))
        assert a.exists() == b.exists() and (not a.exists() or json.loads(a.read_text()) == json.loads(b.read_text()))
        logs = [(r.directory / "trials" / t.name / "log").read_text() for r, t in ((sub, s), (warm, w))]
        assert [_no_pid(x) for x in logs] == [_no_pid(logs[0])] * 2


def _no_pid(log: str) -> str:
    return "\n".join(line for line in log.splitlines() if not line.startswith("pid "))
    if case == "medianstop":
        assert [t.state for t in warm.trials].count("EarlyStopped") == 1


def test_the_default_is_auto_and_says_so(tmp_path):
    result = run(experiment("auto", max_trials=2), tmp_path)
    assert launcher_line(result).startswith("launcher: warm workers")
    assert [t.state for t in result.trials] == ["Succeeded"] * 2
    assert (result.directory / "warm-parent.log").exists()


def test_active_deadline_fails_a_forked_trial(tmp_path):
    raw = experiment("deadline", max_trials=1, parallel=1, deadline=1,
                     args=["--x", "${trialParameters.x}", "--epochs", "50", "--sleep", "0.2"])
    result = run(raw, tmp_path, "warm")
    assert [(t.state, t.reason, t.exit_code) for t in result.trials] == [("Failed", "DeadlineExceeded", -15)]


def test_annotation_opts_out(tmp_path):
    raw = experiment("optout", max_trials=1, parallel=1)
    raw["metadata"]["annotations"] = {LAUNCHER_ANNOTATION: "subprocess"}
    result = run(raw, tmp_path)
    assert launcher_line(result) == f"launcher: subprocess (a fresh interpreter per trial; annotation {LAUNCHER_ANNOTATION}: subprocess)"
    forced = run(raw, tmp_path / "flag", "warm")  # the engine argument (the CLI flag) wins
    assert launcher_line(forced).startswith("launcher: warm workers")


@pytest.mark.parametrize("annotations, match", [
    ({LAUNCHER_ANNOTATION: "fork"}, r"metadata.annotations\[kubetune.io/launcher\]: 'fork' is not one of auto, warm, subprocess"),
    ({"kubetune.io/warm-imports": "torch, 3d"}, r"kubetune.io/warm-imports.*'3d' is not a module name"),
])
def test_invalid_annotations_are_input_errors(tmp_path, annotations, match):
    raw = experiment("bad", max_trials=1, parallel=1)
    raw["metadata"]["annotations"] = annotations
    with pytest.raises(LauncherError, match=match):
        run(raw, tmp_path)


def test_a_command_that_is_not_the_engines_python_runs_as_a_subprocess(tmp_path):
    raw = experiment("echo", max_trials=1, parallel=1, args=["accuracy=0.5", "x=${trialParameters.x}"])
    raw["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]["command"] = ["/bin/echo"]
    result = run(raw, tmp_path)
    assert "warm workers do not apply: the command '/bin/echo' is not the engine's interpreter" in launcher_line(result)
    assert [t.state for t in result.trials] == ["Succeeded"]
    with pytest.raises(LauncherError, match="--launcher warm: the trials cannot be forked"):
        run(raw, tmp_path / "forced", "warm")


def test_interpreter_options_and_other_pythons_fall_back(tmp_path):
    raw = experiment("opts", max_trials=1, parallel=1)
    container = raw["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]
    container["command"] = ["python", "-X", "dev", str(TRIALS / "quadratic.py")]
    result = run(raw, tmp_path)
    assert "interpreter option -X" in launcher_line(result)
    real = os.path.realpath(sys.executable)
    if os.path.dirname(real) != os.path.dirname(sys.executable):  # a venv: its base python is another one
        container["command"] = [real, str(TRIALS / "quadratic.py")]
        other = run(raw, tmp_path / "base")
        assert "is not the engine's interpreter" in launcher_line(other)


def test_a_trial_whose_import_time_env_differs_runs_as_a_subprocess(tmp_path):
    # PYTHONHASHSEED follows a parameter: the first sample value matches the warm parent, the others not.
    params = [{"name": "s", "parameterType": "discrete", "feasibleSpace": {"list": ["1", "2", "3"]}}]
    raw = experiment("hashseed", parameters=params, algorithm="grid", max_trials=3, parallel=1,
                     script="echo_args.py", args=["${trialParameters.s}"],
                     env=[{"name": "PYTHONHASHSEED", "value": "${trialParameters.s}"},
                          {"name": "KT_SEED", "value": "${trialParameters.s}"}])
    result = run(raw, tmp_path)
    assert launcher_line(result).startswith("launcher: warm workers")
    assert [t.state for t in result.trials] == ["Succeeded"] * 3
    fallbacks = [m for m in result.messages if "runs as a subprocess" in m]
    assert len(fallbacks) == 2 and all("PYTHONHASHSEED" in m for m in fallbacks)
