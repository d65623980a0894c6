"""Types shared by every suggestion algorithm: what an algorithm sees, what it returns.

The local engine asks an algorithm for new assignments the way Katib's controller asks a
suggestion service (katib-semantics 3.4): it passes the full list of trials so far and the number
of new assignments it wants, and gets back at most that many. An algorithm keeps whatever state it
likes in memory, but must be able to rebuild it from the trial list alone (a resumed experiment
starts a fresh suggester).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, Sequence

if TYPE_CHECKING:
    from optuna.study import StudyDirection

# Trial states as the engine reports them (Katib's trial condition types, plus "Killed").
CREATED = "Created"
RUNNING = "Running"
SUCCEEDED = "Succeeded"
FAILED = "Failed"
EARLY_STOPPED = "EarlyStopped"
METRICS_UNAVAILABLE = "MetricsUnavailable"
KILLED = "Killed"

ACTIVE_STATES = frozenset({CREATED, RUNNING})
FINISHED_STATES = frozenset({SUCCEEDED, FAILED, EARLY_STOPPED, METRICS_UNAVAILABLE, KILLED})
TRIAL_STATES = ACTIVE_STATES | FINISHED_STATES


class SuggestionError(Exception):
    """Bad algorithm settings or a search space the algorithm cannot handle.

    The experiment fails with this message (Katib's "suggestion failed" path).
    """


@dataclass(frozen=True)
class TrialView:
    """What an algorithm sees of an existing trial."""

    name: str
    assignments: dict[str, str]  # parameter name -> value string (Katib's form)
    state: str  # one of TRIAL_STATES
    objective: float | None  # objective value chosen by the metric strategy
    metrics: dict[str, float]  # all metric values by strategy (objective + additional)
    labels: dict[str, str]  # labels the suggestion attached (e.g. hyperband bookkeeping)
    intermediate: Sequence[float] = ()  # objective values reported so far, in order


@dataclass(frozen=True)
class Suggestion:
    """One new set of parameter assignments, plus labels stored with the trial."""

    assignments: dict[str, str]
    labels: dict[str, str] = field(default_factory=dict)


class Suggester(Protocol):
    def suggest(self, count: int, trials: Sequence[TrialView]) -> list[Suggestion]:
        """Return at most `count` new assignments given every trial so far.

        An empty list while no trial is running means the search space is exhausted.
        """
        ...


def objective_direction(objective_type: str) -> StudyDirection:
    """Map Katib's `objective.type` ('minimize' | 'maximize') to Optuna's study direction."""
    from optuna.study import StudyDirection  # optuna loads with the first sampler, not with the checks

    if objective_type == "minimize":
        return StudyDirection.MINIMIZE
    if objective_type == "maximize":
        return StudyDirection.MAXIMIZE
    raise SuggestionError(
        f"objective type {objective_type!r} is not supported; allowed: 'minimize', 'maximize'"
    )
