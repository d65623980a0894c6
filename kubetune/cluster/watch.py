"""Follow an Experiment on the cluster until it completes: poll the Experiment and its Trials
(label katib.kubeflow.org/experiment=<name>) at a bounded interval and hand each snapshot to a
callback (the CLI's live leaderboard).

Polling rather than the watch API: it survives API-server restarts and proxies that cut long
connections, and Katib's own UI polls too (every 5 s). Connection failures while watching are
retried with a growing delay (never above MAX_INTERVAL); a deleted Experiment ends the watch.
Interrupting the watch (Ctrl-C) only stops the polling: the Experiment keeps running.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from kubetune.results import TrialRow

from .results import ExperimentView, is_completed, status_of, trial_rows

if TYPE_CHECKING:
    from .client import KatibClient

DEFAULT_INTERVAL = 5.0
MIN_INTERVAL = 0.2
MAX_INTERVAL = 60.0


def bounded_interval(seconds: float) -> float:
    return min(max(float(seconds), MIN_INTERVAL), MAX_INTERVAL)


@dataclass(frozen=True)
class Snapshot:
    experiment: dict
    view: ExperimentView
    rows: list[TrialRow]
    status: dict

    @property
    def completed(self) -> bool:
        return is_completed(self.experiment)


class WatchTimeout(Exception):
    def __init__(self, snapshot: Snapshot, seconds: float):
        super().__init__(f"experiment {snapshot.view.name} has not completed after {seconds:.0f}s")
        self.snapshot = snapshot


def snapshot(client: "KatibClient", name: str, namespace: str) -> Snapshot:
    experiment = client.get_experiment(name, namespace)
    view = ExperimentView.of(experiment)
    rows = trial_rows(client.list_trials(name, namespace), view)
    return Snapshot(experiment, view, rows, status_of(experiment))


def watch(client: "KatibClient", name: str, namespace: str, on_update: Callable[[Snapshot], None], *,
          interval: float = DEFAULT_INTERVAL, timeout: float | None = None,
          on_retry: Callable[[Exception, float], None] | None = None,
          sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> Snapshot:
    """Poll until the Experiment has a True Succeeded or Failed condition; return the last snapshot.
    Raises WatchTimeout after `timeout` seconds, NotFound if the Experiment disappears, and the
    client's errors for anything a retry cannot fix (RBAC, Katib absent)."""
    from .client import ApiError, NoCluster, WebhookUnavailable

    interval = bounded_interval(interval)
    started = clock()
    delay = interval
    last: Snapshot | None = None
    while True:
        try:
            last = snapshot(client, name, namespace)
        except (NoCluster, WebhookUnavailable, ApiError) as e:  # transient: API server restarting, proxy hiccup
            if last is None and isinstance(e, NoCluster):
                raise  # never reached the cluster at all: a configuration problem, not a hiccup
            delay = min(delay * 2, MAX_INTERVAL)
            if on_retry:
                on_retry(e, delay)
        else:
            delay = interval
            on_update(last)
            if last.completed:
                return last
        if timeout is not None and clock() - started >= timeout:
            if last is None:
                raise TimeoutError(f"no answer from the cluster for {timeout:.0f}s")
            raise WatchTimeout(last, timeout)
        sleep(delay)
