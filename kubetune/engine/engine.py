"""The local engine: a Katib Experiment run on this machine, with Katib's semantics.

One thread owns the state and makes every decision (the reconcile loop of Katib's experiment
controller, folded with the trial controller); trial reader threads only parse output and post
events. Per iteration: check termination (7.4), schedule (7.5), start trials whose GPUs are free,
then apply the events that arrived (metrics -> early stopping, exits -> trial conditions).
"""
from __future__ import annotations

import dataclasses
import queue
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from kubetune.experiment import Experiment
from kubetune.results import Counts, TrialRow

from .checkpoints import with_checkpoint_pool
from .collector import TrialCollector
from .failures import failed_message
from .gpus import GpuPool
from .launch_check import check_launchable
from .local import LaunchSpec, LocalOverrides, local_launch
from .launch import close_launcher, setup_launcher
from .runner import Exited, Launcher, SubprocessLauncher, reap_orphans, rotate_log, stop_all
from .state import ExperimentState
from .status import condition, experiment_status
from . import termination
from .trialbook import TrialBook
from .trialmetrics import TrialMetrics, objective_curves
from .extensions import build_suggester, extension_notes, record_annotations
from kubetune.algorithms import Suggestion, SuggestionError
from kubetune.algorithms.earlystopping import trial_evaluator
from .template import TemplateError, new_trial_name, primary_container, render_workload

# Spec fields a re-run may change (Katib's restart edit, 7.7); anything else is a different experiment.
BUDGET_FIELDS = ("maxTrialCount", "parallelTrialCount", "maxFailedTrialCount")


class EngineError(RuntimeError):
    """The experiment cannot run (bad template for this machine, changed spec on resume...)."""


@dataclass(frozen=True)
class MetricsEvent:
    trial: str  # its collector has logs to take


@dataclass
class RunResult:
    name: str
    directory: Path
    status: dict
    trials: list[TrialRow]
    interrupted: bool = False

    @property
    def succeeded(self) -> bool:
        return any(c["type"] == "Succeeded" and c["status"] == "True" for c in self.status["conditions"])


class Reporter:
    """Progress callbacks; the CLI renders them, tests ignore them."""

    def started(self, trial: TrialRow) -> None: ...
    def finished(self, trial: TrialRow) -> None: ...
    def resumed(self, reset: list[str], kept: int) -> None: ...
    def tick(self, counts: Counts, best: TrialRow | None) -> None: ...
    def message(self, text: str) -> None: ...
    def intermediate(self, trial: str, values: list[float]) -> None: ...  # objective reports so far


@dataclass
class _Running:
    handle: object
    collector: TrialCollector
    gpus: list[str]
    metrics: TrialMetrics  # stores the logs, folds them into the observation, feeds the evaluator

    @property
    def intermediate(self) -> Sequence[float]:
        return self.metrics.intermediate


class LocalEngine:
    def __init__(self, experiment: Experiment, workdir: str | Path, overrides: LocalOverrides | None = None,
                 launcher: Launcher | str | None = None, reporter: Reporter | None = None, seed: int | None = None,
                 gpus: list[str] | None = None):
        self.exp = experiment
        self.dir = Path(workdir).resolve() / experiment.name  # absolute: trials run in other dirs
        self.overrides = overrides or LocalOverrides()
        # A Launcher, or "auto" / "warm" / "subprocess" (None: the annotation kubetune.io/launcher, else auto).
        self._launcher_choice = launcher
        self.launcher = launcher if launcher is not None and not isinstance(launcher, str) else SubprocessLauncher()
        self._owns_launcher = False
        self.reporter = reporter or Reporter()
        self.seed = seed
        self.gpu_pool = GpuPool(gpus)
        self.events: queue.Queue = queue.Queue()
        self.running: dict[str, _Running] = {}
        self.waiting: list[str] = []  # Created trials waiting for GPUs
        self._stop_requested = False

    # -- setup ------------------------------------------------------------------------------
    def _open(self) -> ExperimentState:
        state = ExperimentState(self.dir / "state.db")
        if not state.init_experiment(self.exp.name, self.exp.namespace, self.exp.spec):
            stored = state.experiment()
            old = {k: v for k, v in stored["spec"].items() if k not in BUDGET_FIELDS}
            new = {k: v for k, v in self.exp.spec.items() if k not in BUDGET_FIELDS}
            if old != new:
                changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
                state.close()
                raise EngineError(
                    f"experiment {self.exp.name!r} already exists in {self.dir} with a different spec "
                    f"(changed: {', '.join('spec.' + k for k in changed)}); only {', '.join(BUDGET_FIELDS)} "
                    "may change on a resume. Give the experiment a new metadata.name, or use another --workdir"
                )
            state.update_spec(self.exp.spec)
        # what `kubetune export` needs to find a trial's files again (not env: it may hold secrets)
        state.set_run_setting("local_overrides", {"paths": self.overrides.paths, "images": self.overrides.images})
        return state

    def _check_launchable(self) -> None:
        """Check a sample trial before anything runs (launch_check.py), then set up the launcher."""
        spec = check_launchable(self.exp, self.overrides, self.dir, bool(self.gpu_pool.all), self.reporter.message)
        # Warm workers or a subprocess per trial (kubetune/engine/launch); says which on the reporter.
        self.launcher, self._owns_launcher = setup_launcher(self._launcher_choice, self.exp.annotations, spec,
                                                            self.dir, self.reporter.message)

    # -- main loop --------------------------------------------------------------------------
    def run(self) -> RunResult:
        state = self._open()
        try:
            return self._run(state)
        finally:
            state.close()
            if self._owns_launcher:
                close_launcher(self.launcher)

    def _run(self, state: ExperimentState) -> RunResult:
        self._check_launchable()
        exp_row = state.experiment()
        conditions = exp_row["conditions"]
        trials = {t.name: t for t in state.trials()}
        if exp_row["completed"] is not None:
            if not termination.restartable(self.exp, conditions, len(trials)):
                return self._result(state, conditions)
            conditions = termination.restarted(conditions, time.time())
            state.set_conditions(conditions, None)
        reap_orphans(state.interrupted())
        reset = state.reset_interrupted()
        self.book = book = TrialBook(state.trials(), self.exp.objective.type, self.exp.objective.strategies)
        self.reporter.resumed(reset, sum(t.terminal for t in book.rows.values()))
        if not conditions:
            conditions = [condition("Created", "ExperimentCreated", "Experiment is created", time.time())]
            state.set_conditions(conditions, None)
        self.waiting = [t.name for t in book.rows.values() if t.state == "Created"]
        for t in book.rows.values():
            if t.terminal:  # one pass over its stored objective values: report order, and Katib's DB order
                book.intermediate[t.name], curve = objective_curves(
                    state.iter_metric_logs(t.name, self.exp.objective.metric_name))
                if t.state == "Succeeded":
                    book.curves[t.name] = curve
        self.created_at = state.experiment()["created"]
        # kubetune's extensions (kubetune.io/conditions, kubetune.io/objectives) change how the
        # algorithm is asked; `kubetune best` reads them back from beside the state.
        record_annotations(self.dir, self.exp)
        suggester = build_suggester(self.exp, self.seed)
        for note in extension_notes(self.exp):
            self.reporter.message(note)
        completed = False
        exhausted = False
        previous = signal.signal(signal.SIGINT, self._on_interrupt) if _main_thread() else None
        try:
            while True:
                counts = book.counts()
                if not completed and len(book):
                    completed, conditions = self._check_termination(state, conditions, counts)
                if not completed and not self._stop_requested and not exhausted:
                    try:
                        new = self._schedule(state, suggester, counts)
                    except SuggestionError as e:
                        conditions = self._complete(state, conditions,
                                                    ("Failed", "ExperimentFailed", f"Suggestion has failed: {e}"))
                        completed = True
                        new = []
                    if new is None:  # nothing running and nothing new: search space exhausted
                        exhausted = True
                        conditions = self._complete(state, conditions, (
                            "Succeeded", "ExperimentSuggestionEndReached",
                            "Suggestion reached the end of the search space"))
                        completed = True
                    else:
                        for row in new:
                            book.put(row)
                            self.waiting.append(row.name)
                if not self._stop_requested:
                    self._start_waiting(state)
                if not self.running and (completed or self._stop_requested or not self.waiting):
                    break
                self.reporter.tick(book.counts(), book.best)
                self._wait_and_apply(state)
        except BaseException:  # an error or a second Ctrl-C: never leave a trial process behind
            stop_all([run.handle for run in self.running.values()])
            raise
        finally:
            for run in self.running.values():
                run.collector.detach()
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
            if self._stop_requested:
                for name, run in self.running.items():
                    run.handle.kill("Interrupted")
        return self._result(state, conditions, interrupted=self._stop_requested)

    def _on_interrupt(self, *_):
        if self._stop_requested:
            raise KeyboardInterrupt
        self._stop_requested = True
        self.reporter.message("interrupted: stopping running trials; run the same command again to resume")
        for run in self.running.values():
            run.handle.kill("Interrupted")

    # -- termination (7.4) ------------------------------------------------------------------
    def _check_termination(self, state, conditions, counts: Counts):
        end = termination.ending(self.exp, self.book.best, counts, self.created_at, time.time())
        if end is not None:
            return True, self._complete(state, conditions, end)
        new = termination.running(conditions, time.time())
        if new is not conditions:
            state.set_conditions(new, None)
        return False, new

    def _complete(self, state, conditions, end: termination.Ending):
        now, (type_, _, message) = time.time(), end
        conditions = termination.completed(conditions, end, now)
        state.set_conditions(conditions, now)
        self.reporter.message(f"experiment {type_}: {message}")
        return conditions

    # -- scheduling (7.5) -------------------------------------------------------------------
    def _schedule(self, state: ExperimentState, suggester, counts: Counts) -> list[TrialRow] | None:
        parallel = self.exp.parallel_trial_count
        max_trials = self.exp.max_trial_count
        required = parallel if max_trials is None else min(max_trials - counts.done_for_scheduling, parallel)
        add = max(required - counts.active, 0)
        if add == 0:
            return []
        suggestions: list[Suggestion] = suggester.suggest(add, self.book.views())
        if not suggestions:
            return None if counts.active == 0 else []
        taken = set(self.book.rows)
        new_rows = []
        rule = self._early_stopping_rule()
        for s in suggestions:
            name = new_trial_name(self.exp.name, taken)
            taken.add(name)
            new_rows.append((name, dict(s.assignments), dict(s.labels), rule))
        state.add_trials(new_rows)  # durable before anything starts
        return [state.trial(n) for n, *_ in new_rows]

    def _early_stopping_rule(self) -> dict | None:
        es = self.exp.early_stopping
        if es is None:
            return None
        return self.book.rule_for_new_trials(es.name, self.exp.objective.type, es.settings,
                                             self.exp.objective.metric_name)

    def _start_waiting(self, state: ExperimentState) -> None:
        still = []
        for name in self.waiting:
            if self._stop_requested or len(self.running) >= self.exp.parallel_trial_count:
                still.append(name)
                continue
            row = self.book[name]
            try:
                workload = render_workload(self.exp.trial_template, row.assignments, name, self.exp.namespace)
                pc = primary_container(workload, self.exp.trial_template.get("primaryContainerName", ""))
            except TemplateError as e:
                self._finish(state, name, "Failed", "TrialGenerationFailed", str(e), None, {})
                continue
            gpus = self.gpu_pool.acquire(pc.gpus)
            if gpus is None:
                still.append(name)
                continue
            trial_dir = self.dir / "trials" / name
            rotate_log(trial_dir / "log")
            try:
                collector = TrialCollector(self.exp.metrics_collector, self.exp.metric_names, trial_dir,
                                           notify=lambda n=name: self.events.put(MetricsEvent(n)),
                                           rule_metric=(row.rule or {}).get("name"))
                spec: LaunchSpec = local_launch(pc, self.overrides, trial_dir, name, self.exp.namespace,
                                                collector.local_path_map, self.exp.parallel_trial_count)
            except TemplateError as e:
                self.gpu_pool.release(gpus)
                self._finish(state, name, "Failed", "TrialGenerationFailed", str(e), None, {})
                continue
            spec = with_checkpoint_pool(spec, self.exp.algorithm.name, self.dir)  # promotion resumes training
            es = self.exp.early_stopping
            evaluator = trial_evaluator(es.name if es else "", es.settings if es else {}, row.rule,
                                        self.exp.objective.type, trial=name, curves=self._objective_curves)
            collector.start()
            handle = self.launcher.start(name, spec, trial_dir / "log", collector, self.events,
                                         gpus if self.gpu_pool.all else None)
            pid = getattr(handle, "pid", None)
            started = time.time()  # also the orphan check's process start time (1 s slack)
            state.mark_running(name, pid if pid and pid > 0 else None, started)
            row = dataclasses.replace(row, state="Running", started=started, attempts=row.attempts + 1)
            self.book.put(row)
            objective = self.exp.objective
            metrics = TrialMetrics(name, objective.metric_name, self.exp.metric_names,
                                   objective.strategies.get(objective.metric_name, "latest"), evaluator,
                                   frozen_rule=row.rule is not None)
            self.running[name] = _Running(handle, collector, gpus, metrics)
            self.reporter.started(row)
        self.waiting = still

    def _objective_curves(self) -> dict[str, list[float]]:
        """Every trial's objective values so far (finished ones and those running now)."""
        curves = dict(self.book.intermediate)
        curves.update((name, run.intermediate) for name, run in self.running.items())
        return curves

    # -- events -----------------------------------------------------------------------------
    def _wait_and_apply(self, state: ExperimentState) -> None:
        timeout = 1.0
        deadlines = [r.handle.deadline for r in self.running.values() if getattr(r.handle, "deadline", None)]
        if deadlines:
            timeout = max(0.0, min(timeout, min(deadlines) - time.monotonic()))
        try:
            events = [self.events.get(timeout=timeout)]
        except queue.Empty:
            events = []
        while True:  # drain: one transaction per trial's batch of metrics
            try:
                events.append(self.events.get_nowait())
            except queue.Empty:
                break
        for ev in events:
            if isinstance(ev, MetricsEvent):
                self._apply_metrics(state, ev)
            elif isinstance(ev, Exited):
                self._apply_exit(state, ev)
        now = time.monotonic()
        for name, run in self.running.items():
            deadline = getattr(run.handle, "deadline", None)
            if deadline is not None and now >= deadline:
                run.handle.kill("DeadlineExceeded")

    def _apply_metrics(self, state, ev: MetricsEvent) -> None:
        run = self.running.get(ev.trial)
        if run is None:
            return
        if run.metrics.apply(state, run.collector.take()):  # one transaction for the whole batch
            run.handle.kill("EarlyStopped")
        if run.intermediate and hasattr(self.reporter, "intermediate"):  # reporters may predate the hook
            self.reporter.intermediate(ev.trial, run.intermediate)

    def _apply_exit(self, state, ev: Exited) -> None:
        run = self.running.pop(ev.trial, None)
        if run is None:
            return
        self.gpu_pool.release(run.gpus)
        if ev.reason == "Interrupted":
            return  # stays Running in the state: the next `kubetune run` re-runs it
        self.book.intermediate[ev.trial] = run.intermediate
        trial_dir = self.dir / "trials" / ev.trial
        if ev.reason == "EarlyStopped":
            obs, value = run.metrics.observe()
            self._finish(state, ev.trial, "EarlyStopped", "TrialEarlyStopped",
                         "Trial is early stopped", ev.returncode, obs, value)
        elif ev.reason == "DeadlineExceeded":
            self._finish(state, ev.trial, "Failed", "DeadlineExceeded",
                         "Job was active longer than specified deadline (activeDeadlineSeconds)", ev.returncode, {})
        elif ev.returncode != 0:
            why = ev.reason or f"exit code {ev.returncode}"
            self._finish(state, ev.trial, "Failed", "TrialFailed", failed_message(why, trial_dir / "log"),
                         ev.returncode, {})
        elif run.metrics.sidecar_failed:  # Katib: the sidecar container failed, so the pod and the trial did
            self._finish(state, ev.trial, "Failed", "TrialFailed", run.metrics.failure.message, 0, {})
        else:
            obs, value = run.metrics.observe()
            if value is None:
                self._finish(state, ev.trial, "MetricsUnavailable", "MetricsUnavailable",
                             run.metrics.failure.message if run.metrics.failure else
                             run.collector.unavailable_message(self.exp.objective.metric_name), 0, obs)
            else:
                self.book.curves[ev.trial] = run.metrics.db_curve(state)
                self._finish(state, ev.trial, "Succeeded", "TrialSucceeded", "Trial has succeeded",
                             0, obs, value)

    def _finish(self, state, name, st, reason, message, exit_code, obs, value=None) -> None:
        state.finish(name, st, reason=reason, message=message, exit_code=exit_code, objective=value,
                     observation=obs)
        row = state.trial(name)
        self.book.put(row)
        self.reporter.finished(row)

    # -- result -----------------------------------------------------------------------------
    def _result(self, state, conditions, interrupted: bool = False) -> RunResult:
        rows = state.trials()
        status = experiment_status(state.experiment(), rows, self.exp.objective.type)
        return RunResult(self.exp.name, self.dir, status, rows, interrupted)

def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()
