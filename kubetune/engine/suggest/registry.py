"""Algorithm registry: Katib algorithm name -> suggester factory.

Which settings are valid is not decided here: `kubetune.spec.algorithms` is the one authority
(the same rules `kubetune validate` applies). Before every factory call this module runs the
spec's checks on the settings and turns their errors into SuggestionError (their warnings, such
as settings a service ignores, are logged). A factory only reads already-valid settings and
raises SuggestionError for what its sampler cannot do (e.g. a distribution it does not sample).

Adding an algorithm is two registrations, one per layer:

    kubetune.spec.algorithms.register_algorithm("fixed-product", check_fixed_product)  # settings
    kubetune.engine.suggest.register_algorithm("fixed-product", make_fixed_product)    # sampling

`make_suggester` is what the engine calls; `validate_algorithm` runs the same checks plus those
that need the experiment's trial budget (grid's maxTrialCount, hyperband's parallelTrialCount),
and builds the suggester once to run the factory's own checks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from optuna.study import StudyDirection

from kubetune.engine.suggest.base import Suggester, SuggestionError, objective_direction
from kubetune.spec.algorithms import (
    ALLOW_NORMAL,
    AlgorithmContext,
    algorithm_check,
    kubetune_flag,
    run_time_problems,
    settings_errors,
    split_kubetune_settings,
)

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlgorithmRequest:
    """Everything `make_suggester` was given, with settings checked and split."""

    algorithm: str
    settings: Mapping[str, str]  # Katib's algorithmSettings (kubetune.* removed), all valid
    extensions: Mapping[str, str]  # kubetune.* settings, all valid
    parameters: Sequence[Any]  # kubetune.spec.space.Parameter
    objective_type: str
    metric_names: Sequence[str] | None = None
    seed: int | None = None

    @property
    def direction(self) -> StudyDirection:
        return objective_direction(self.objective_type)

    @property
    def allow_normal(self) -> bool:
        return kubetune_flag(self.extensions, ALLOW_NORMAL)


Factory = Callable[[AlgorithmRequest], Suggester]

_FACTORIES: dict[str, Factory] = {}


def register_algorithm(name: str, factory: Factory, *, replace: bool = False) -> None:
    """Make `name` available to `make_suggester`; its settings check must be registered in
    kubetune.spec.algorithms (Katib's algorithms have theirs there already)."""
    if name in _FACTORIES and not replace:
        raise ValueError(f"algorithm {name!r} is already registered")
    _FACTORIES[name] = factory


def registered_algorithms() -> list[str]:
    return sorted(_FACTORIES)


def _string_settings(algorithm: str, settings: Mapping[str, str] | None) -> dict[str, str]:
    out = {}
    for name, value in (settings or {}).items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise SuggestionError(
                f"algorithm {algorithm!r}: setting {name!r} must be a string, found {value!r}"
            )
        out[name] = value
    return out


def check_settings(algorithm: str, settings: Mapping[str, str], parameters: Sequence[Any], *,
                   max_trial_count: int | None = None,
                   parallel_trial_count: int | None = None) -> None:
    """The spec's settings rules, as the local engine applies them: Katib's stage-B errors and
    the settings Katib lets through but that fail at run time raise; ignored settings are logged."""
    if algorithm_check(algorithm) is None:
        raise SuggestionError(
            f"algorithm {algorithm!r} has a suggester but no settings check; register one with "
            "kubetune.spec.algorithms.register_algorithm"
        )
    ctx = AlgorithmContext.for_parameters(algorithm, settings, parameters,
                                          max_trial_count=max_trial_count,
                                          parallel_trial_count=parallel_trial_count)
    problems = settings_errors(ctx) + run_time_problems(ctx)
    for problem in problems:
        if not problem.is_error:
            _log.warning("algorithm %r: %s", algorithm, problem)
    errors = [str(p) for p in problems if p.is_error]
    if errors:
        raise SuggestionError(f"algorithm {algorithm!r}: " + "; ".join(errors))


def _request(algorithm_name: str, settings: Mapping[str, str] | None, parameters: Sequence[Any],
             objective_type: str, metric_names: Sequence[str] | None, seed: int | None,
             max_trial_count: int | None = None,
             parallel_trial_count: int | None = None) -> tuple[Factory, AlgorithmRequest]:
    factory = _FACTORIES.get(algorithm_name)
    if factory is None:
        raise SuggestionError(
            f"unknown algorithm {algorithm_name!r}; available: {', '.join(registered_algorithms())}"
        )
    objective_direction(objective_type)
    strings = _string_settings(algorithm_name, settings)
    check_settings(algorithm_name, strings, parameters, max_trial_count=max_trial_count,
                   parallel_trial_count=parallel_trial_count)
    katib, extensions = split_kubetune_settings(strings)
    request = AlgorithmRequest(
        algorithm=algorithm_name, settings=katib, extensions=extensions,
        parameters=list(parameters), objective_type=objective_type,
        metric_names=list(metric_names) if metric_names is not None else None, seed=seed,
    )
    return factory, request


def validate_algorithm(algorithm_name: str, settings: Mapping[str, str] | None,
                       parameters: Sequence[Any], objective_type: str = "minimize", *,
                       max_trial_count: int | None = None,
                       parallel_trial_count: int | None = None) -> None:
    """Could the engine run this? Katib's stage-B checks (katib-semantics 2.2) with the trial
    budget, the run-time ones, and the factory's own; raises SuggestionError."""
    factory, request = _request(algorithm_name, settings, parameters, objective_type, None, None,
                                max_trial_count, parallel_trial_count)
    factory(request)  # cheap: no sampler state exists before the first suggest()


def make_suggester(algorithm_name: str, settings: Mapping[str, str] | None,
                   parameters: Sequence[Any], objective_type: str,
                   metric_names: Sequence[str] | None = None,
                   seed: int | None = None) -> Suggester:
    """A fresh suggester for the algorithm; raises SuggestionError for bad settings.

    `seed` is used when the settings carry no `random_state`. `metric_names` (objective first)
    is passed on to algorithms that use additional metrics; none of Katib's do.
    """
    factory, request = _request(algorithm_name, settings, parameters, objective_type,
                                metric_names, seed)
    return factory(request)
