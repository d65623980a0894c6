"""A virtual cluster of P workers that replays recorded epochs, for any search driver.

The cluster keeps a virtual clock. A driver hands it trials (a configuration's recorded curve, the
epoch to start from, the epoch to stop at); each trial first spends its recorded set-up time, then
one recorded epoch after another. At every epoch's end the cluster counts the epoch, updates the
anytime trace (best validation accuracy seen so far vs epochs trained and vs wall time) and asks the
driver whether the trial goes on. When slots are free it asks the driver for new trials, as the
local engine asks its suggester. Drivers: `kubetune_driver.KubetuneDriver` (kubetune's suggesters
and early-stopping rules) and `optuna_peer.OptunaDriver` (Optuna's TPE + HyperbandPruner).
"""
from __future__ import annotations

import bisect
import heapq
import itertools
import math
from dataclasses import dataclass, field
from typing import Protocol

from efficiency.table import Curve

GO, STOP = "go", "stop"


@dataclass
class Job:
    """One trial in flight on the virtual cluster."""

    name: str
    curve: Curve
    start_epoch: int  # epochs already trained (a continued checkpoint); 0 = from scratch
    target: int  # the trial's --epochs
    epoch: int = 0  # the last epoch finished
    values: list[float] = field(default_factory=list)  # accuracies reported by this trial
    state: str = "Running"
    key: str = ""  # the configuration (resource left out)


class Driver(Protocol):
    def new_jobs(self, free: int, now: float) -> list[Job]:
        """Up to `free` new trials; [] while nothing is to start now."""
        ...

    def on_epoch(self, job: Job, value: float) -> str:
        """The trial reported `value` for epoch job.epoch; GO on or STOP it (early stopping)."""
        ...

    def on_end(self, job: Job, state: str) -> None:
        """The trial ended: Succeeded, EarlyStopped or Failed."""
        ...


@dataclass
class Trace:
    """The anytime curve of one search: points where the best accuracy improved."""

    epochs: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    best: list[float] = field(default_factory=list)
    total_epochs: float = 0.0
    total_seconds: float = 0.0
    trials: int = 0
    clock: list[float] = field(default_factory=list)  # wall time at the end of each epoch trained

    def seconds_at(self, epochs: float) -> float:
        """Wall time when `epochs` epochs had been trained (the last one if fewer were)."""
        if not self.clock:
            return 0.0
        return self.clock[min(len(self.clock), max(1, int(math.ceil(epochs - 1e-9)))) - 1]

    def add(self, epochs: float, seconds: float, value: float) -> None:
        if not self.best or value > self.best[-1]:
            self.epochs.append(epochs)
            self.seconds.append(seconds)
            self.best.append(value)

    def best_at(self, budget: float, *, axis: str = "epochs") -> float:
        """Best accuracy found within `budget` epochs (or seconds); nan before the first result."""
        xs = self.epochs if axis == "epochs" else self.seconds
        i = bisect.bisect_right(xs, budget + 1e-9)
        return self.best[i - 1] if i else math.nan

    def cost_to(self, target: float, *, axis: str = "epochs") -> float:
        """Epochs (or seconds) trained when the best first reached `target`; inf if never."""
        xs = self.epochs if axis == "epochs" else self.seconds
        for x, b in zip(xs, self.best):
            if b >= target - 1e-12:
                return x
        return math.inf

    def to_dict(self) -> dict:
        return {"epochs": self.epochs, "seconds": [round(s, 2) for s in self.seconds], "best": self.best,
                "total_epochs": self.total_epochs, "total_seconds": round(self.total_seconds, 2),
                "trials": self.trials}


def run(driver: Driver, parallel: int, cap_epochs: float, *, max_trials: int = 100_000) -> Trace:
    """Replay until `cap_epochs` epochs are trained, the driver has nothing left, or max_trials."""
    trace = Trace()
    events: list[tuple[float, int, Job]] = []  # (time of the job's next epoch end, tiebreak, job)
    running = 0
    clock, done_epochs = 0.0, 0.0
    order = itertools.count()

    def start(job: Job, now: float) -> None:
        nonlocal running
        job.epoch = job.start_epoch
        running += 1
        trace.trials += 1
        if job.epoch >= job.target or job.epoch >= len(job.curve.accuracy):
            # nothing to train (or the recorded run failed before this epoch): it ends at once
            heapq.heappush(events, (now + job.curve.setup_time, next(order), job))
            return
        heapq.heappush(events, (now + job.curve.setup_time + job.curve.epoch_time[job.epoch], next(order), job))

    def end(job: Job, state: str) -> None:
        nonlocal running
        job.state = state
        running -= 1
        driver.on_end(job, state)

    while True:
        if running < parallel and trace.trials < max_trials:
            for job in driver.new_jobs(min(parallel - running, max_trials - trace.trials), clock):
                start(job, clock)
        if not events:
            break
        clock, _, job = heapq.heappop(events)
        trained_to = min(job.target, len(job.curve.accuracy))
        if job.epoch >= trained_to:  # a job with nothing (left) to train
            failed = job.curve.failed and job.epoch >= len(job.curve.accuracy) and job.epoch < job.target
            end(job, "Failed" if failed else "Succeeded")
            continue
        job.epoch += 1
        value = job.curve.accuracy[job.epoch - 1]
        job.values.append(value)
        done_epochs += 1
        trace.clock.append(clock)
        if math.isfinite(value):
            trace.add(done_epochs, clock, value)
        trace.total_epochs, trace.total_seconds = done_epochs, clock
        if done_epochs >= cap_epochs:
            break
        if driver.on_epoch(job, value) == STOP:
            end(job, "EarlyStopped")
        elif job.epoch >= trained_to:
            failed = job.curve.failed and job.epoch < job.target
            end(job, "Failed" if failed else "Succeeded")
        else:
            heapq.heappush(events, (clock + job.curve.epoch_time[job.epoch], next(order), job))
    return trace
