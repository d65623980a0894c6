"""An Optuna study asked define-by-run: conditional parameters and multi-objective search.

`OptunaSuggester` asks its study for a fixed set of distributions. This suggester asks the way
Optuna code written by hand does (`trial.suggest_*` one parameter after another), so that:

* with conditions (kubetune.io/conditions), only the parameters active given the values already
  drawn are suggested; an inactive parameter is set to its neutral value and is not part of the
  Optuna trial, so the sampler never learns from values that had no effect;
* with objectives (kubetune.io/objectives), the study has one direction per metric and is told
  each trial's metric values (strategy-selected, see the engine's TrialView.metrics); the sampler
  is then NSGA-II.

The bookkeeping (match trials by their assignments, tell finished ones, adopt trials the study did
not create, fail stale asks) is `optuna_study.OptunaStudySuggester`'s; this module adds only the
sampling step and which parameters of a trial are active.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, IntDistribution
from optuna.study import StudyDirection
from optuna.trial import TrialState

from kubetune.algorithms.optuna_study import (
    BeforeAsk,
    OptunaStudySuggester,
    OptunaSuggester,
    SamplerFactory,
)
from kubetune.algorithms.space import SearchSpace
from kubetune.experiment.conditions import ConditionalSpace


def suggest_distribution(trial: optuna.Trial, name: str, dist: BaseDistribution) -> Any:
    """`trial.suggest_*` for a distribution object (Optuna's public define-by-run calls)."""
    if isinstance(dist, CategoricalDistribution):
        return trial.suggest_categorical(name, dist.choices)
    if isinstance(dist, IntDistribution):
        return trial.suggest_int(name, dist.low, dist.high, step=dist.step, log=dist.log)
    return trial.suggest_float(name, dist.low, dist.high, step=dist.step, log=dist.log)


class DefineByRunSuggester(OptunaStudySuggester):
    """Suggester over an in-memory study asked one parameter at a time (`metrics`: as in
    OptunaStudySuggester, None for a single objective)."""

    def __init__(self, algorithm: str, space: SearchSpace, conditions: ConditionalSpace | None,
                 directions: Sequence[StudyDirection], sampler_factory: SamplerFactory,
                 before_ask: BeforeAsk | None = None, metrics: Sequence[str] | None = None) -> None:
        super().__init__(algorithm, space, directions, sampler_factory, before_ask, metrics)
        self._conditions = conditions
        self._order = conditions.order if conditions is not None else list(space.names)

    @classmethod
    def conditional(cls, flat: OptunaSuggester, conditions: ConditionalSpace) -> DefineByRunSuggester:
        """`flat`'s algorithm (same space, direction, sampler and per-call hook, e.g. tpe's
        hyperopt-style reseeding) asked define-by-run, so only active parameters are sampled."""
        return cls(flat.algorithm, flat._space, conditions, flat._directions,
                   flat.sampler_factory, flat.before_ask)

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

    def _ask_trial(self) -> tuple[optuna.Trial, dict[str, str]]:
        trial = self.study.ask()
        try:
            return trial, self._sample(trial)
        except Exception:
            self.study.tell(trial, state=TrialState.FAIL)  # not left running in the study
            raise

    def _adoption_params(self, assignments: Mapping[str, str]
                         ) -> tuple[dict[str, Any], dict[str, BaseDistribution]]:
        """The trial's active parameters only."""
        active = [n for n in self._order if self._active(n, assignments)]
        params = {n: self._space.by_name[n].to_optuna(assignments[n]) for n in active}
        return params, {n: self._space.by_name[n].optuna_distribution for n in active}
