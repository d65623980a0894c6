"""Durable experiment state: one SQLite file per experiment (`<workdir>/<name>/state.db`).

The engine commits every transition here before acting on it (a trial row exists before its
process starts; a trial is terminal only once its observation is stored), so `kubetune run` can be
killed at any moment and resumed. WAL mode lets `kubetune status` read while a run writes.

The schema is created in one transaction, and the experiment row right after it: a reader finds
either a started experiment or `NotStartedError` ("not started yet"), never half a schema.

Metric logs (`observation_logs`, Katib's table name) keep every collected value, as Katib's DB
does, in a compact clustered table: one row per value keyed by (trial seq, report position), the
zero time (an untimestamped line) stored as NULL. State files written before it had a
`metric_logs` table; the first `kubetune run` on one moves its rows over, readers read either.
"""
from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Iterator

from kubetune.results import TrialRow

from .metrics.report import ZERO_TIME

_SCHEMA = """
CREATE TABLE IF NOT EXISTS experiment (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    namespace TEXT NOT NULL,
    spec TEXT NOT NULL,            -- the defaulted Experiment (JSON) this state was created with
    created REAL NOT NULL,
    completed REAL,
    conditions TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS trials (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,   -- creation order = Katib's list order
    name TEXT UNIQUE NOT NULL,
    assignments TEXT NOT NULL,
    labels TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    reason TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '',
    exit_code INTEGER,
    objective REAL,
    observation TEXT NOT NULL DEFAULT '{}',  -- {metric: {min, max, latest}}
    rule TEXT,                               -- early-stopping rule frozen at creation (JSON)
    attempts INTEGER NOT NULL DEFAULT 0,
    pid INTEGER,                             -- process group of the running attempt, to reap orphans
    pid_started REAL                         -- its start time, so a recycled pid is never signalled
);
CREATE TABLE IF NOT EXISTS observation_logs (
    trial INTEGER NOT NULL,                  -- trials.seq
    n INTEGER NOT NULL,                      -- report order within the trial
    time TEXT,                               -- RFC3339 as collected; NULL: the zero time
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (trial, n)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS run_settings (  -- how the last `kubetune run` ran it (JSON values)
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
# A state file written before observation_logs: its rows move over on the first writable open.
_MIGRATE_METRIC_LOGS = """
INSERT INTO observation_logs (trial, n, time, name, value)
    SELECT t.seq, m.rowid, NULLIF(m.time, ?), m.name, m.value FROM metric_logs m JOIN trials t ON t.name = m.trial;
"""


class StateError(RuntimeError):
    pass


class NotStartedError(StateError):
    """The state file exists but holds no experiment yet: its first start is under way, or was
    interrupted before the experiment was recorded (`kubetune run` starts it again)."""


class ExperimentState:
    def __init__(self, path: str | Path, readonly: bool = False):
        self.path = Path(path)
        if readonly:
            if not self.path.exists():
                raise StateError(f"{self.path}: no such experiment state")
            self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
            self._check_started()
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode survives a killed process; a power cut may lose the last transition,
            # which resume then re-runs.
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript("BEGIN IMMEDIATE;\n" + _SCHEMA + "COMMIT;")  # all tables or none
            self._migrate()
        self._logs_table = "observation_logs" if self._has_table("observation_logs") else "metric_logs"
        self._next_n: dict[int, int] = {}  # trial seq -> position of its next metric log
        self._seqs: dict[str, int] = {}
        self.db.row_factory = sqlite3.Row

    def _has_table(self, name: str) -> bool:
        return self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None

    def _check_started(self) -> None:
        try:
            row = self.db.execute("SELECT 1 FROM experiment WHERE id = 1").fetchone()
        except sqlite3.DatabaseError:  # no table yet (or an empty file): the start-up was cut short
            row = None
        if row is None:
            self.db.close()
            raise NotStartedError(
                f"experiment {self.path.parent.name!r} has not started yet: {self.path} holds no experiment "
                "(its first `kubetune run` is starting, or was stopped before the experiment was recorded; "
                "run it again to start it)")

    def _migrate(self) -> None:
        if self._has_table("metric_logs"):
            with self._tx():
                self.db.execute(_MIGRATE_METRIC_LOGS, (ZERO_TIME,))
                self.db.execute("DROP TABLE metric_logs")

    def close(self) -> None:
        self.db.close()

    def _tx(self):
        return _Transaction(self.db)

    # -- experiment -------------------------------------------------------------------------
    def init_experiment(self, name: str, namespace: str, spec: dict) -> bool:
        """Record the experiment; returns False when it already existed (a resume)."""
        row = self.db.execute("SELECT spec FROM experiment WHERE id = 1").fetchone()
        if row is not None:
            return False
        with self._tx():
            self.db.execute(
                "INSERT INTO experiment (id, name, namespace, spec, created) VALUES (1, ?, ?, ?, ?)",
                (name, namespace, json.dumps(spec, sort_keys=True), time.time()),
            )
        return True

    def experiment(self) -> dict:
        row = self.db.execute("SELECT * FROM experiment WHERE id = 1").fetchone()
        if row is None:
            raise StateError(f"{self.path}: holds no experiment")
        return {
            "name": row["name"], "namespace": row["namespace"], "spec": json.loads(row["spec"]),
            "created": row["created"], "completed": row["completed"],
            "conditions": json.loads(row["conditions"]),
        }

    def update_spec(self, spec: dict) -> None:
        with self._tx():
            self.db.execute("UPDATE experiment SET spec = ? WHERE id = 1", (json.dumps(spec, sort_keys=True),))

    def set_conditions(self, conditions: list[dict], completed: float | None) -> None:
        with self._tx():
            self.db.execute(
                "UPDATE experiment SET conditions = ?, completed = ? WHERE id = 1",
                (json.dumps(conditions), completed),
            )

    # -- trials -----------------------------------------------------------------------------
    def add_trials(self, trials: list[tuple[str, dict[str, str], dict[str, str], dict | None]]) -> None:
        """(name, assignments, labels, early-stopping rule) rows, all in one transaction."""
        now = time.time()
        with self._tx():
            self.db.executemany(
                "INSERT INTO trials (name, assignments, labels, state, created, rule) VALUES (?, ?, ?, 'Created', ?, ?)",
                [(n, json.dumps(a), json.dumps(lb), now, json.dumps(r) if r is not None else None)
                 for n, a, lb, r in trials],
            )

    def mark_running(self, name: str, pid: int | None, pid_started: float | None) -> None:
        with self._tx():
            self.db.execute(
                "UPDATE trials SET state = 'Running', started = ?, attempts = attempts + 1, pid = ?, "
                "pid_started = ? WHERE name = ?",
                (time.time(), pid, pid_started, name),
            )

    def _seq(self, name: str) -> int:
        seq = self._seqs.get(name)
        if seq is None:
            row = self.db.execute("SELECT seq FROM trials WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise StateError(f"{self.path}: no trial {name!r}")
            seq = self._seqs[name] = row[0]
        return seq

    def add_metric_logs(self, name: str, logs: list[tuple[str, str, str]]) -> None:
        """(time, metric, value) rows as the collector parsed them, appended in one transaction
        (the engine calls it once per batch the collector hands over, not once per line)."""
        if not logs:
            return
        seq = self._seq(name)
        start = self._next_n.get(seq)
        if start is None:
            start = self.db.execute("SELECT COALESCE(MAX(n) + 1, 0) FROM observation_logs WHERE trial = ?",
                                    (seq,)).fetchone()[0]
        zero = ZERO_TIME
        rows = [(seq, n, None if t == zero else t, m, v) for n, (t, m, v) in enumerate(logs, start)]
        with self._tx():
            self.db.executemany("INSERT INTO observation_logs (trial, n, time, name, value) VALUES (?, ?, ?, ?, ?)",
                                rows)
        self._next_n[seq] = start + len(rows)

    def delete_metric_logs(self, name: str) -> None:
        """Forget a trial's metric logs (its collector failed: Katib reports none of them)."""
        seq = self._seq(name)
        with self._tx():
            self.db.execute("DELETE FROM observation_logs WHERE trial = ?", (seq,))
        self._next_n.pop(seq, None)

    # -- how the run was run ----------------------------------------------------------------
    def set_run_setting(self, key: str, value) -> None:
        """Remember something about the last run (JSON), e.g. its local path mappings."""
        with self._tx():
            self.db.execute("INSERT OR REPLACE INTO run_settings (key, value) VALUES (?, ?)",
                            (key, json.dumps(value, sort_keys=True)))

    def run_setting(self, key: str, default=None):
        try:
            row = self.db.execute("SELECT value FROM run_settings WHERE key = ?", (key,)).fetchone()
        except sqlite3.OperationalError:  # a state file written before run_settings existed
            return default
        return default if row is None else json.loads(row[0])

    def finish(self, name: str, state: str, *, reason: str, message: str, exit_code: int | None,
               objective: float | str | None, observation: dict) -> None:
        """objective: the number, or the text of an objective that is not one (stored as a BLOB, which
        SQLite keeps as it is: a REAL column would turn a text such as " 0.5" into a number)."""
        if isinstance(objective, str):
            objective = objective.encode()
        with self._tx():
            self.db.execute(
                "UPDATE trials SET state = ?, finished = ?, reason = ?, message = ?, exit_code = ?, "
                "objective = ?, observation = ? WHERE name = ?",
                (state, time.time(), reason, message, exit_code, objective, json.dumps(observation), name),
            )

    def interrupted(self) -> list[tuple[str, int | None, float | None]]:
        """(name, pid, pid_started) of trials an interrupted run left Created/Running."""
        return [tuple(r) for r in self.db.execute(
            "SELECT name, pid, pid_started FROM trials WHERE state IN ('Created', 'Running')")]

    def reset_interrupted(self) -> list[str]:
        """Trials left Created/Running by an interrupted run go back to Created with no metrics."""
        names = [r[0] for r in self.interrupted()]
        if names:
            with self._tx():
                marks = ",".join("?" * len(names))
                self._delete_logs(marks, names)
                self.db.execute(
                    f"UPDATE trials SET state = 'Created', started = NULL, finished = NULL, pid = NULL "
                    f"WHERE name IN ({marks})",
                    names,
                )
        return names

    def delete_trials(self, names: list[str]) -> None:
        with self._tx():
            marks = ",".join("?" * len(names))
            self._delete_logs(marks, names)
            self.db.execute(f"DELETE FROM trials WHERE name IN ({marks})", names)

    def _delete_logs(self, marks: str, names: list[str]) -> None:
        self.db.execute(f"DELETE FROM observation_logs WHERE trial IN (SELECT seq FROM trials WHERE name IN ({marks}))",
                        names)
        self._next_n.clear()

    def trials(self) -> list[TrialRow]:
        return [self._row(r) for r in self.db.execute("SELECT * FROM trials ORDER BY seq")]

    def trial_index(self) -> list[TrialRow]:
        """Every trial's name, state, objective and times, without decoding its JSON columns:
        what counts, lists and the best trial need (`kubetune status` on a large experiment)."""
        return [TrialRow(seq=r[0], name=r[1], assignments={}, labels={}, state=r[2], created=r[3], started=r[4],
                         finished=r[5], **_objective(r[6]))
                for r in self.db.execute("SELECT seq, name, state, created, started, finished, objective "
                                         "FROM trials ORDER BY seq")]

    def trial(self, name: str) -> TrialRow | None:
        r = self.db.execute("SELECT * FROM trials WHERE name = ?", (name,)).fetchone()
        return self._row(r) if r else None

    def metric_logs(self, name: str, metric: str | None = None) -> list[tuple[str, str, str]]:
        """A trial's (time, metric, value) logs in report order."""
        return list(self.iter_metric_logs(name, metric))

    def iter_metric_logs(self, name: str, metric: str | None = None) -> Iterator[tuple[str, str, str]]:
        """metric_logs, streamed from the database (a trial may have millions)."""
        if self._logs_table == "metric_logs":  # a state file no run has opened since observation_logs
            q, args, order = "SELECT time, name, value FROM metric_logs WHERE trial = ?", (name,), "rowid"
        else:
            q = "SELECT time, name, value FROM observation_logs WHERE trial = (SELECT seq FROM trials WHERE name = ?)"
            args, order = (name,), "n"
        if metric is not None:
            q += " AND name = ?"
            args += (metric,)
        zero = ZERO_TIME
        for t, m, v in self.db.execute(f"{q} ORDER BY {order}", args):
            yield (zero if t is None else t), m, v

    @staticmethod
    def _row(r: sqlite3.Row) -> TrialRow:
        return TrialRow(
            seq=r["seq"], name=r["name"], assignments=json.loads(r["assignments"]),
            labels=json.loads(r["labels"]), state=r["state"], created=r["created"],
            started=r["started"], finished=r["finished"], reason=r["reason"], message=r["message"],
            exit_code=r["exit_code"], **_objective(r["objective"]), observation=json.loads(r["observation"]),
            rule=json.loads(r["rule"]) if r["rule"] else None, attempts=r["attempts"],
        )


def _objective(stored) -> dict:
    """TrialRow's objective fields from the objective column (a number, or text stored as a BLOB)."""
    if isinstance(stored, bytes):
        return {"objective": None, "objective_text": stored.decode()}
    return {"objective": stored}


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, *_):
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
