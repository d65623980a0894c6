"""The warm parent's life: its death ends its trials (reported, never hung), later trials fall back
to subprocesses; a kill right after the fork still ends the trial; closing it leaves nothing."""
from __future__ import annotations

import os
import signal
import time

import psutil

from kubetune.engine.launch import WarmLauncher
from launch_helpers import PY, SCRIPTS, finish, run_one, spec, start, wait_for_line

ENV = {"OMP_NUM_THREADS": "1"}


def fresh_launcher(tmp_path):
    launcher = WarmLauncher(tmp_path / "parent.log")
    launcher.messages = []
    assert launcher.prepare(spec([PY, SCRIPTS / "behave.py", "x"], SCRIPTS, ENV), {}, launcher.messages.append) is None
    return launcher


def test_the_parents_death_ends_its_trials_and_later_ones_run_as_subprocesses(tmp_path):
    launcher = fresh_launcher(tmp_path)
    try:
        log = tmp_path / "log"
        handle, events, sink = start(launcher, [PY, SCRIPTS / "behave.py", "sleep"], tmp_path, log, ENV)
        wait_for_line(log, "sleeping")
        os.kill(launcher.parent.pid, signal.SIGKILL)
        out = finish(handle, events, sink, log, timeout=20)
        assert out.forked and out.rc == -signal.SIGKILL and "warm parent" in out.reason
        _gone(handle.pid)
        later = run_one(launcher, [PY, SCRIPTS / "behave.py", "end"], tmp_path, tmp_path / "log2", ENV)
        assert later.rc == 0 and not later.forked
        assert any("warm workers are unavailable" in m for m in launcher.messages)
    finally:
        launcher.close()


def test_a_kill_right_after_the_fork_ends_the_trial(tmp_path):
    launcher = fresh_launcher(tmp_path)
    try:
        for i in range(5):
            log = tmp_path / f"log{i}"
            handle, events, sink = start(launcher, [PY, SCRIPTS / "behave.py", "sleep"], tmp_path, log, ENV)
            handle.kill("EarlyStopped")
            out = finish(handle, events, sink, log, timeout=20)
            assert (out.rc, out.reason) == (-signal.SIGTERM, "EarlyStopped")
    finally:
        launcher.close()


def test_close_ends_the_parent_and_any_trial_left(tmp_path):
    launcher = fresh_launcher(tmp_path)
    log = tmp_path / "log"
    handle, events, sink = start(launcher, [PY, SCRIPTS / "behave.py", "sleep"], tmp_path, log, ENV)
    wait_for_line(log, "sleeping")
    parent = launcher.parent.pid
    launcher.close()
    out = finish(handle, events, sink, log, timeout=20)
    assert out.rc == -signal.SIGKILL
    _gone(parent)
    _gone(handle.pid)


def _gone(pid: int, timeout: float = 10) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.05)
    raise AssertionError(f"pid {pid} still runs")
