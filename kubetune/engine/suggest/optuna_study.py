"""An in-memory Optuna study kept in step with the engine's trial list.

This is what Katib's optuna service does (pkg/suggestion/v1beta1/optuna/base_service.py): one
study per experiment, `study.ask()` for each requested assignment, and on every call `study.tell()`
for trials that finished since the last one. Trials are matched to the Optuna trials that produced
them by their assignments (the trial name is only known after the reply), first come first served.

Where we go beyond Katib's service:

* Trials the study did not create (a resumed experiment, or a suggester re-created after a crash)
  are added with `study.add_trial` (finished ones) or `enqueue_trial` + `ask` (running ones), so
  the sampler state is rebuilt from the trial list; Katib's optuna and goptuna services fail with
  "An unknown trial has been passed" instead (katib-semantics Appendix B).
* Failed, MetricsUnavailable and Killed trials are told as FAIL; EarlyStopped as PRUNED with its
  intermediate values (the last one, or the objective, becomes the pruned trial's value). Katib's
  Python services only ever send Succeeded/EarlyStopped trials that have an objective.
* Suggestions the engine did not turn into trials by the next call, and trials that disappear
  from the list, are told FAIL so they stop counting as running.
"""

from __future__ import annotations

import contextlib
import logging
import math
import warnings
from collections import deque
from typing import Callable, Iterator, Sequence

import optuna
from optuna.samplers import BaseSampler
from optuna.study import StudyDirection
from optuna.trial import TrialState, create_trial

from kubetune.engine.suggest.base import (
    ACTIVE_STATES,
    EARLY_STOPPED,
    FINISHED_STATES,
    SUCCEEDED,
    Suggestion,
    SuggestionError,
    TrialView,
)
from kubetune.engine.suggest.space import SearchSpace

_log = logging.getLogger(__name__)

# Builds the sampler when the study is first needed: (request size, trial list) -> sampler.
SamplerFactory = Callable[[int, Sequence[TrialView]], BaseSampler]
# Called before every batch of asks: (study, request size); e.g. to re-seed per call like Katib.
BeforeAsk = Callable[[optuna.Study, int], None]


@contextlib.contextmanager
def quiet_optuna() -> Iterator[None]:
    """Optuna logs every told trial at INFO and warns about experimental features; the engine
    reports trials itself, so only errors get through while we drive the study."""
    previous = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            warnings.simplefilter("ignore", FutureWarning)
            yield
    finally:
        optuna.logging.set_verbosity(previous)


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _pruned_values(trial: TrialView) -> list[float]:
    """Intermediate values of an early-stopped trial, ending with its objective."""
    values = [float(v) for v in trial.intermediate if _finite(v)]
    if _finite(trial.objective) and (not values or values[-1] != trial.objective):
        values.append(float(trial.objective))
    return values


class OptunaSuggester:
    """Suggester backed by one Optuna sampler."""

    def __init__(self, algorithm: str, space: SearchSpace, direction: StudyDirection,
                 sampler_factory: SamplerFactory, before_ask: BeforeAsk | None = None) -> None:
        self.algorithm = algorithm
        self._space = space
        self._distributions = space.optuna_distributions
        self._direction = direction
        self.sampler_factory = sampler_factory
        self.before_ask = before_ask
        self._study: optuna.Study | None = None
        self._numbers: dict[str, int] = {}  # trial name -> Optuna trial number
        self._open: dict[int, optuna.Trial] = {}  # Optuna trials not told yet
        self._pending: dict[tuple, deque[int]] = {}  # asked, not yet seen as a trial

    @property
    def study(self) -> optuna.Study:
        """The underlying study (created on the first `suggest` call)."""
        if self._study is None:
            raise RuntimeError("the study is created on the first suggest() call")
        return self._study

    def suggest(self, count: int, trials: Sequence[TrialView]) -> list[Suggestion]:
        with quiet_optuna():
            if self._study is None:
                try:
                    sampler = self.sampler_factory(count, trials)
                except SuggestionError:
                    raise
                except Exception as exc:  # a sampler that cannot be built: Katib's stage C
                    raise SuggestionError(f"algorithm {self.algorithm!r}: {exc}") from exc
                self._study = optuna.create_study(direction=self._direction, sampler=sampler)
            self._sync(trials)
            if count <= 0:
                return []
            if self.before_ask is not None:
                self.before_ask(self._study, count)
            return [self._ask() for _ in range(count)]

    # ---- ask ----------------------------------------------------------------------------

    def _ask(self) -> Suggestion:
        try:
            trial = self.study.ask(self._distributions)
        except Exception as exc:
            raise SuggestionError(
                f"algorithm {self.algorithm!r} failed to sample: {type(exc).__name__}: {exc}"
            ) from exc
        assignments = self._space.from_optuna(trial.params)
        self._open[trial.number] = trial
        self._pending.setdefault(self._space.key(assignments), deque()).append(trial.number)
        return Suggestion(assignments=assignments)

    # ---- tell ---------------------------------------------------------------------------

    def _sync(self, trials: Sequence[TrialView]) -> None:
        listed: set[str] = set()
        for view in trials:
            listed.add(view.name)
            number = self._numbers.get(view.name)
            if number is None:
                queue = self._pending.get(self._space.key(view.assignments))
                if queue:
                    number = queue.popleft()
                    self._numbers[view.name] = number
                else:
                    self._adopt(view)
                    continue
            if number in self._open and view.state in FINISHED_STATES:
                self._tell(self._open.pop(number), view)
        # Asked but never turned into a trial, or trials the engine deleted: no longer running.
        stale = [n for queue in self._pending.values() for n in queue]
        stale += [n for name, n in self._numbers.items() if name not in listed]
        self._pending.clear()
        for number in stale:
            trial = self._open.pop(number, None)
            if trial is not None:
                self.study.tell(trial, state=TrialState.FAIL)

    def _tell(self, trial: optuna.Trial, view: TrialView) -> None:
        if view.state == SUCCEEDED and _finite(view.objective):
            self.study.tell(trial, float(view.objective))
        elif view.state == EARLY_STOPPED:
            for step, value in enumerate(_pruned_values(view)):
                trial.report(value, step)
            self.study.tell(trial, state=TrialState.PRUNED)
        else:
            self.study.tell(trial, state=TrialState.FAIL)

    def _adopt(self, view: TrialView) -> None:
        """Add a trial this study did not create, so the sampler learns from it."""
        try:
            params = self._space.to_optuna(view.assignments)
        except ValueError as exc:
            _log.warning("algorithm %r cannot use trial %s: %s", self.algorithm, view.name, exc)
            return
        if view.state in ACTIVE_STATES:
            # enqueue + ask gives a RUNNING trial with exactly these parameters.
            self.study.enqueue_trial(params)
            trial = self.study.ask(self._distributions)
            self._numbers[view.name] = trial.number
            self._open[trial.number] = trial
            return
        if view.state == SUCCEEDED and _finite(view.objective):
            frozen = create_trial(state=TrialState.COMPLETE, value=float(view.objective),
                                  params=params, distributions=self._distributions)
        elif view.state == EARLY_STOPPED:
            values = _pruned_values(view)
            frozen = create_trial(state=TrialState.PRUNED, value=values[-1] if values else None,
                                  params=params, distributions=self._distributions,
                                  intermediate_values=dict(enumerate(values)))
        else:
            frozen = create_trial(state=TrialState.FAIL, params=params,
                                  distributions=self._distributions)
        self.study.add_trial(frozen)
        self._numbers[view.name] = len(self.study.get_trials(deepcopy=False)) - 1
