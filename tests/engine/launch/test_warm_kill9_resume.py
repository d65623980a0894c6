"""kill -9 of the engine while forked trials run: the warm parent and every trial die with it; the
next run resumes with the exact trial count and leaves nothing behind."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import yaml

from engine_helpers import experiment, state_rows
from kubetune.engine.state import ExperimentState
from launch_helpers import SCRIPTS


def _alive(pids) -> list[int]:
    out = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
        except psutil.NoSuchProcess:
            pass
    return out


def _under(tmp_path: Path) -> list[int]:
    """Processes working in the test's directory (trials run in their trial directories)."""
    found = []
    for p in psutil.process_iter(["pid", "cwd"]):
        if (p.info.get("cwd") or "").startswith(str(tmp_path)):
            found.append(p.info["pid"])
    return found


@pytest.mark.slow
def test_kill_9_with_warm_workers_then_resume(tmp_path):
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(experiment("resume", max_trials=6, parallel=2,
                                              args=["--x", "${trialParameters.x}", "--epochs", "4", "--sleep", "0.4"])))
    cmd = [sys.executable, str(SCRIPTS / "run_engine.py"), str(path), str(tmp_path / "w"), "warm"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parents[1]),
                                                                     os.environ.get("PYTHONPATH")]))}
    engine = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    db = tmp_path / "w" / "resume" / "state.db"
    deadline = time.time() + 90
    rows = []
    while time.time() < deadline:
        time.sleep(0.2)
        if db.exists():
            try:
                rows = state_rows(db)
            except Exception:  # noqa: BLE001 - the first transaction may not be committed yet
                continue
            if sum(r.state == "Succeeded" for r in rows) >= 1 and sum(r.state == "Running" for r in rows) == 2:
                break
    descendants = [p.pid for p in psutil.Process(engine.pid).children(recursive=True)]
    time.sleep(0.2)  # the running trials' pids are committed with their state
    running = [r for r in rows if r.state == "Running"]
    assert len(running) == 2 and descendants
    parents = [p.pid for p in psutil.Process(engine.pid).children() if "zygote.py" in " ".join(p.cmdline())]
    assert len(parents) == 1  # one warm parent; the trials are its children, not the engine's
    st = ExperimentState(db, readonly=True)
    try:
        trial_pids = [pid for _, pid, _ in st.interrupted()]
    finally:
        st.close()
    assert len(trial_pids) == 2 and {psutil.Process(p).ppid() for p in trial_pids} == set(parents)
    os.kill(engine.pid, signal.SIGKILL)
    engine.wait()
    deadline = time.time() + 15
    while _alive(descendants) and time.time() < deadline:
        time.sleep(0.1)
    assert not _alive(descendants), [psutil.Process(p).cmdline() for p in _alive(descendants)]
    assert not _under(tmp_path)
    before = {r.name: r.state for r in state_rows(db)}
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=env)
    assert rerun.returncode == 0, rerun.stderr
    after = state_rows(db)
    assert len(after) == 6 and json.loads(rerun.stdout) == ["Succeeded"] * 6
    for name, state in before.items():  # finished trials were kept, interrupted ones re-run once
        row = next(r for r in after if r.name == name)
        assert row.attempts == (1 if state == "Succeeded" else 2)
    time.sleep(0.5)
    assert not _under(tmp_path) and not _alive(parents)
    assert not [p for p in psutil.process_iter(["ppid"]) if p.info["ppid"] in parents]


@pytest.mark.slow
def test_interrupt_stops_forked_trials_and_the_warm_parent(tmp_path):
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(experiment("ctrlc", max_trials=4, parallel=2,
                                              args=["--x", "${trialParameters.x}", "--epochs", "40", "--sleep", "0.25"])))
    cmd = [sys.executable, str(SCRIPTS / "run_engine.py"), str(path), str(tmp_path / "w"), "warm"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parents[1]),
                                                                     os.environ.get("PYTHONPATH")]))}
    engine = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    db = tmp_path / "w" / "ctrlc" / "state.db"
    deadline = time.time() + 60
    while time.time() < deadline:
        time.sleep(0.2)
        try:
            if db.exists() and sum(r.state == "Running" for r in state_rows(db)) == 2:
                break
        except Exception:  # noqa: BLE001 - not committed yet
            continue
    time.sleep(0.5)
    descendants = [p.pid for p in psutil.Process(engine.pid).children(recursive=True)]
    assert len(descendants) == 3  # the warm parent and two forked trials
    engine.send_signal(signal.SIGINT)
    out, err = engine.communicate(timeout=30)
    assert json.loads(out) == ["Running", "Running"], err  # kept for the next run to resume
    assert "Traceback" not in err
    deadline = time.time() + 10
    while _alive(descendants) and time.time() < deadline:
        time.sleep(0.1)
    assert not _alive(descendants) and not _under(tmp_path)
    for name in os.listdir(tmp_path / "w" / "ctrlc" / "trials"):
        log = (tmp_path / "w" / "ctrlc" / "trials" / name / "log").read_text()
        assert "epoch=1 " in log and "done" not in log  # ended by the interrupt, not finished
