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

`OptunaStudySuggester` does all of that; its subclasses differ only in how a trial is sampled:
`OptunaSuggester` asks for the whole fixed space at once (`study.ask(distributions)`), and
`define_by_run.DefineByRunSuggester` asks one parameter at a time (conditions, several objectives).
"""

from __future__ import annotations

import abc
import contextlib
import logging
import warnings
from collections import deque
from typing import Any, Callable, Iterator, Mapping, Sequence

import optuna
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState, create_trial

from kubetune.algorithms._values import finite
from kubetune.algorithms.base import (
    ACTIVE_STATES,
    EARLY_STOPPED,
    FINISHED_STATES,
    SUCCEEDED,
    Suggestion,
    SuggestionError,
    TrialView,
)
from kubetune.algorithms.space import SearchSpace

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


def _pruned_values(trial: TrialView) -> list[float]:
    """Intermediate values of an early-stopped trial, ending with its objective."""
    values = [float(v) for v in trial.intermediate if finite(v)]
    if finite(trial.objective) and (not values or values[-1] != trial.objective):
        values.append(float(trial.objective))
    return values


class OptunaStudySuggester(abc.ABC):
    """Suggester over one in-memory Optuna study, kept in step with the trial list.

    This class owns the bookkeeping described in the module docstring (match trials to asks by
    their assignments, tell finished trials, adopt trials the study did not create, fail stale
    asks). A subclass says only how a new trial is sampled (`_ask_trial`) and which Optuna
    parameters an existing trial stands for (`_adoption_params`).

    `metrics` is None for a single objective (the trial's objective value is told), else the
    metric names whose values (TrialView.metrics) are told, one per direction.
    """

    def __init__(self, algorithm: str, space: SearchSpace, directions: Sequence[StudyDirection],
                 sampler_factory: SamplerFactory, before_ask: BeforeAsk | None = None,
                 metrics: Sequence[str] | None = None) -> None:
        if metrics is not None and len(metrics) != len(directions):
            raise SuggestionError("one direction per objective metric is needed")
        self.algorithm = algorithm
        self._space = space
        self._directions = list(directions)
        self._metrics = list(metrics) if metrics is not None else None
        # The algorithm's sampler recipe; DefineByRunSuggester.conditional reuses it.
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
                self._study = optuna.create_study(directions=self._directions, sampler=sampler)
            self._sync(trials)
            if count <= 0:
                return []
            if self.before_ask is not None:
                self.before_ask(self._study, count)
            return [self._ask() for _ in range(count)]

    # ---- what a subclass decides ----------------------------------------------------------

    @abc.abstractmethod
    def _ask_trial(self) -> tuple[optuna.Trial, dict[str, str]]:
        """Ask the study for a new trial (an enqueued one comes back with its enqueued values);
        return it with its assignments. Any exception means the sampler failed."""

    @abc.abstractmethod
    def _adoption_params(self, assignments: Mapping[str, str]
                         ) -> tuple[dict[str, Any], dict[str, BaseDistribution]]:
        """Optuna parameters and distributions for a trial's assignments; KeyError or
        ValueError when the trial does not fit the space."""

    # ---- ask ----------------------------------------------------------------------------

    def _ask(self) -> Suggestion:
        try:
            trial, assignments = self._ask_trial()
        except Exception as exc:
            raise SuggestionError(
                f"algorithm {self.algorithm!r} failed to sample: {type(exc).__name__}: {exc}"
            ) from exc
        self._open[trial.number] = trial
        self._pending.setdefault(self._space.key(assignments), deque()).append(trial.number)
        return Suggestion(assignments=assignments)

    # ---- tell ---------------------------------------------------------------------------

    def _values(self, view: TrialView) -> list[float] | None:
        """What the study is told for a succeeded trial; None when a value is missing."""
        if self._metrics is None:
            values = [view.objective]
        else:
            values = [view.metrics.get(m) for m in self._metrics]
        if not all(finite(v) for v in values):
            return None
        return [float(v) for v in values]

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
        values = self._values(view) if view.state == SUCCEEDED else None
        if values is not None:
            self.study.tell(trial, values if self._metrics is not None else values[0])
        elif view.state == EARLY_STOPPED:
            if self._metrics is None:  # Optuna keeps intermediate values for one objective only
                for step, value in enumerate(_pruned_values(view)):
                    trial.report(value, step)
            self.study.tell(trial, state=TrialState.PRUNED)
        else:
            self.study.tell(trial, state=TrialState.FAIL)

    def _adopt(self, view: TrialView) -> None:
        """Add a trial this study did not create, so the sampler learns from it."""
        try:
            params, distributions = self._adoption_params(view.assignments)
        except (KeyError, ValueError) as exc:
            _log.warning("algorithm %r cannot use trial %s: %s", self.algorithm, view.name, exc)
            return
        if view.state in ACTIVE_STATES:
            # enqueue + ask gives a RUNNING trial with exactly these parameters.
            self.study.enqueue_trial(params)
            trial, _ = self._ask_trial()
            self._numbers[view.name] = trial.number
            self._open[trial.number] = trial
            return
        self.study.add_trial(self._frozen(view, params, distributions))
        self._numbers[view.name] = len(self.study.get_trials(deepcopy=False)) - 1

    def _frozen(self, view: TrialView, params: dict[str, Any],
                distributions: dict[str, BaseDistribution]) -> FrozenTrial:
        """A finished trial as the study would have recorded it."""
        values = self._values(view) if view.state == SUCCEEDED else None
        if values is not None:
            told: dict[str, Any] = {"values": values} if self._metrics is not None else {"value": values[0]}
            return create_trial(state=TrialState.COMPLETE, params=params,
                                distributions=distributions, **told)
        if view.state == EARLY_STOPPED and self._metrics is None:
            pruned = _pruned_values(view)
            return create_trial(state=TrialState.PRUNED, value=pruned[-1] if pruned else None,
                                params=params, distributions=distributions,
                                intermediate_values=dict(enumerate(pruned)))
        if view.state == EARLY_STOPPED:
            return create_trial(state=TrialState.PRUNED, params=params, distributions=distributions)
        return create_trial(state=TrialState.FAIL, params=params, distributions=distributions)


class OptunaSuggester(OptunaStudySuggester):
    """Suggester backed by one Optuna sampler, asked for the whole (fixed) space at once."""

    def __init__(self, algorithm: str, space: SearchSpace, direction: StudyDirection,
                 sampler_factory: SamplerFactory, before_ask: BeforeAsk | None = None) -> None:
        super().__init__(algorithm, space, [direction], sampler_factory, before_ask)
        self._distributions = space.optuna_distributions

    def _ask_trial(self) -> tuple[optuna.Trial, dict[str, str]]:
        trial = self.study.ask(self._distributions)
        return trial, self._space.from_optuna(trial.params)

    def _adoption_params(self, assignments: Mapping[str, str]
                         ) -> tuple[dict[str, Any], dict[str, BaseDistribution]]:
        return self._space.to_optuna(assignments), self._distributions


def optuna_suggester(request, sampler_factory: SamplerFactory,
                     before_ask: BeforeAsk | None = None) -> OptunaSuggester:
    """The OptunaSuggester for an AlgorithmRequest (its parameters, direction and name)."""
    return OptunaSuggester(request.algorithm, SearchSpace(request.parameters), request.direction,
                           sampler_factory, before_ask)
