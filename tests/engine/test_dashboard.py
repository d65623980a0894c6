"""The dashboard mirror: a state.db written with the state API, synced into an Optuna storage,
then served by the real optuna-dashboard and read back over HTTP."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.storages import InMemoryStorage
from optuna.study import StudyDirection
from optuna.trial import TrialState

from kubetune.engine.dashboard import DashboardSync
from kubetune.engine.state import ExperimentState

REPO = Path(__file__).resolve().parents[2]

SPEC = {
    "objective": {"type": "maximize", "objectiveMetricName": "accuracy", "additionalMetricNames": ["loss"]},
    "algorithm": {"algorithmName": "tpe", "algorithmSettings": [{"name": "random_state", "value": "7"}]},
    "parallelTrialCount": 3,
    "maxTrialCount": 10,
    "parameters": [
        {"name": "lr", "parameterType": "double",
         "feasibleSpace": {"min": "0.0001", "max": "0.1", "distribution": "logUniform"}},
        {"name": "layers", "parameterType": "int", "feasibleSpace": {"min": "1", "max": "7", "step": "2"}},
        {"name": "optimizer", "parameterType": "categorical", "feasibleSpace": {"list": ["sgd", "adam"]}},
        {"name": "dropout", "parameterType": "double",
         "feasibleSpace": {"min": "0.1", "max": "0.5", "distribution": "normal"}},
    ],
}


def _assign(lr: str, layers: str, optimizer: str, dropout: str = "0.3") -> dict[str, str]:
    return {"lr": lr, "layers": layers, "optimizer": optimizer, "dropout": dropout}


def _logs(*pairs: tuple[str, float]) -> list[tuple[str, str, str]]:
    return [(f"2024-01-01T00:00:{i:02d}Z", name, str(value)) for i, (name, value) in enumerate(pairs)]


def _obs(**latest: float) -> dict:
    return {m: {"min": str(v), "max": str(v), "latest": str(v)} for m, v in latest.items()}


@pytest.fixture
def state_path(tmp_path) -> Path:
    """exp-a Succeeded (3 reports), exp-b Failed, exp-c EarlyStopped, exp-d MetricsUnavailable,
    exp-e Running (1 report), exp-f Created."""
    path = tmp_path / "demo" / "state.db"
    st = ExperimentState(path)
    st.init_experiment("demo", "default", SPEC)
    st.set_conditions([{"type": "Created", "status": "True", "reason": "ExperimentCreated"},
                       {"type": "Running", "status": "True", "reason": "ExperimentRunning"}], None)
    st.add_trials([
        ("exp-a", _assign("0.01", "2", "adam"), {}, None),  # tpe: layers round(U(1, 7) / 2) * 2
        ("exp-b", _assign("0.1", "0", "sgd"), {}, None),
        ("exp-c", _assign("0.001", "4", "sgd", "0.55"), {}, None),  # hyperopt's normal: past max
        ("exp-d", _assign("0.0001", "8", "adam"), {}, None),
        ("exp-e", _assign("0.05", "2", "sgd"), {}, None),
        ("exp-f", _assign("0.02", "6", "adam"), {}, None),
    ])
    for name in ("exp-a", "exp-b", "exp-c", "exp-d", "exp-e"):
        st.mark_running(name, None, None)
    st.add_metric_logs("exp-a", _logs(("accuracy", 0.5), ("loss", 1.0), ("accuracy", 0.7), ("accuracy", 0.8)))
    st.finish("exp-a", "Succeeded", reason="TrialSucceeded", message="Trial has succeeded", exit_code=0,
              objective=0.8, observation={"accuracy": {"min": "0.5", "max": "0.8", "latest": "0.8"},
                                          "loss": {"min": "1.0", "max": "1.0", "latest": "1.0"}})
    st.finish("exp-b", "Failed", reason="TrialFailed", message="exit code 1; last lines:\nboom", exit_code=1,
              objective=None, observation={})
    st.add_metric_logs("exp-c", _logs(("accuracy", 0.2), ("accuracy", 0.25)))
    st.finish("exp-c", "EarlyStopped", reason="TrialEarlyStopped", message="Trial is early stopped",
              exit_code=-15, objective=0.25, observation=_obs(accuracy=0.25))
    st.finish("exp-d", "MetricsUnavailable", reason="MetricsUnavailable", message="objective metric missing",
              exit_code=0, objective=None, observation={})
    st.add_metric_logs("exp-e", _logs(("accuracy", 0.4), ("loss", 2.0)))
    st.close()
    return path


def _by_name(storage: InMemoryStorage, study_id: int) -> dict:
    trials = storage.get_all_trials(study_id)
    return {t.user_attrs["katib_trial"]: t for t in trials}


def test_sync_mirrors_every_trial(state_path):
    storage = InMemoryStorage()
    sync = DashboardSync(state_path, storage)
    assert sync.sync() is True

    study = storage.get_all_studies()
    assert [s.study_name for s in study] == ["demo"]
    assert study[0].directions == [StudyDirection.MAXIMIZE]
    attrs = study[0].user_attrs
    assert attrs["katib_algorithm"] == "tpe"
    assert attrs["katib_algorithm_settings"] == {"random_state": "7"}
    assert attrs["katib_objective"]["objectiveMetricName"] == "accuracy"
    assert attrs["katib_status"] == "Running (ExperimentRunning)"

    trials = _by_name(storage, sync.study_id)
    assert [t.user_attrs["katib_trial"] for t in storage.get_all_trials(sync.study_id)] == \
        ["exp-a", "exp-b", "exp-c", "exp-d", "exp-e", "exp-f"]  # Katib creation order
    assert {n: t.state for n, t in trials.items()} == {
        "exp-a": TrialState.COMPLETE, "exp-b": TrialState.FAIL, "exp-c": TrialState.PRUNED,
        "exp-d": TrialState.FAIL, "exp-e": TrialState.RUNNING, "exp-f": TrialState.RUNNING,
    }
    a = trials["exp-a"]
    assert a.values == [0.8]
    assert a.intermediate_values == {0: 0.5, 1: 0.7, 2: 0.8}  # accuracy only, by report order
    assert a.params == {"lr": 0.01, "layers": 2, "optimizer": "adam", "dropout": 0.3}
    assert a.distributions["lr"] == FloatDistribution(0.0001, 0.1, log=True)
    # tpe draws hyperopt's hp.quniform: multiples of the step from 0 (round(7 / 2) = 4 -> 8)
    assert a.distributions["layers"] == IntDistribution(0, 8, step=2)
    assert a.distributions["optimizer"] == CategoricalDistribution(("sgd", "adam"))
    # a normal parameter shows its real value, not the suggesters' CDF coordinate, over all the
    # unclipped normal gives: mu 0.3 +- about 8.2 sigma (sigma 0.4 / 6)
    dropout = a.distributions["dropout"]
    assert isinstance(dropout, FloatDistribution) and not dropout.log
    assert -0.26 < dropout.low < -0.24 and 0.84 < dropout.high < 0.86
    assert a.user_attrs["katib_state"] == "Succeeded" and a.user_attrs["katib_reason"] == "TrialSucceeded"
    assert a.user_attrs["accuracy"] == 0.8 and a.user_attrs["loss"] == 1.0
    assert "katib_message" not in a.user_attrs

    assert trials["exp-b"].values is None
    assert trials["exp-b"].user_attrs["katib_message"] == "exit code 1; last lines:"
    assert trials["exp-c"].values == [0.25] and trials["exp-c"].intermediate_values == {0: 0.2, 1: 0.25}
    assert trials["exp-c"].params["dropout"] == 0.55  # past max, still a parameter
    assert trials["exp-b"].params["layers"] == 0 and trials["exp-d"].params["layers"] == 8
    assert trials["exp-d"].user_attrs["katib_state"] == "MetricsUnavailable"
    e = trials["exp-e"]
    assert e.intermediate_values == {0: 0.4} and e.user_attrs["loss"] == 2.0  # live reports
    assert e.datetime_complete is None
    assert trials["exp-f"].intermediate_values == {} and trials["exp-f"].user_attrs["katib_state"] == "Created"
    assert storage.get_best_trial(sync.study_id).user_attrs["katib_trial"] == "exp-a"

    assert sync.sync() is False  # nothing changed: nothing read, nothing written
    assert len(storage.get_all_trials(sync.study_id)) == 6


def test_sync_updates_progress_without_duplicates(state_path):
    storage = InMemoryStorage()
    sync = DashboardSync(state_path, storage)
    sync.sync()
    before = {t.user_attrs["katib_trial"]: t._trial_id for t in storage.get_all_trials(sync.study_id)}

    st = ExperimentState(state_path)
    st.add_metric_logs("exp-e", _logs(("accuracy", 0.6), ("accuracy", 0.9)))
    st.finish("exp-e", "Succeeded", reason="TrialSucceeded", message="Trial has succeeded", exit_code=0,
              objective=0.9, observation=_obs(accuracy=0.9, loss=2.0))
    st.mark_running("exp-f", None, None)
    st.add_metric_logs("exp-f", _logs(("accuracy", 0.3)))
    st.add_trials([("exp-g", _assign("0.003", "4", "adam"), {}, None)])
    st.set_conditions([{"type": "Created", "status": "True", "reason": "ExperimentCreated"},
                       {"type": "Running", "status": "False", "reason": "ExperimentRunning"},
                       {"type": "Succeeded", "status": "True", "reason": "ExperimentMaxTrialsReached"}],
                      time.time())
    assert sync.sync() is True

    trials = storage.get_all_trials(sync.study_id)
    assert [t.user_attrs["katib_trial"] for t in trials] == \
        ["exp-a", "exp-b", "exp-c", "exp-d", "exp-e", "exp-f", "exp-g"]
    now = _by_name(storage, sync.study_id)
    assert {n: now[n]._trial_id for n in before} == before  # updated in place
    e = now["exp-e"]
    assert e.state == TrialState.COMPLETE and e.values == [0.9]
    assert e.intermediate_values == {0: 0.4, 1: 0.6, 2: 0.9}
    assert e.user_attrs["katib_state"] == "Succeeded" and e.user_attrs["accuracy"] == 0.9
    assert e.datetime_complete is not None
    f = now["exp-f"]
    assert f.state == TrialState.RUNNING and f.intermediate_values == {0: 0.3}
    assert f.user_attrs["katib_state"] == "Running"
    assert now["exp-g"].state == TrialState.RUNNING
    assert storage.get_best_trial(sync.study_id).user_attrs["katib_trial"] == "exp-e"
    assert storage.get_study_user_attrs(sync.study_id)["katib_status"] == "Succeeded (ExperimentMaxTrialsReached)"

    # a trial finished as FAIL, and trials a resume deletes end as FAIL instead of running forever
    st.finish("exp-f", "Killed", reason="Killed", message="killed", exit_code=-9, objective=None, observation={})
    st.delete_trials(["exp-g"])
    st.close()
    assert sync.sync() is True
    now = _by_name(storage, sync.study_id)
    assert now["exp-f"].state == TrialState.FAIL and now["exp-f"].values is None
    assert now["exp-g"].state == TrialState.FAIL and now["exp-g"].user_attrs["katib_state"] == "Deleted"
    assert len(now) == 7
    sync.close()


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


def test_dashboard_api_serves_the_mirror(state_path):
    import optuna_dashboard

    storage = InMemoryStorage()
    sync = DashboardSync(state_path, storage)
    sync.sync()
    server = make_server("127.0.0.1", 0, optuna_dashboard.wsgi(storage), handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        studies = _get_json(f"{base}/api/studies")["study_summaries"]
        assert [(s["study_name"], s["directions"]) for s in studies] == [("demo", ["maximize"])]
        detail = _get_json(f"{base}/api/studies/{studies[0]['study_id']}")
        states = {next(a["value"] for a in t["user_attrs"] if a["key"] == "katib_trial"): t["state"]
                  for t in detail["trials"]}
        assert states == {"exp-a": "Complete", "exp-b": "Fail", "exp-c": "Pruned", "exp-d": "Fail",
                          "exp-e": "Running", "exp-f": "Running"}
        assert [t["number"] for t in detail["best_trials"]] == [0]
        assert detail["has_intermediate_values"] is True
        assert {p["name"] for p in detail["union_search_space"]} == {"lr", "layers", "optimizer", "dropout"}
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        sync.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_kubetune_dashboard_is_live(state_path):
    """`kubetune dashboard` in a subprocess: a trial added to the state while it serves shows up."""
    port = _free_port()
    workdir = state_path.parent.parent
    proc = subprocess.Popen(
        [sys.executable, "-m", "kubetune.cli", "dashboard", "demo", "--workdir", str(workdir),
         "--port", str(port)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"

    def trial_names() -> list[str] | None:
        try:
            studies = _get_json(f"{base}/api/studies")["study_summaries"]
            detail = _get_json(f"{base}/api/studies/{studies[0]['study_id']}")
        except OSError:
            return None
        return [next(a["value"] for a in t["user_attrs"] if a["key"] == "katib_trial") for t in detail["trials"]]

    def wait_for(predicate, seconds: float):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"kubetune dashboard exited {proc.returncode}: {proc.stderr.read().decode()[-2000:]}")
            names = trial_names()
            if names is not None and predicate(names):
                return names
            time.sleep(0.2)
        pytest.fail(f"dashboard did not show the expected trials within {seconds}s (last: {trial_names()})")

    try:
        wait_for(lambda names: len(names) == 6, 30)
        st = ExperimentState(state_path)
        st.add_trials([("exp-live", _assign("0.003", "4", "adam"), {}, None)])
        st.close()
        # sync every 2 s, and the dashboard caches a study's trials for 2 s
        assert wait_for(lambda names: "exp-live" in names, 15)[-1] == "exp-live"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stderr.close()


def _mapper(algorithm: str):
    from kubetune.engine.dashboard import ParamMapper

    def space(name, ptype, **feasible):
        return {"name": name, "parameterType": ptype, "feasibleSpace": {k: str(v) for k, v in feasible.items()}}
    return ParamMapper({"algorithm": {"algorithmName": algorithm}, "parameters": [
        space("n", "int", min=1, max=10, step=3),
        space("w", "int", min=1, max=4096, distribution="logNormal"),
        space("q", "double", min=1, max=10, step=2),
        space("k", "int", min=1, max=100, step=3, distribution="logUniform"),
    ]})


def test_every_value_random_and_tpe_give_is_shown_as_a_parameter():
    """Katib's hyperopt (random, tpe): a step quantises from 0 (int [1, 10] step 3 -> 0, 3, 6, 9;
    double [1, 10] step 2 -> 0.0 when the draw is exactly min), an int logNormal is unclipped and
    its qlognormal can give 0: each such value is a parameter, not a "param_" attribute."""
    params, dists, leftovers = _mapper("tpe").map({"n": "0", "w": "0", "q": "0.0", "k": "0"})
    assert leftovers == {} and params == {"n": 0, "w": 0, "q": 0.0, "k": 0}
    assert dists["n"] == IntDistribution(0, 9, step=3) and dists["k"] == IntDistribution(0, 99, step=3)
    assert dists["q"] == FloatDistribution(0.0, 10.0)
    assert dists["w"].low == 0 and dists["w"].high > 10**6  # exp(ln 64 + 8.2 * ln 4096 / 6) ~ 5e6
    params, _, leftovers = _mapper("random").map({"n": "9", "w": "100000", "q": "10.0", "k": "99"})
    assert leftovers == {} and params == {"n": 9, "w": 100000, "q": 10.0, "k": 99}


def test_other_algorithms_keep_the_grid_from_min():
    mapper = _mapper("cmaes")
    params, dists, leftovers = mapper.map({"n": "0", "w": "0", "q": "3.0", "k": "4"})
    assert set(leftovers) == {"param_n", "param_w"} and params == {"q": 3.0, "k": 4}
    params, dists, leftovers = mapper.map({"n": "10", "w": "4096"})
    assert dists["n"] == IntDistribution(1, 10, step=3) and dists["w"] == IntDistribution(1, 4096, log=True)
