"""The same experiment, history and seed: the Suggestion service answers what `kubetune run` (the
local engine, real trial processes) suggested - for a plain algorithm and for the settings form
of kubetune's extensions (multi-objective NSGA-II, conditional parameters). And the real
`kubetune serve suggestion` process, killed and started again mid-experiment."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import grpc
import pytest

from kubetune.engine import LocalEngine
from kubetune.results import selected_value
from kubetune.experiment import experiment_from_dict
from kubetune.serve.katib_api import api_pb2_grpc
from katib_driver import KatibTrial, assignments_of, experiment_pb, request, run_like_katib
from test_serve_suggestion import katib_experiment, quadratic

ROOT = Path(__file__).resolve().parents[2]
TRIAL = """
import sys
a = dict(arg.lstrip("-").split("=", 1) for arg in sys.argv[1:])
x, y = float(a.get("x", 1)), float(a.get("y", -2))
width = int(a.get("width", 1))
print(f"score={(x - 1) ** 2 + (y + 2) ** 2 + width / 10!r}")
print(f"params={width * 100}")
"""
MO_PARAMS = [{"name": "x", "parameterType": "double", "feasibleSpace": {"min": "-3.0", "max": "3.0"}},
             {"name": "optimizer", "parameterType": "categorical", "feasibleSpace": {"list": ["sgd", "adam"]}},
             {"name": "y", "parameterType": "double", "feasibleSpace": {"min": "-3.0", "max": "3.0"}},
             {"name": "width", "parameterType": "int", "feasibleSpace": {"min": "1", "max": "16"}}]


def local_run(tmp_path: Path, doc: dict) -> list:
    script = tmp_path / "trial.py"
    script.write_text(TRIAL)
    container = doc["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]
    container["command"] = [sys.executable, str(script)]
    result = LocalEngine(experiment_from_dict(doc), tmp_path / "runs", gpus=[]).run()
    assert result.succeeded, result.status
    return sorted(result.trials, key=lambda t: t.seq)


def as_katib_sends(row, strategies: dict[str, str]) -> KatibTrial:
    observation = {m: selected_value(row.observation, m, strategies.get(m, "latest")) for m in row.observation}
    return KatibTrial(row.name, dict(row.assignments), dict(row.labels), row.state, observation)


def replay(suggestion, doc: dict, rows: list) -> None:
    """Ask the service for each trial the engine created, given the trials before it."""
    exp = experiment_from_dict(doc)
    pb = experiment_pb(doc)
    sent = [as_katib_sends(r, exp.objective.strategies) for r in rows]
    for k, row in enumerate(rows):
        got = assignments_of(suggestion.stub.GetSuggestions(request(pb, sent[:k], 1), timeout=60))
        assert got and got[0][0] == row.assignments, f"trial {k}: service {got}, kubetune run {row.assignments}"


@pytest.mark.slow
def test_service_suggests_what_kubetune_run_suggested(suggestion, tmp_path):
    doc = katib_experiment("parity", "tpe", params=MO_PARAMS[:1] + MO_PARAMS[2:3], parallel=1, max_trials=6,
                           settings={"random_state": "4", "n_EI_candidates": "8"}, additional=())
    rows = local_run(tmp_path, doc)
    assert len(rows) == 6
    replay(suggestion, doc, rows)


@pytest.mark.slow
def test_settings_form_multi_objective_and_conditions_match_kubetune_run(suggestion, tmp_path):
    """The extensions in their settings form, as the service sees them: NSGA-II over score and
    params, y sampled only when optimizer is adam."""
    settings = {"random_state": "2", "kubetune.objectives": "{score: minimize, params: minimize}",
                "kubetune.population_size": "4",
                "kubetune.conditions": "y: {when: {optimizer: adam}, neutral: '0.0'}"}
    doc = katib_experiment("parity-mo", "random", params=MO_PARAMS, parallel=1, max_trials=7, settings=settings,
                           additional=("params",))
    rows = local_run(tmp_path, doc)
    assert len(rows) == 7 and {r.assignments["optimizer"] for r in rows} == {"sgd", "adam"}
    assert all(r.assignments["y"] == "0.0" for r in rows if r.assignments["optimizer"] == "sgd")  # neutral
    assert all(r.observation["params"]["latest"] != "unavailable" for r in rows)
    replay(suggestion, doc, rows)


def _start_cli(port: int = 0) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, "-m", "kubetune.cli", "serve", "suggestion", "--port", str(port),
                             "--host", "127.0.0.1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    line = proc.stdout.readline()
    assert "listening on" in line, line + proc.stderr.read()
    return proc, int(line.rsplit(":", 1)[1])


@pytest.mark.slow
def test_the_cli_service_killed_mid_experiment_is_rebuilt_from_the_request():
    doc = katib_experiment("cli-restart", "hyperband", params=[MO_PARAMS[0], {"name": "epochs", "parameterType": "int",
                           "feasibleSpace": {"min": "1", "max": "9"}}], parallel=9, max_trials=14,
                           settings={"resource_name": "epochs", "r_l": "9", "random_state": "1"})
    proc, port = _start_cli()
    state = {"proc": proc, "port": port, "channel": grpc.insecure_channel(f"127.0.0.1:{port}")}

    def stub():
        return api_pb2_grpc.SuggestionStub(state["channel"])

    def kill_and_restart(round_: int) -> None:
        if round_ == 4:
            state["proc"].send_signal(signal.SIGKILL)  # no goodbye: a pod killed by the node
            state["proc"].wait(10)
            state["channel"].close()
            state["proc"], state["port"] = _start_cli()
            state["channel"] = grpc.insecure_channel(f"127.0.0.1:{state['port']}")

    try:
        trials = run_like_katib(stub, doc, quadratic, on_round=kill_and_restart)
        reference = run_like_katib(stub, doc, quadratic)  # the restarted process, uninterrupted
    finally:
        state["proc"].send_signal(signal.SIGTERM)
        rc = state["proc"].wait(20)
    assert rc == 0
    assert [(t.assignments, t.labels) for t in trials] == [(t.assignments, t.labels) for t in reference]
    assert len([t for t in trials if t.condition == "Succeeded"]) == 14
