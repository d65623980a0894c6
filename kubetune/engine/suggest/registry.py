"""Algorithm registry: Katib algorithm name -> settings check + suggester factory.

`make_suggester` is what the engine calls; `validate_algorithm` runs the same checks plus those
that need the experiment's trial budget (grid's maxTrialCount, hyperband's parallelTrialCount),
for the validation stage. Other modules add algorithms with `register_algorithm`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from optuna.study import StudyDirection

from kubetune.engine.suggest.base import Suggester, SuggestionError, objective_direction
from kubetune.engine.suggest.settings import allow_normal, split_settings


@dataclass(frozen=True)
class AlgorithmRequest:
    """Everything `make_suggester` was given, with settings split and checked for type."""

    algorithm: str
    settings: Mapping[str, str]  # Katib's algorithmSettings (kubetune.* removed)
    extensions: Mapping[str, str]  # kubetune.* settings
    parameters: Sequence[Any]  # kubetune.spec.space.Parameter
    objective_type: str
    metric_names: Sequence[str] | None = None
    seed: int | None = None

    @property
    def direction(self) -> StudyDirection:
        return objective_direction(self.objective_type)

    @property
    def allow_normal(self) -> bool:
        return allow_normal(self.algorithm, self.extensions)


@dataclass(frozen=True)
class ExperimentLimits:
    """Trial budget of the experiment; None where unknown (checks needing it are skipped)."""

    max_trial_count: int | None = None
    parallel_trial_count: int | None = None


SettingsCheck = Callable[[AlgorithmRequest, ExperimentLimits], None]
Factory = Callable[[AlgorithmRequest], Suggester]


@dataclass(frozen=True)
class _Entry:
    factory: Factory
    settings_check: SettingsCheck


_REGISTRY: dict[str, _Entry] = {}


def register_algorithm(name: str, factory: Factory, settings_check: SettingsCheck, *,
                       replace: bool = False) -> None:
    """Make `name` available to `make_suggester`.

    `settings_check(request, limits)` raises SuggestionError for bad settings; it runs before
    every `factory(request)` call (with unknown limits) and from `validate_algorithm`.
    """
    if name in _REGISTRY and not replace:
        raise ValueError(f"algorithm {name!r} is already registered")
    _REGISTRY[name] = _Entry(factory=factory, settings_check=settings_check)


def registered_algorithms() -> list[str]:
    return sorted(_REGISTRY)


def _request(algorithm_name: str, settings: Mapping[str, str] | None, parameters: Sequence[Any],
             objective_type: str, metric_names: Sequence[str] | None,
             seed: int | None) -> tuple[_Entry, AlgorithmRequest]:
    entry = _REGISTRY.get(algorithm_name)
    if entry is None:
        raise SuggestionError(
            f"unknown algorithm {algorithm_name!r}; available: {', '.join(registered_algorithms())}"
        )
    objective_direction(objective_type)
    katib, extensions = split_settings(algorithm_name, settings or {})
    request = AlgorithmRequest(
        algorithm=algorithm_name, settings=katib, extensions=extensions,
        parameters=list(parameters), objective_type=objective_type,
        metric_names=list(metric_names) if metric_names is not None else None, seed=seed,
    )
    request.allow_normal  # noqa: B018 - validates the kubetune.allow_normal value
    return entry, request


def validate_algorithm(algorithm_name: str, settings: Mapping[str, str] | None,
                       parameters: Sequence[Any], objective_type: str = "minimize", *,
                       max_trial_count: int | None = None,
                       parallel_trial_count: int | None = None) -> None:
    """Katib's stage-B `ValidateAlgorithmSettings` (katib-semantics 2.2); raises SuggestionError."""
    entry, request = _request(algorithm_name, settings, parameters, objective_type, None, None)
    entry.settings_check(request, ExperimentLimits(max_trial_count, parallel_trial_count))


def make_suggester(algorithm_name: str, settings: Mapping[str, str] | None,
                   parameters: Sequence[Any], objective_type: str,
                   metric_names: Sequence[str] | None = None,
                   seed: int | None = None) -> Suggester:
    """A fresh suggester for the algorithm; raises SuggestionError for bad settings.

    `seed` is used when the settings carry no `random_state`. `metric_names` (objective first)
    is passed on to algorithms that use additional metrics; none of Katib's do.
    """
    entry, request = _request(algorithm_name, settings, parameters, objective_type,
                              metric_names, seed)
    entry.settings_check(request, ExperimentLimits())
    return entry.factory(request)
