"""kubetune's real search code on the virtual cluster: what the local engine does, minus processes.

Per free slot the driver calls the algorithm's suggester (`make_suggester`, the object the engine
builds) with every trial so far as TrialViews, exactly as the engine's scheduling step does. For
each new trial it computes the early-stopping rule of the moment (`early_stopping_rule`, frozen
at creation as in Katib) and builds the trial's stopper with `trial_evaluator`, which the engine
feeds each reported objective value (frozen rules check once at start_step; successivehalving
and patience decide on every value, seeing every trial's curve so far).

Checkpoint pool, as the engine and trainer do it (kubetune/engine/checkpoints.py, trainer/pool.py):
for algorithms that promote configurations (hyperband, asha, bohb) a trial continues from the
deepest checkpoint of its configuration with at most its epochs, trains only the rest and
reports only those epochs (or, with nothing left to train, the checkpoint's last epoch); a trial
that ends normally publishes its checkpoint, an early-stopped one does not.
"""
from __future__ import annotations

import math

from kubetune.algorithms import TrialView, make_suggester
from kubetune.algorithms.earlystopping import early_stopping_rule, rule_to_dict, trial_evaluator
from kubetune.algorithms.registry import promotes_configurations

from efficiency.methods import Method
from efficiency.simulate import GO, STOP, Job
from efficiency.table import Table

OBJECTIVE = "accuracy"


class _Trial:
    def __init__(self, name: str, assignments: dict[str, str], labels: dict[str, str]):
        self.name, self.assignments, self.labels = name, assignments, labels
        self.state = "Running"
        self.values: list[float] = []
        self.stopper = None

    def view(self) -> TrialView:
        finite = [v for v in self.values if math.isfinite(v)]
        objective = max(finite) if finite and self.state in ("Succeeded", "EarlyStopped") else None
        state = self.state
        if state == "Succeeded" and objective is None:
            state = "MetricsUnavailable"
        return TrialView(self.name, dict(self.assignments), state, objective,
                         {} if objective is None else {OBJECTIVE: objective}, dict(self.labels),
                         tuple(self.values))


class KubetuneDriver:
    def __init__(self, table: Table, method: Method, seed: int):
        self.table, self.method = table, method
        space = table.space
        self.suggester = make_suggester(method.algorithm, method.algorithm_settings(space),
                                        space.parameters(with_resource=method.multi_fidelity), "maximize",
                                        [OBJECTIVE], seed=seed)
        self.trials: dict[str, _Trial] = {}
        self.uses_pool = promotes_configurations(method.algorithm)
        self.pool: dict[str, int] = {}  # configuration key -> deepest published epoch

    def _views(self) -> list[TrialView]:
        return [t.view() for t in self.trials.values()]

    def _curves(self) -> dict[str, list[float]]:
        return {name: t.values for name, t in self.trials.items()}

    def _rule(self) -> dict | None:
        method = self.method
        if not method.early_stopping:
            return None
        succeeded = [t.values for t in self.trials.values() if t.state == "Succeeded"]
        rule = early_stopping_rule(method.early_stopping, succeeded, "maximize",
                                   method.early_stopping_settings, metric_name=OBJECTIVE)
        return None if rule is None else rule_to_dict(rule)

    def new_jobs(self, free: int, now: float) -> list[Job]:
        suggestions = self.suggester.suggest(free, self._views())
        if not suggestions:
            return []
        rule = self._rule()
        jobs = []
        for s in suggestions:
            name = f"trial-{len(self.trials):05d}"
            trial = _Trial(name, dict(s.assignments), dict(s.labels))
            self.trials[name] = trial
            if self.method.early_stopping:
                trial.stopper = trial_evaluator(self.method.early_stopping, self.method.early_stopping_settings,
                                                rule, "maximize", trial=name, curves=self._curves)
            target = self.table.epochs_of(trial.assignments)
            key = self.table.key(trial.assignments)
            start = self.pool.get(key, 0) if self.uses_pool else 0
            if start > target:
                start = 0  # the pool keeps only the deepest checkpoint: nothing usable
            jobs.append(Job(name, self.table.curve(trial.assignments), start, target, key=key))
        return jobs

    def on_epoch(self, job: Job, value: float) -> str:
        trial = self.trials[job.name]
        trial.values.append(value)
        if trial.stopper is not None and trial.stopper.feed(value):
            return STOP
        return GO

    def on_end(self, job: Job, state: str) -> None:
        trial = self.trials[job.name]
        if state == "Succeeded" and not trial.values and 0 < job.start_epoch <= len(job.curve.accuracy):
            trial.values.append(job.curve.accuracy[job.start_epoch - 1])  # the pool held the whole budget
        trial.state = state
        if self.uses_pool and state == "Succeeded" and job.epoch > job.start_epoch:
            self.pool[job.key] = max(self.pool.get(job.key, 0), job.epoch)
