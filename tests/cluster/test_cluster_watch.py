"""`kubetune watch` / `submit --watch` follow a scripted Experiment until Katib completes it,
with a bounded poll interval, retries on a flaky API server, a timeout, and Ctrl-C that leaves
the Experiment running; plus `kubetune delete`."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_apiserver import status_body
from katib_objects import (NS, condition, experiment_doc, katib_defaulted, running_status, succeeded_status, trial,
                           write)

ROOT = Path(__file__).resolve().parents[2]


def _katib_runs_it(fake, name: str = "tiny") -> list:
    """What Katib's controllers do to the Experiment, one step per GET of it."""
    def created(f):
        if f.get("experiments", NS, name) is None:
            f.put("experiments", katib_defaulted(experiment_doc(name)))

    def two_running(f):
        f.set_status("experiments", NS, name, running_status([f"{name}-aaa", f"{name}-bbb"]))
        f.put("trials", trial(name, f"{name}-aaa", "0.6", "Running", created="2026-11-22T10:00:01Z"))
        f.put("trials", trial(name, f"{name}-bbb", "0.35", "Running", created="2026-11-22T10:00:02Z"))

    def one_done(f):
        f.put("trials", trial(name, f"{name}-aaa", "0.6", "Succeeded", "0.91", "0.09", created="2026-11-22T10:00:01Z"))
        status = running_status([f"{name}-bbb"])
        status.update(trials=2, trialsSucceeded=1, succeededTrialList=[f"{name}-aaa"],
                      currentOptimalTrial=succeeded_status(f"{name}-aaa", "0.6", "0.91", "0.09", [])[
                          "currentOptimalTrial"])
        f.set_status("experiments", NS, name, status)

    def all_done(f):
        f.put("trials", trial(name, f"{name}-bbb", "0.35", "Succeeded", "0.9975", "0.0025",
                              created="2026-11-22T10:00:02Z"))
        f.set_status("experiments", NS, name, succeeded_status(f"{name}-bbb", "0.35", "0.9975", "0.0025",
                                                              [f"{name}-aaa", f"{name}-bbb"]))

    return [created, two_running, one_done, all_done]


def _experiment_gets(fake) -> int:
    return sum(1 for s in fake.seen("GET", "experiments") if s.path.endswith("/experiments/tiny"))


def test_watch_follows_until_katib_completes_it(fake, kubeconfig, kt):
    fake.put("experiments", experiment_doc())
    fake.timeline = _katib_runs_it(fake)
    r = kt("watch", "tiny", "-n", NS, "--kubeconfig", kubeconfig, "--interval", "0.2")
    assert r.rc == 0, r.err
    assert fake.timeline == []
    assert _experiment_gets(fake) == 4  # stopped polling as soon as it completed
    assert {s.method for s in fake.requests} == {"GET"}
    progress = [line for line in r.err.splitlines() if "done" in line]
    assert "running 2" in progress[0] and "no result yet" in progress[0]
    assert "done 1" in progress[1] and "best accuracy=0.91 (tiny-aaa)" in progress[1]
    assert "done 2" in progress[-1] and "best accuracy=0.9975 (tiny-bbb)" in progress[-1]
    assert "leaderboard: tiny (objective accuracy, maximize)" in r.out
    assert r.out.index("tiny-bbb") < r.out.index("tiny-aaa")
    assert "Succeeded" in r.out and "kubetune best tiny -n team-a" in r.out


def test_submit_watch_creates_then_follows(fake, kubeconfig, kt, tmp_path):
    fake.timeline = _katib_runs_it(fake)[1:]  # submit creates it; Katib does the rest
    r = kt("submit", write(tmp_path / "exp.yaml", experiment_doc()), "-n", NS, "--kubeconfig", kubeconfig,
           "--watch", "--interval", "0.2", "-o", "json")
    assert r.rc == 0, r.err
    out = json.loads(r.out)
    assert out["status"]["currentOptimalTrial"]["bestTrialName"] == "tiny-bbb"
    assert [t["state"] for t in out["trials"]] == ["Succeeded", "Succeeded"]
    assert [s.method for s in fake.requests][0] == "POST"


def test_resume_then_watch_an_existing_experiment(fake, kubeconfig, kt, tmp_path):
    fake.put("experiments", katib_defaulted(experiment_doc()))
    fake.timeline = _katib_runs_it(fake)[1:]
    r = kt("submit", write(tmp_path / "exp.yaml", experiment_doc()), "-n", NS, "--kubeconfig", kubeconfig,
           "--resume", "--watch", "--interval", "0.2", "-o", "json")
    assert r.rc == 0, r.err
    assert "left as it is" in r.err and json.loads(r.out)["name"] == "tiny"


def test_failed_experiment_exits_1(fake, kubeconfig, kt):
    fake.put("experiments", katib_defaulted(experiment_doc()))
    fake.put("trials", trial("tiny", "tiny-aaa", "0.6", "Failed"))
    fake.set_status("experiments", NS, "tiny", {
        "startTime": "2026-11-22T10:00:00Z", "trials": 1, "trialsFailed": 1, "failedTrialList": ["tiny-aaa"],
        "conditions": [condition("Created", "ExperimentCreated", "Experiment is created"),
                       condition("Failed", "ExperimentFailed", "Experiment has failed because max failed count "
                                                               "has reached")]})
    r = kt("watch", "tiny", "-n", NS, "--kubeconfig", kubeconfig, "--interval", "0.2")
    assert r.rc == 1
    text = " ".join(r.out.split())  # the status table wraps long values to the width
    assert "experiment tiny: Failed" in text and "max failed count" in text


def test_timeout_leaves_it_running(fake, kubeconfig, kt):
    fake.put("experiments", katib_defaulted(experiment_doc()))
    fake.set_status("experiments", NS, "tiny", running_status([]))
    r = kt("watch", "tiny", "-n", NS, "--kubeconfig", kubeconfig, "--interval", "0.2", "--timeout", "0.5")
    assert r.rc == 1
    assert "has not completed after" in r.err and "keeps running on the cluster" in r.err
    assert not fake.seen("DELETE")


def test_poll_interval_is_bounded_and_backs_off_on_a_flaky_server(fake, kubeconfig):
    from kubetune.cluster.client import KatibClient
    from kubetune.cluster.watch import MAX_INTERVAL, MIN_INTERVAL, bounded_interval, watch

    assert bounded_interval(0) == MIN_INTERVAL and bounded_interval(10_000) == MAX_INTERVAL
    assert bounded_interval(5) == 5
    fake.put("experiments", katib_defaulted(experiment_doc()))
    steps = _katib_runs_it(fake)

    def flaky(f):  # the API server answers 503 to the next GET of the Experiment, twice
        steps[1](f)
        f.fail("GET", "experiments", 503, status_body(503, "ServiceUnavailable",
                                                      "the server is currently unable to handle the request"), times=2)

    fake.timeline = [flaky, steps[3]]
    sleeps, retries, updates = [], [], []
    last = watch(KatibClient(kubeconfig=kubeconfig), "tiny", NS, updates.append, interval=0.0,
                 sleep=sleeps.append, on_retry=lambda e, d: retries.append((str(e), d)))
    assert last.completed and last.status["currentOptimalTrial"]["bestTrialName"] == "tiny-bbb"
    assert sleeps == [MIN_INTERVAL, 2 * MIN_INTERVAL, 4 * MIN_INTERVAL]  # interval clamped up, then doubled per failure
    assert len(retries) == 2 and "unable to handle the request" in retries[0][0]
    assert len(updates) == 2


def test_ctrl_c_stops_watching_and_leaves_the_experiment(fake, kubeconfig):
    fake.put("experiments", katib_defaulted(experiment_doc()))
    fake.set_status("experiments", NS, "tiny", running_status([]))
    proc = subprocess.Popen([sys.executable, "-m", "kubetune.cli", "watch", "tiny", "-n", NS, "--kubeconfig",
                             kubeconfig, "--interval", "0.2"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while _experiment_gets(fake) < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "stopped watching; experiment team-a/tiny keeps running on the cluster" in err
    assert "Traceback" not in err
    assert {s.method for s in fake.requests} == {"GET"}
    assert fake.get("experiments", NS, "tiny") is not None


# -- delete --------------------------------------------------------------------------------------
def test_delete_is_foreground(fake, kubeconfig, kt):
    fake.put("experiments", katib_defaulted(experiment_doc()))
    r = kt("delete", "tiny", "-n", NS, "--kubeconfig", kubeconfig)
    assert r.rc == 0, r.err
    assert "is being deleted" in r.err
    (delete,) = fake.seen("DELETE")
    assert delete.path == "/apis/kubeflow.org/v1beta1/namespaces/team-a/experiments/tiny"
    assert delete.query["propagationPolicy"] == ["Foreground"]
    assert fake.get("experiments", NS, "tiny") is None


def test_delete_wait_until_gone(fake, kubeconfig, kt):
    fake.put("experiments", katib_defaulted(experiment_doc()))
    fake.linger_gets = 2
    r = kt("delete", "tiny", "-n", NS, "--kubeconfig", kubeconfig, "--wait")
    assert r.rc == 0, r.err
    assert "deleted, with its trials" in r.err
    assert _experiment_gets(fake) == 3  # two answers with deletionTimestamp, then 404
    assert fake.get("experiments", NS, "tiny") is None


def test_delete_and_watch_need_a_namespace(kt):
    for cmd in ("delete", "watch"):
        with pytest.raises(SystemExit) as e:
            kt(cmd, "tiny")
        assert e.value.code == 2
