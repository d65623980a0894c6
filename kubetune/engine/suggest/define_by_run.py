"""An Optuna study asked define-by-run: conditional parameters and multi-objective search.

`OptunaSuggester` asks its study for a fixed set of distributions. This suggester asks the way
Optuna code written by hand does (`trial.suggest_*` one parameter after another), so that:

* with conditions (kubetune.io/conditions), only the parameters active given the values already
  drawn are suggested; an inactive parameter is set to its neutral value and is not part of the
  Optuna trial, so the sampler never learns from values that had no effect;
* with objectives (kubetune.io/objectives), the study has one direction per metric and is told
  each trial's metric values (strategy-selected, see the engine's TrialView.metrics); the sampler
  is then NSGA-II.

The bookkeeping is that of `optuna_study.OptunaSuggester` (match trials by their assignments,
tell finished ones, adopt trials the study did not create, fail stale asks); see that module.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from typing import Any, Mapping, Sequence

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, IntDistribution
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
from kubetune.engine.suggest.optuna_study import BeforeAsk, SamplerFactory, quiet_optuna
from kubetune.engine.suggest.space import SearchSpace
from kubetune.spec.conditions import ConditionalSpace

_log = logging.getLogger(__name__)


def suggest_distribution(trial: optuna.Trial, name: str, dist: BaseDistribution) -> Any:
    """`trial.suggest_*` for a distribution object (Optuna's public define-by-run calls)."""
    if isinstance(dist, CategoricalDistribution):
        return trial.suggest_categorical(name, dist.choices)
    if isinstance(dist, IntDistribution):
        return trial.suggest_int(name, dist.low, dist.high, step=dist.step, log=dist.log)
    return trial.suggest_float(name, dist.low, dist.high, step=dist.step, log=dist.log)


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


class DefineByRunSuggester:
    """Suggester over an in-memory study asked one parameter at a time.

    `metrics` is None for a single objective (the trial's objective value is told), else the
    metric names whose values (TrialView.metrics) are told, one per direction.
    """

    def __init__(self, algorithm: str, space: SearchSpace, conditions: ConditionalSpace | None,
                 directions: Sequence[StudyDirection], sampler_factory: SamplerFactory,
                 before_ask: BeforeAsk | None = None, metrics: Sequence[str] | None = None) -> None:
        if metrics is not None and len(metrics) != len(directions):
            raise SuggestionError("one direction per objective metric is needed")
        self.algorithm = algorithm
        self._space = space
        self._conditions = conditions
        self._order = conditions.order if conditions is not None else list(space.names)
        self._directions = list(directions)
        self._metrics = list(metrics) if metrics is not None else None
        self.sampler_factory = sampler_factory
        self.before_ask = before_ask
        self._study: optuna.Study | None = None
        self._numbers: dict[str, int] = {}
        self._open: dict[int, optuna.Trial] = {}
        self._pending: dict[tuple, deque[int]] = {}

    @property
    def study(self) -> optuna.Study:
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
                except Exception as exc:
                    raise SuggestionError(f"algorithm {self.algorithm!r}: {exc}") from exc
                self._study = optuna.create_study(directions=self._directions, sampler=sampler)
            self._sync(trials)
            if count <= 0:
                return []
            if self.before_ask is not None:
                self.before_ask(self._study, count)
            return [self._ask() for _ in range(count)]

    # ---- ask ----------------------------------------------------------------------------

    def _active(self, name: str, drawn: Mapping[str, str]) -> bool:
        return self._conditions is None or self._conditions.is_active(name, drawn)

    def _sample(self, trial: optuna.Trial) -> dict[str, str]:
        """Parents first: each active parameter is suggested, each inactive one is neutral."""
        drawn: dict[str, str] = {}
        for name in self._order:
            codec = self._space.by_name[name]
            if self._active(name, drawn):
                drawn[name] = codec.from_optuna(suggest_distribution(trial, name, codec.optuna_distribution))
            else:
                drawn[name] = self._conditions.neutral(name)
        return {name: drawn[name] for name in self._space.names}

    def _ask(self) -> Suggestion:
        trial = self.study.ask()
        try:
            assignments = self._sample(trial)
        except Exception as exc:
            self.study.tell(trial, state=TrialState.FAIL)
            raise SuggestionError(
                f"algorithm {self.algorithm!r} failed to sample: {type(exc).__name__}: {exc}") from exc
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
        if not all(_finite(v) for v in values):
            return None
        return [float(v) for v in values]

    def _pruned_values(self, view: TrialView) -> list[float]:
        values = [float(v) for v in view.intermediate if _finite(v)]
        if _finite(view.objective) and (not values or values[-1] != view.objective):
            values.append(float(view.objective))
        return values

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
                for step, value in enumerate(self._pruned_values(view)):
                    trial.report(value, step)
            self.study.tell(trial, state=TrialState.PRUNED)
        else:
            self.study.tell(trial, state=TrialState.FAIL)

    def _adopt(self, view: TrialView) -> None:
        """Add a trial this study did not create, with its active parameters only."""
        try:
            active = [n for n in self._order if self._active(n, view.assignments)]
            params = {n: self._space.by_name[n].to_optuna(view.assignments[n]) for n in active}
        except (KeyError, ValueError) as exc:
            _log.warning("algorithm %r cannot use trial %s: %s", self.algorithm, view.name, exc)
            return
        distributions = {n: self._space.by_name[n].optuna_distribution for n in active}
        if view.state in ACTIVE_STATES:
            self.study.enqueue_trial(params)
            trial = self.study.ask()
            self._sample(trial)  # the enqueued values come back; registers the distributions
            self._numbers[view.name] = trial.number
            self._open[trial.number] = trial
            return
        values = self._values(view) if view.state == SUCCEEDED else None
        if values is not None:
            kwargs: dict[str, Any] = {"values": values} if self._metrics is not None else {"value": values[0]}
            frozen = create_trial(state=TrialState.COMPLETE, params=params, distributions=distributions, **kwargs)
        elif view.state == EARLY_STOPPED and self._metrics is None:
            pruned = self._pruned_values(view)
            frozen = create_trial(state=TrialState.PRUNED, value=pruned[-1] if pruned else None, params=params,
                                  distributions=distributions, intermediate_values=dict(enumerate(pruned)))
        elif view.state == EARLY_STOPPED:
            frozen = create_trial(state=TrialState.PRUNED, params=params, distributions=distributions)
        else:
            frozen = create_trial(state=TrialState.FAIL, params=params, distributions=distributions)
        self.study.add_trial(frozen)
        self._numbers[view.name] = len(self.study.get_trials(deepcopy=False)) - 1
