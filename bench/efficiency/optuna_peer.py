"""The peer: Optuna's TPESampler + HyperbandPruner driving the same trainer (seed 003's practice).

What a user of the lecture writes: one study, `suggest_categorical` per parameter, an objective
that trains up to R epochs and after each one calls `trial.report(accuracy, epoch)` and
`trial.should_prune()`. Here the objective's epochs come from the table, on the same virtual
cluster of P workers (`study.ask()` per free slot, as `study.optimize(n_jobs=P)` does), with
Optuna's defaults: TPESampler(seed) and HyperbandPruner(min_resource=1, max_resource=R,
reduction_factor=3). A finished trial's value is its best epoch (Katib's `max` strategy); a
pruned trial keeps its reports. No checkpoint pool: the objective trains from scratch each time.
"""
from __future__ import annotations

import math

import optuna
from optuna.trial import TrialState

from efficiency.simulate import GO, STOP, Job
from efficiency.table import Table

optuna.logging.set_verbosity(optuna.logging.WARNING)


class OptunaDriver:
    def __init__(self, table: Table, seed: int):
        self.table = table
        # a fixed name: HyperbandPruner picks each trial's bracket by crc32(study name + trial
        # number), and an unnamed study gets a random uuid, which made the peer differ run to run
        self.study = optuna.create_study(
            study_name=f"peer-{table.space.name}-{seed}", direction="maximize",
            sampler=optuna.samplers.TPESampler(seed=seed),
            pruner=optuna.pruners.HyperbandPruner(min_resource=1, max_resource=table.max_epochs,
                                                  reduction_factor=3))
        self.running: dict[str, optuna.Trial] = {}

    def new_jobs(self, free: int, now: float) -> list[Job]:
        jobs = []
        for _ in range(free):
            trial = self.study.ask()
            config = {name: trial.suggest_categorical(name, list(values))
                      for name, values in self.table.space.choices.items()}
            name = f"optuna-{trial.number:05d}"
            self.running[name] = trial
            jobs.append(Job(name, self.table.curve(config), 0, self.table.max_epochs, key=self.table.key(config)))
        return jobs

    def on_epoch(self, job: Job, value: float) -> str:
        trial = self.running[job.name]
        if not math.isfinite(value):
            return GO  # the trainer exits after a diverged epoch: the run ends as Failed
        trial.report(value, job.epoch)
        return STOP if trial.should_prune() else GO

    def on_end(self, job: Job, state: str) -> None:
        trial = self.running.pop(job.name)
        finite = [v for v in job.values if math.isfinite(v)]
        if state == "EarlyStopped":
            self.study.tell(trial, state=TrialState.PRUNED)
        elif state == "Succeeded" and finite:
            self.study.tell(trial, max(finite))
        else:
            self.study.tell(trial, state=TrialState.FAIL)
