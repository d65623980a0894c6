"""`kubetune dashboard` as a person sees it: metric names instead of "Objective 0", Katib trial
names in a trials table, checked in a real headless browser (Debian's chromium, installed by
scripts/install-tools.sh) against a real `kubetune dashboard` process."""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from optuna.storages import InMemoryStorage

from kubetune.engine.dashboard import METRIC_NAMES_ATTR, DashboardSync
from kubetune.engine.state import ExperimentState

REPO = Path(__file__).resolve().parents[2]
SPEC = {
    "objective": {"type": "maximize", "objectiveMetricName": "val_accuracy", "additionalMetricNames": ["val_loss"]},
    "algorithm": {"algorithmName": "random"},
    "parameters": [
        {"name": "lr", "parameterType": "double", "feasibleSpace": {"min": "0.0001", "max": "0.1"}},
        {"name": "optimizer", "parameterType": "categorical", "feasibleSpace": {"list": ["sgd", "adam"]}},
    ],
}
TRIALS = {"mnist-tpe-x7k2p9ab": 0.91234567891, "mnist-tpe-q4m8n2cd": 0.87654321, "mnist-tpe-z9y8w7ef": None}


@pytest.fixture
def workdir(tmp_path) -> Path:
    state = ExperimentState(tmp_path / "mnist-tpe" / "state.db")
    state.init_experiment("mnist-tpe", "default", SPEC)
    state.add_trials([(name, {"lr": "0.00012272880785758138", "optimizer": "adam"}, {}, None) for name in TRIALS])
    for name, value in TRIALS.items():
        state.mark_running(name, None, None)
        if value is None:
            state.finish(name, "Failed", reason="TrialFailed", message="exit code 2", exit_code=2, objective=None,
                         observation={})
        else:
            state.add_metric_logs(name, [("2024-01-01T00:00:00Z", "val_accuracy", str(value))])
            state.finish(name, "Succeeded", reason="TrialSucceeded", message="", exit_code=0, objective=value,
                         observation={"val_accuracy": {"min": str(value), "max": str(value), "latest": str(value)},
                                      "val_loss": {"min": "0.3", "max": "0.3", "latest": "0.3"}})
    state.close()
    return tmp_path


def test_study_carries_the_metric_name(workdir):
    import optuna

    storage = InMemoryStorage()
    sync = DashboardSync(workdir / "mnist-tpe" / "state.db", storage)
    sync.sync()
    assert storage.get_study_system_attrs(sync.study_id)[METRIC_NAMES_ATTR] == ["val_accuracy"]
    assert optuna.load_study(study_name="mnist-tpe", storage=storage).metric_names == ["val_accuracy"]
    sync.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _page_text(browser: str, url: str, profile: Path) -> str:
    """The text of the page after its scripts ran (`--dump-dom` of the rendered DOM)."""
    r = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        f"--user-data-dir={profile}", "--virtual-time-budget=15000", "--dump-dom", url],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", r.stdout, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


@pytest.mark.slow
def test_dashboard_in_a_real_browser_names_trials_and_metrics(workdir, tmp_path):
    browser = _chromium()
    if browser is None:
        # CI installs it (make test -> make tools): there a missing browser is a failure, not a skip.
        if os.environ.get("CI"):
            pytest.fail("chromium is missing on CI: scripts/install-tools.sh should have installed it")
        pytest.skip("chromium is not installed (scripts/install-tools.sh installs it as root on Debian)")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "kubetune.cli", "dashboard", "mnist-tpe", "--workdir", str(workdir),
                             "--port", str(port)], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/studies", timeout=5) as r:
                    if json.load(r)["study_summaries"]:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"kubetune dashboard did not come up: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.3)
        table = _page_text(browser, f"{base}/dashboard/studies/0/trialTable", tmp_path / "profile")
        for name in TRIALS:
            assert name in table, table[:3000]
        assert "val_accuracy" in table and "val_loss" in table
        assert "0.9123" in table and "0.91234567891" not in table  # rounded for reading
        assert "0.0001227" in table and "Failed" in table
        study = _page_text(browser, f"{base}/dashboard/studies/0", tmp_path / "profile")
        assert "mnist-tpe" in study and "val_accuracy" in study, study[:3000]
        assert "Objective 0" not in study
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stderr.close()
