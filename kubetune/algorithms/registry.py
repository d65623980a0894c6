"""The algorithm registry: Katib algorithm name -> `Algorithm` (settings checks + sampler).

An `Algorithm` is what one of Katib's suggestion services is for one name: its
`ValidateAlgorithmSettings` (`check`), what that validation lets through (`run_check`), lint
traps, a few facts lint reports (what the service does with an unknown setting, whether it can
resume), and kubetune's sampler (`factory`, None for the algorithms only a Katib cluster runs).
The family modules (hyperopt, optuna, goptuna, ...) define them; `kubetune.algorithms` registers
them. Registering a name also lists it in katib-config (kubetune.experiment.katib_config), so the
webhook rules accept it.

`make_suggester` is what the engine calls: it runs the settings checks first and turns their
errors into SuggestionError (their warnings, such as settings a service ignores, are logged), so
a factory only reads already-valid settings and raises SuggestionError for what its sampler
cannot do (e.g. a distribution it does not sample). `validate_algorithm` runs the same checks
plus those that need the experiment's trial budget (grid's maxTrialCount, hyperband's
parallelTrialCount), and builds the suggester once to run the factory's own checks.

Nothing here imports a sampler back-end: the checks and lint rules run without optuna or scipy,
which a factory imports when it is called (kubetune.algorithms' docstring).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from kubetune.algorithms._checks import (
    ALLOW_NORMAL,
    AlgorithmContext,
    Check,
    check_kubetune_settings,
    guarded,
    kubetune_flag,
    log_min_problems,
    split_kubetune_settings,
)
from kubetune.algorithms.base import Suggester, SuggestionError, objective_direction
from kubetune.experiment import katib_config
from kubetune.experiment.errors import Problem
from kubetune.experiment.types import Experiment

if TYPE_CHECKING:
    from optuna.study import StudyDirection

_log = logging.getLogger(__name__)

# What a Katib suggestion service does with a setting it does not know (2.2); lint uses it to
# tell whether a kubetune.* setting breaks `kubectl apply`.
REJECTS, IGNORES, FORWARDS = "rejects", "ignores", "forwards"


@dataclass(frozen=True)
class AlgorithmRequest:
    """Everything `make_suggester` was given, with settings checked and split."""

    algorithm: str
    settings: Mapping[str, str]  # Katib's algorithmSettings (kubetune.* removed), all valid
    extensions: Mapping[str, str]  # kubetune.* settings, all valid
    parameters: Sequence[Any]  # kubetune.experiment.space.Parameter
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
Lint = Callable[[Experiment], list[Problem]]


@dataclass(frozen=True)
class Algorithm:
    """One algorithm name, as a suggestion service serves it."""

    name: str
    check: Check  # what the service's ValidateAlgorithmSettings rejects (errors)
    factory: Factory | None = None  # kubetune run's sampler; None: a Katib cluster only
    run_check: Check | None = None  # let through, then fails at run time (errors) or ignored (warnings)
    lint: Lint | None = None  # traps of this algorithm that Katib accepts (warnings)
    unknown_settings: str = ""  # REJECTS, IGNORES or FORWARDS; "" when Katib has no such service
    resumable: bool = True  # False: bookkeeping in memory, lost when the suggestion restarts
    repeats_points: bool = True  # a budget above the space's size makes it repeat points
    rejects_duplicate_names: bool = False  # `check` already reports repeated parameter names
    promotes: bool = False  # re-runs configurations with a larger resource (the engine gives trials a checkpoint pool)


_ALGORITHMS: dict[str, Algorithm] = {}


def register_algorithm(algorithm: Algorithm, *, replace: bool = False) -> None:
    """Make `algorithm.name` known to validation, lint and (with a factory) `make_suggester`."""
    if algorithm.name in _ALGORITHMS and not replace:
        raise ValueError(f"algorithm {algorithm.name!r} is already registered")
    _ALGORITHMS[algorithm.name] = algorithm
    katib_config.add_algorithm(algorithm.name)


def unregister_algorithm(name: str) -> None:
    _ALGORITHMS.pop(name, None)
    katib_config.remove_algorithm(name)


def find_algorithm(name: str) -> Algorithm | None:
    return _ALGORITHMS.get(name)


def promotes_configurations(name: str) -> bool:
    """Does the algorithm re-run configurations with a larger resource (hyperband, asha, bohb)?"""
    algorithm = _ALGORITHMS.get(name)
    return algorithm is not None and algorithm.promotes


def cluster_only(name: str) -> str | None:
    """Why `kubetune run` cannot run a registered algorithm that only a Katib cluster runs (pbt,
    enas, darts); None when it can, or when the name is not registered."""
    algorithm = _ALGORITHMS.get(name)
    if algorithm is None or algorithm.factory is not None:
        return None
    return (f"{name} runs on a Katib cluster only; kubetune's local engine has no port of it "
            "(run it with kubetune submit)")


def known_algorithms() -> list[str]:
    """Every registered name, including those only a Katib cluster runs."""
    return sorted(_ALGORITHMS)


def registered_algorithms() -> list[str]:
    """The names `make_suggester` can build: the algorithms kubetune run runs."""
    return sorted(name for name, a in _ALGORITHMS.items() if a.factory is not None)


def settings_errors(ctx: AlgorithmContext) -> list[Problem]:
    """Stage B: what the service's ValidateAlgorithmSettings rejects, plus bad kubetune.*
    settings. Errors only; an unknown name has no check (the webhook rules report it)."""
    algorithm = _ALGORITHMS.get(ctx.name)
    if algorithm is None:
        return []
    return check_kubetune_settings(ctx) + guarded(algorithm.check, ctx)


def run_time_problems(ctx: AlgorithmContext) -> list[Problem]:
    """What the service's validation lets through: errors fail every suggestion call (the local
    engine refuses them, lint warns), warnings are settings the service ignores."""
    algorithm = _ALGORITHMS.get(ctx.name)
    return [] if algorithm is None else guarded(algorithm.run_check, ctx) + guarded(log_min_problems, ctx)


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
    """The settings rules, as the local engine applies them: Katib's stage-B errors and the
    settings Katib lets through but that fail at run time raise; ignored settings are logged."""
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
    algorithm = _ALGORITHMS.get(algorithm_name)
    if (why := cluster_only(algorithm_name)) is not None:
        raise SuggestionError(why)
    if algorithm is None or algorithm.factory is None:
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
    return algorithm.factory, request


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
