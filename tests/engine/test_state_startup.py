"""The state file around an experiment's first start-up (issue 14 item 10) and its metric-log table:
the schema appears whole or not at all, readers of a half-created state say "not started yet"
(no traceback), a state file from before observation_logs is read and migrated."""
from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys

import pytest

from kubetune.engine.state import ExperimentState, NotStartedError

TABLES = {"experiment", "trials", "observation_logs", "run_settings"}


def tables(path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")} - {"sqlite_sequence"}


def half_created(path, with_tables: bool) -> None:
    """What a kill during the first start-up leaves: a WAL database with no schema, or the
    schema without the experiment row."""
    path.parent.mkdir(parents=True)
    if with_tables:
        ExperimentState(path).close()
    else:
        with sqlite3.connect(path) as db:
            db.execute("PRAGMA journal_mode=WAL")


@pytest.mark.parametrize("with_tables", [False, True])
def test_status_of_a_half_created_experiment_says_not_started(tmp_path, with_tables):
    half_created(tmp_path / "w" / "demo" / "state.db", with_tables)
    with pytest.raises(NotStartedError, match="has not started yet"):
        ExperimentState(tmp_path / "w" / "demo" / "state.db", readonly=True)
    for argv in (["status", "demo"], ["status", "demo", "-o", "json"], ["trials", "demo"], ["best", "demo"]):
        run = subprocess.run([sys.executable, "-m", "kubetune.cli", *argv, "--workdir", str(tmp_path / "w")],
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 2, (argv, run.stderr)
        assert "has not started yet" in run.stderr and "Traceback" not in run.stderr, run.stderr


def test_a_run_starts_a_half_created_experiment(tmp_path):
    path = tmp_path / "demo" / "state.db"
    half_created(path, with_tables=False)
    state = ExperimentState(path)
    assert state.init_experiment("demo", "default", {"k": 1})
    state.close()
    assert ExperimentState(path, readonly=True).experiment()["spec"] == {"k": 1}


# The first start-up, killed (SIGKILL) as SQLite starts its second CREATE TABLE statement.
KILLED_IN_SCHEMA = """
import os, signal, sqlite3, sys
connect, creates = sqlite3.connect, []
def on_statement(sql):
    if sql.lstrip().upper().startswith("CREATE TABLE"):
        creates.append(sql)
        if len(creates) == 2:
            os.kill(os.getpid(), signal.SIGKILL)
def traced(*args, **kw):
    db = connect(*args, **kw)
    db.set_trace_callback(on_statement)
    return db
sqlite3.connect = traced
from kubetune.engine.state import ExperimentState
ExperimentState(sys.argv[1])
"""


def test_a_kill_during_schema_creation_leaves_no_table(tmp_path):
    path = tmp_path / "demo" / "state.db"
    run = subprocess.run([sys.executable, "-c", KILLED_IN_SCHEMA, str(path)], timeout=60)
    assert run.returncode == -signal.SIGKILL
    assert path.exists() and tables(path) == set()  # the first CREATE was not committed on its own
    with pytest.raises(NotStartedError):
        ExperimentState(path, readonly=True)
    ExperimentState(path).close()  # the next run creates it whole
    assert tables(path) == TABLES


def test_metric_logs_round_trip_compactly(tmp_path):
    st = ExperimentState(tmp_path / "e" / "state.db")
    st.init_experiment("e", "default", {})
    st.add_trials([("e-a", {}, {}, None), ("e-b", {}, {}, None)])
    st.add_metric_logs("e-a", [("0001-01-01T00:00:00Z", "acc", "0.5"), ("2026-01-01T00:00:01Z", "acc", "0.6")])
    st.add_metric_logs("e-b", [("0001-01-01T00:00:00Z", "acc", "0.1")])
    st.add_metric_logs("e-a", [("0001-01-01T00:00:00Z", "loss", "")])
    assert st.metric_logs("e-a") == [("0001-01-01T00:00:00Z", "acc", "0.5"), ("2026-01-01T00:00:01Z", "acc", "0.6"),
                                     ("0001-01-01T00:00:00Z", "loss", "")]
    assert st.metric_logs("e-a", "loss") == [("0001-01-01T00:00:00Z", "loss", "")]
    st.delete_metric_logs("e-a")
    assert st.metric_logs("e-a") == [] and len(st.metric_logs("e-b")) == 1
    st.add_metric_logs("e-a", [("0001-01-01T00:00:00Z", "acc", "0.7")])
    assert st.metric_logs("e-a") == [("0001-01-01T00:00:00Z", "acc", "0.7")]
    st.close()


def test_a_state_file_from_before_observation_logs_is_read_then_migrated(tmp_path):
    path = tmp_path / "old" / "state.db"
    st = ExperimentState(path)
    st.init_experiment("old", "default", {})
    st.add_trials([("old-a", {}, {}, None)])
    st.close()
    with sqlite3.connect(path) as db:  # the previous layout, with two rows
        db.execute("DROP TABLE observation_logs")
        db.execute("CREATE TABLE metric_logs (trial TEXT NOT NULL, time TEXT NOT NULL, name TEXT NOT NULL, "
                   "value TEXT NOT NULL)")
        db.executemany("INSERT INTO metric_logs VALUES (?, ?, ?, ?)",
                       [("old-a", "0001-01-01T00:00:00Z", "acc", "0.5"), ("old-a", "2026-01-01T00:00:00Z", "acc", "0.7")])
    expected = [("0001-01-01T00:00:00Z", "acc", "0.5"), ("2026-01-01T00:00:00Z", "acc", "0.7")]
    reader = ExperimentState(path, readonly=True)
    assert reader.metric_logs("old-a") == expected
    reader.close()
    writer = ExperimentState(path)  # what `kubetune run` opens: the rows move over
    assert writer.metric_logs("old-a") == expected
    writer.add_metric_logs("old-a", [("0001-01-01T00:00:00Z", "acc", "0.8")])
    assert writer.metric_logs("old-a", "acc")[-1] == ("0001-01-01T00:00:00Z", "acc", "0.8")
    assert writer.run_setting("local_overrides") is None
    writer.close()
    assert "metric_logs" not in tables(path)
