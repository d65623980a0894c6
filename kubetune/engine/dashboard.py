"""`kubetune dashboard`: optuna-dashboard over an experiment's state.db, kept live.

optuna-dashboard reads an Optuna storage. Rather than teach it our schema, `DashboardSync` mirrors
the experiment into an `InMemoryStorage`: one study named after the experiment, one Optuna trial
per Katib trial (in creation order), and updates the trials that are still running as the engine
stores their progress. A background thread repeats the sync every `SYNC_SECONDS`.

The mapping, Katib -> Optuna:

* trial state: Succeeded -> COMPLETE, EarlyStopped -> PRUNED, Failed / MetricsUnavailable /
  Killed -> FAIL, Created / Running -> RUNNING;
* value: the objective value (a Succeeded trial without a usable objective shows as FAIL, since
  Optuna requires a COMPLETE trial to have one);
* intermediate values: the objective metric's reports, step = report index (0, 1, ...);
* params: the assignment strings in the Optuna distribution of each parameter (the one the
  suggesters use, `suggest.space.ParamCodec`); parameters sampled on a CDF coordinate
  (normal/logNormal, and under random/tpe hyperopt's quantised uniform/logUniform) are shown as
  their real value instead, in a range that holds every value the suggesters give (random/tpe:
  unclipped normals, multiples of the step that can lie past min and max);
* user attrs: `katib_trial`, `katib_state`, `katib_reason`, `katib_message` (first line, when
  the trial did not succeed), and every metric's latest value under its own name.

Optuna freezes a finished trial, so a trial is only updated until it is mirrored as finished.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from optuna.distributions import BaseDistribution, FloatDistribution, IntDistribution
from optuna.exceptions import DuplicatedStudyError, UpdateFinishedTrialError
from optuna.storages import BaseStorage, InMemoryStorage
from optuna.trial import FrozenTrial, TrialState

from kubetune.experiment.errors import SpecError
from kubetune.experiment.space import parse_parameters
from kubetune.results import TrialRow

from .state import ExperimentState
from .trialmetrics import py_float
from kubetune.algorithms.base import SuggestionError, objective_direction
from kubetune.algorithms.space import LOG_NORMAL, LOG_UNIFORM, ParamCodec, hyperopt_options

SYNC_SECONDS = 2.0
METRIC_NAMES_ATTR = "study:metric_names"  # optuna.study.study._SYSTEM_ATTR_METRIC_NAMES
BULK_READ = 64  # above this many rows to read, one full read beats a query per trial
MESSAGE_CHARS = 200

_log = logging.getLogger(__name__)

STATE_MAP: dict[str, TrialState] = {
    "Succeeded": TrialState.COMPLETE,
    "EarlyStopped": TrialState.PRUNED,
    "Failed": TrialState.FAIL,
    "MetricsUnavailable": TrialState.FAIL,
    "Killed": TrialState.FAIL,
    "Created": TrialState.RUNNING,
    "Running": TrialState.RUNNING,
}


# -- mapping: small pure functions ------------------------------------------------------------
def _finite(value: float | None) -> bool:
    return value is not None and not math.isnan(value)


def trial_state(row: TrialRow) -> tuple[TrialState, list[float] | None]:
    """Optuna state and values of a Katib trial."""
    state = STATE_MAP.get(row.state, TrialState.RUNNING)
    objective = row.objective if _finite(row.objective) else None
    if state == TrialState.COMPLETE and objective is None:
        return TrialState.FAIL, None
    if state in (TrialState.COMPLETE, TrialState.PRUNED) and objective is not None:
        return state, [float(objective)]
    return state, None


def intermediate_values(logs: list[tuple[str, str, str]], metric: str) -> list[float]:
    """The objective metric's numeric reports, in report order (list index = Optuna step)."""
    return [v for _, name, text in logs if name == metric and (v := py_float(text)) is not None]


def latest_metrics(row: TrialRow, logs: list[tuple[str, str, str]]) -> dict[str, float | str]:
    """Each metric's latest value: the stored observation once the trial ended, else its last report."""
    latest: dict[str, str] = {name: text for _, name, text in logs}
    for name, obs in row.observation.items():
        if obs.get("latest") is not None:
            latest[name] = obs["latest"]
    return {name: (v if (v := py_float(text)) is not None else str(text)) for name, text in latest.items()}


def trial_user_attrs(row: TrialRow, logs: list[tuple[str, str, str]]) -> dict[str, Any]:
    attrs: dict[str, Any] = {"katib_trial": row.name, "katib_state": row.state, "katib_reason": row.reason}
    if row.state != "Succeeded" and row.message:
        attrs["katib_message"] = row.message.splitlines()[0][:MESSAGE_CHARS]
    attrs.update(latest_metrics(row, logs))
    return attrs


def display_distribution(codec: ParamCodec) -> BaseDistribution:
    """The Optuna distribution a parameter is shown in: the suggesters' own, except where they
    sample another coordinate (normal/logNormal on a CDF coordinate; int logUniform with a step
    as a float), which would show the user numbers they never set."""
    if codec.mode == "unit" and (codec.unclipped_normal or codec.quantised):
        return _hyperopt_display(codec)
    if codec.mode == "unit":
        log = codec.distribution == LOG_NORMAL
        if codec.type == "int":
            step = codec.step if not log and codec.step else 1
            return IntDistribution(codec.lo, codec._point(codec.kmax), log=log, step=step)
        return FloatDistribution(float(codec.lo), float(codec.hi), log=log)
    if codec.mode == "log_snap" and codec.type == "int" and codec.distribution == LOG_UNIFORM:
        return IntDistribution(codec.low, codec.hi, log=True)
    return codec.optuna_distribution


def _hyperopt_display(codec: ParamCodec) -> BaseDistribution:
    """From the least to the greatest value random/tpe can give (from_unit is monotone; an
    unclipped normal's CDF coordinate is kept within about 8.2 sigma): a hyperopt normal or a
    step quantised from 0 can lie past min and max, and a qlognormal can give 0."""
    low, high = (float(codec.from_unit(u)) for u in (0.0, 1.0))
    log = codec.distribution in (LOG_UNIFORM, LOG_NORMAL) and low > 0
    if codec.type == "int":
        return IntDistribution(int(low), int(high), log=log, step=1 if log else codec.step)
    return FloatDistribution(low, high, log=log)  # no step: 15-digit values need not divide evenly


def param_value(codec: ParamCodec, dist: BaseDistribution, text: str) -> Any:
    """An assignment string in `dist`'s external form; ValueError when it does not fit."""
    if dist == codec.optuna_distribution:
        return codec.to_optuna(text)
    number = float(text)
    value: Any = int(number) if isinstance(dist, IntDistribution) else number
    if isinstance(dist, IntDistribution) and value != number:
        raise ValueError(f"{codec.name}={text!r} is not an integer")
    if not dist._contains(dist.to_internal_repr(value)):
        raise ValueError(f"{codec.name}={text!r} is outside {dist}")
    return value


class ParamMapper:
    """Assignments -> (params, distributions) for the experiment's search space."""

    def __init__(self, spec: dict):
        self.codecs: dict[str, tuple[ParamCodec, BaseDistribution]] = {}
        try:
            parameters = parse_parameters(spec)
        except SpecError as e:
            _log.warning("dashboard: search space not readable (%s); parameters shown as trial attributes", e)
            parameters = []
        options = hyperopt_options((spec.get("algorithm") or {}).get("algorithmName") or "")
        for p in parameters:
            try:
                codec = ParamCodec(p, **options)
                self.codecs[p.name] = (codec, display_distribution(codec))
            except SuggestionError as e:
                _log.warning("dashboard: parameter %s shown as a trial attribute: %s", p.name, e)

    def map(self, assignments: dict[str, str]) -> tuple[dict[str, Any], dict[str, BaseDistribution], dict[str, str]]:
        """(params, distributions, leftovers): values that fit no distribution become user attrs."""
        params: dict[str, Any] = {}
        dists: dict[str, BaseDistribution] = {}
        leftovers: dict[str, str] = {}
        for name, text in assignments.items():
            entry = self.codecs.get(name)
            if entry is None:
                leftovers[f"param_{name}"] = text
                continue
            codec, dist = entry
            try:
                params[name] = param_value(codec, dist, text)
                dists[name] = dist
            except (ValueError, TypeError):
                leftovers[f"param_{name}"] = text
        return params, dists, leftovers


def study_user_attrs(experiment: dict) -> dict[str, Any]:
    spec = experiment["spec"]
    algorithm = spec.get("algorithm") or {}
    conditions = experiment.get("conditions") or []
    true = [c for c in conditions if c.get("status") == "True"]
    return {
        "katib_algorithm": algorithm.get("algorithmName", ""),
        "katib_algorithm_settings": {s.get("name"): s.get("value") for s in algorithm.get("algorithmSettings") or []},
        "katib_objective": spec.get("objective") or {},
        "katib_status": f"{true[-1]['type']} ({true[-1].get('reason', '')})" if true else "Created",
        "katib_conditions": [f"{c['type']}={c.get('status')} {c.get('reason', '')}".rstrip() for c in conditions],
        "katib_namespace": experiment.get("namespace", ""),
    }


def _trial_names(state: ExperimentState) -> list[str]:
    """Trial names in creation order, without decoding every row (ExperimentState.trials() parses
    each row's JSON: ~30 ms for 2,000 trials, every 2 s while an experiment runs)."""
    return [r[0] for r in state.db.execute("SELECT name FROM trials ORDER BY seq")]


def _time(ts: float | None) -> dt.datetime | None:
    return None if ts is None else dt.datetime.fromtimestamp(ts)


# -- the sync ---------------------------------------------------------------------------------
@dataclass
class _Mirror:
    """What was written for one Katib trial, so a sync only writes what changed."""

    trial_id: int
    finished: bool
    intermediate: list[float] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)


class DashboardSync:
    """Mirrors `state_path` into one study of `storage`; `sync()` brings it up to date."""

    def __init__(self, state_path: str | Path, storage: BaseStorage):
        self.path = Path(state_path)
        self.storage = storage
        self._state: ExperimentState | None = None
        self._owner: int | None = None  # sqlite connections stay in the thread that opened them
        self._version: int | None = None
        self._mirrors: dict[str, _Mirror] = {}
        self._study_attrs: dict[str, Any] = {}
        self._lock = threading.Lock()
        experiment = self._connection().experiment()
        self.study_name: str = experiment["name"]
        self.metric: str = (experiment["spec"].get("objective") or {}).get("objectiveMetricName", "")
        self.mapper = ParamMapper(experiment["spec"])
        direction = objective_direction((experiment["spec"].get("objective") or {}).get("type", "maximize"))
        try:
            self.study_id = storage.create_new_study([direction], study_name=self.study_name)
        except DuplicatedStudyError:
            self.study_id = storage.get_study_id_from_name(self.study_name)
        # what Study.set_metric_names stores: the dashboard says "accuracy", not "Objective 0"
        storage.set_study_system_attr(self.study_id, METRIC_NAMES_ATTR, [self.metric or "objective"])
        self._set_study_attrs(experiment)

    def _connection(self) -> ExperimentState:
        me = threading.get_ident()
        if self._state is None or self._owner != me:
            self._state = ExperimentState(self.path, readonly=True)
            self._owner = me
            self._version = None  # a new connection: the next sync reads everything
        return self._state

    def close(self) -> None:
        with self._lock:
            if self._state is not None and self._owner == threading.get_ident():
                self._state.close()
            self._state = None

    def sync(self) -> bool:
        """Bring the study up to date; False (one PRAGMA, nothing else) when state.db is unchanged."""
        with self._lock:
            state = self._connection()
            # data_version changes only when another connection committed to the file
            version = state.db.execute("PRAGMA data_version").fetchone()[0]
            if version == self._version:
                return False
            self._set_study_attrs(state.experiment())
            names = _trial_names(state)
            for row in self._changed_rows(state, names):
                mirror = self._mirrors.get(row.name)
                if mirror is None:
                    self._mirrors[row.name] = self._add(state, row)
                else:
                    self._update(state, row, mirror)
            present = set(names)
            for name, mirror in self._mirrors.items():
                if name not in present and not mirror.finished:
                    self._drop(mirror)
            self._version = version
            return True

    def _changed_rows(self, state: ExperimentState, names: list[str]) -> list[TrialRow]:
        """Rows of the trials that may have changed: new ones and those not mirrored as finished.
        Finished trials are frozen, so a live 2,000-trial experiment reads a handful of rows."""
        wanted = [n for n in names if n not in self._mirrors or not self._mirrors[n].finished]
        if len(wanted) > BULK_READ:
            keep = set(wanted)
            return [row for row in state.trials() if row.name in keep]
        rows = (state.trial(n) for n in wanted)
        return [row for row in rows if row is not None]  # None: deleted since the names were read

    def _set_study_attrs(self, experiment: dict) -> None:
        for key, value in study_user_attrs(experiment).items():
            if self._study_attrs.get(key) != value:
                self.storage.set_study_user_attr(self.study_id, key, value)
                self._study_attrs[key] = value

    def _add(self, state: ExperimentState, row: TrialRow) -> _Mirror:
        logs = state.metric_logs(row.name)
        values_by_step = intermediate_values(logs, self.metric)
        params, dists, leftovers = self.mapper.map(row.assignments)
        attrs = {**trial_user_attrs(row, logs), **leftovers}
        optuna_state, values = trial_state(row)
        template = FrozenTrial(
            number=-1, trial_id=-1, state=optuna_state, value=None, values=values,
            datetime_start=_time(row.started or row.created),
            datetime_complete=_time(row.finished or row.created) if optuna_state.is_finished() else None,
            params=params, distributions=dists, user_attrs=attrs, system_attrs={},
            intermediate_values=dict(enumerate(values_by_step)),
        )
        trial_id = self.storage.create_new_trial(self.study_id, template_trial=template)
        return _Mirror(trial_id, optuna_state.is_finished(), values_by_step, attrs)

    def _update(self, state: ExperimentState, row: TrialRow, mirror: _Mirror) -> None:
        logs = state.metric_logs(row.name)
        values_by_step = intermediate_values(logs, self.metric)
        attrs = {**mirror.attrs, **trial_user_attrs(row, logs)}
        optuna_state, values = trial_state(row)
        try:
            for step, value in enumerate(values_by_step):
                old = mirror.intermediate[step] if step < len(mirror.intermediate) else None
                if old is None or (old != value and not (math.isnan(old) and math.isnan(value))):
                    self.storage.set_trial_intermediate_value(mirror.trial_id, step, value)
            mirror.intermediate = values_by_step
            for key, value in attrs.items():
                if mirror.attrs.get(key, _MISSING) != value:
                    self.storage.set_trial_user_attr(mirror.trial_id, key, value)
            mirror.attrs = attrs
            if optuna_state.is_finished():
                self.storage.set_trial_state_values(mirror.trial_id, optuna_state, values)
                mirror.finished = True
        except UpdateFinishedTrialError:
            mirror.finished = True  # finished from the dashboard's UI ("tell"): it is the user's now

    def _drop(self, mirror: _Mirror) -> None:
        """A trial the state no longer holds (deleted on a resume): end it as FAIL."""
        try:
            self.storage.set_trial_user_attr(mirror.trial_id, "katib_state", "Deleted")
            self.storage.set_trial_state_values(mirror.trial_id, TrialState.FAIL)
        except UpdateFinishedTrialError:
            pass
        mirror.finished = True


_MISSING = object()


class SyncThread(threading.Thread):
    """Calls `sync.sync()` now and every `interval` seconds until `stop()`."""

    def __init__(self, sync: DashboardSync, interval: float = SYNC_SECONDS):
        super().__init__(name="kubetune-dashboard-sync", daemon=True)
        self.sync, self.interval = sync, interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        try:
            while True:
                try:
                    self.sync.sync()
                except Exception as e:  # a locked or half-written db must not end the live view
                    _log.warning("dashboard: sync of %s failed: %s", self.sync.path, e)
                if self._stop_event.wait(self.interval):
                    break
        finally:
            self.sync.close()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)


def serve(state_path: str | Path, host: str = "127.0.0.1", port: int = 8080,
          interval: float = SYNC_SECONDS, ready: Callable[[str], None] | None = None) -> None:
    """Serve optuna-dashboard over the experiment at `state_path`, live, until interrupted, with
    kubetune's trials table (dashboard_table.py) at /dashboard/studies/<id>/trialTable.
    ready(url) is called once the server listens."""
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    import optuna_dashboard  # heavy (bottle, plotly helpers): only when serving

    from .dashboard_table import with_trial_table

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args) -> None:  # one line per request would drown the terminal
            pass

    storage = InMemoryStorage()
    sync = DashboardSync(state_path, storage)
    sync.sync()
    sync.close()  # the sync thread opens its own connection
    thread = SyncThread(sync, interval)
    thread.start()
    app = with_trial_table(optuna_dashboard.wsgi(storage), state_path, sync.study_id)
    try:
        with make_server(host, port, app, handler_class=QuietHandler) as server:
            base = f"http://{host}:{server.server_port}"
            if ready is not None:
                ready(base)
            server.serve_forever(poll_interval=0.2)
    finally:
        thread.stop()
