"""What every part says about results: a trial's row, the per-state counts, the objective's
direction and the best-trial rule (katib-semantics 7.2, 7.3).

    from kubetune.results import TrialRow, optimal_trial
    best = optimal_trial(rows, "maximize")   # the first strictly best finished trial, or None

A trial's objective is a number (`objective`), or text when Go's ParseFloat rejects the value its
metric strategy selects (`objective_text`: a string metric such as DARTS' `Best-Genotype`, which
Katib keeps and ranks, katib-semantics 7.3), or neither (no observation).

The engine stores and the cluster backend reads TrialRows; the CLI, the pipeline steps and the
algorithms rank them with the rules here. This module sits at the bottom of the dependency graph:
it imports nothing from kubetune and nothing heavy (no optuna), so `kubetune status` stays fast.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from kubetune.gocompat.strconv import go_parse_float

MINIMIZE = "minimize"
MAXIMIZE = "maximize"
OBJECTIVE_TYPES = (MINIMIZE, MAXIMIZE)

# Trial states that never change again (Katib's finished conditions, plus "Killed").
TERMINAL = ("Succeeded", "Failed", "EarlyStopped", "MetricsUnavailable", "Killed")

# Katib's bucket order: each trial is counted once, first match wins (7.2).
_COUNTED_STATES = frozenset(("Killed", "Failed", "Succeeded", "EarlyStopped", "Running", "MetricsUnavailable",
                             "Created"))


def check_objective_type(objective_type: str) -> str:
    if objective_type not in OBJECTIVE_TYPES:
        raise ValueError(f"objective type: expected 'minimize' or 'maximize', got {objective_type!r}")
    return objective_type


def minimizes(direction) -> bool:
    """True for "minimize", False for "maximize". Optuna's StudyDirection works too: it is read by
    its name, so that this module need not import optuna."""
    name = direction if isinstance(direction, str) else str(getattr(direction, "name", "")).lower()
    if name not in OBJECTIVE_TYPES:
        raise ValueError(f"objective type: expected 'minimize' or 'maximize', got {direction!r}")
    return name == MINIMIZE


def is_better(a: float, b: float, direction) -> bool:
    """Objective value `a` is strictly better than `b` (ties are not better)."""
    return a < b if minimizes(direction) else a > b


@dataclass
class TrialRow:
    """One trial as stored locally (kubetune.engine.state) or read from a Katib Trial object."""

    seq: int  # creation order = Katib's list order
    name: str
    assignments: dict[str, str]
    labels: dict[str, str]
    state: str
    created: float
    started: float | None = None
    finished: float | None = None
    reason: str = ""
    message: str = ""
    exit_code: int | None = None
    objective: float | None = None  # the objective's value when it is a number
    observation: dict[str, dict[str, str]] = field(default_factory=dict)  # {metric: {min, max, latest}}
    rule: dict | None = None  # early-stopping rule frozen at creation
    attempts: int = 0
    objective_text: str | None = None  # the objective's value when it is text (objective is then None)

    @property
    def result(self) -> float | str | None:
        """The objective's value: the number, else its text, else None."""
        return self.objective if self.objective is not None else self.objective_text

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL

    @property
    def duration(self) -> float | None:
        if self.started is None:
            return None
        return (self.finished or time.time()) - self.started


@dataclass(frozen=True)
class Counts:
    """Trials per state, each counted once in Katib's bucket order; unknown states count as pending."""

    succeeded: int
    failed: int
    killed: int
    early_stopped: int
    metrics_unavailable: int
    running: int
    pending: int

    @classmethod
    def of(cls, trials: Iterable[TrialRow]) -> "Counts":
        return cls.of_states(Counter(t.state for t in trials))

    @classmethod
    def of_states(cls, by_state: Mapping[str, int]) -> "Counts":
        n = {s: 0 for s in _COUNTED_STATES}
        for state, count in by_state.items():
            n[state if state in n else "Created"] += count
        return cls(n["Succeeded"], n["Failed"], n["Killed"], n["EarlyStopped"], n["MetricsUnavailable"],
                   n["Running"], n["Created"])

    @property
    def failed_for_budget(self) -> int:  # F of 7.4
        return self.failed + self.metrics_unavailable

    @property
    def completed(self) -> int:  # C of 7.4
        return self.succeeded + self.failed + self.killed + self.early_stopped + self.metrics_unavailable

    @property
    def done_for_scheduling(self) -> int:  # 7.5: MetricsUnavailable is not counted here (Katib quirk)
        return self.succeeded + self.failed + self.killed + self.early_stopped

    @property
    def active(self) -> int:
        return self.running + self.pending


def better(row: TrialRow, best: TrialRow | None, objective_type: str) -> bool:
    """Whether finished `row` replaces `best` as the optimal trial. Numbers: strictly better, or as
    good and earlier in list (creation) order, so the result does not depend on finishing order.
    A number always beats a text objective; a text objective replaces only a text best that comes
    earlier in list order (Katib: the last such wins). A row with neither never replaces."""
    if row.objective is None:
        if row.objective_text is None:
            return False
        return best is None or best.name == row.name or (best.objective is None and row.seq > best.seq)
    if best is None or best.name == row.name or best.objective is None:
        return True
    if row.objective == best.objective:
        return row.seq < best.seq
    return is_better(row.objective, best.objective, objective_type)


def optimal_trial(trials: Iterable[TrialRow], objective_type: str) -> TrialRow | None:
    """Katib's current optimal trial (7.3) over trials in list (creation) order: the first strictly
    best finished trial with a numeric objective; when no trial has one, the last finished trial
    whose objective is text (a DARTS genotype), as Katib picks it. Unlike Katib's loop, text never
    displaces a number, so the best does not depend on where the text trials are in the order."""
    best: TrialRow | None = None
    for t in trials:
        if t.terminal and better(t, best, objective_type):
            best = t
    return best


def ranked(trials: Iterable[TrialRow], objective_type: str) -> list[TrialRow]:
    """Trials with a numeric objective first, best first (ties keep creation order), then those
    whose objective is text, the latest first (the one optimal_trial picks when no trial has a
    number), then the rest in creation order."""
    trials = list(trials)
    scored = [t for t in trials if t.objective is not None]
    scored.sort(key=lambda t: (t.objective if objective_type == MINIMIZE else -t.objective, t.seq))
    texts = sorted((t for t in trials if t.objective is None and t.objective_text is not None),
                   key=lambda t: -t.seq)
    return scored + texts + [t for t in trials if t.objective is None and t.objective_text is None]


# Which value is a trial's objective (katib-semantics 5.7): shared by local and cluster results.
UNAVAILABLE = "unavailable"  # Katib's text for a metric with no value
STRATEGIES = ("min", "max", "latest")


def selected_value(obs: Mapping[str, Mapping[str, str]] | None, metric_name: str, strategy: str) -> str:
    """The text Katib selects by metric strategy (getObjectiveMetricValue): min or max, falling
    back to latest when that is "unavailable"; latest; anything else -> "unavailable"."""
    metric = (obs or {}).get(metric_name)
    if metric is None:
        return UNAVAILABLE
    if strategy in ("min", "max"):
        value = metric.get(strategy, UNAVAILABLE)
        return metric.get("latest", UNAVAILABLE) if value == UNAVAILABLE else value
    if strategy == "latest":
        return metric.get("latest", UNAVAILABLE)
    return UNAVAILABLE


def objective_value(obs: Mapping[str, Mapping[str, str]] | None, metric_name: str, strategy: str) -> float | None:
    """The selected value as a number; None when it is "unavailable" or not a float (use
    selected_value for the text, which Katib still ranks, katib-semantics 7.3)."""
    text = selected_value(obs, metric_name, strategy)
    return None if text == UNAVAILABLE else go_parse_float(text)


def objective_result(obs: Mapping[str, Mapping[str, str]] | None, metric_name: str, strategy: str
                     ) -> float | str | None:
    """The selected value as Katib ranks it (7.3): a number when Go's ParseFloat reads it, else its
    text (e.g. a DARTS genotype), None when it is "unavailable"."""
    text = selected_value(obs, metric_name, strategy)
    if text == UNAVAILABLE:
        return None
    number = go_parse_float(text)
    return text if number is None else number
