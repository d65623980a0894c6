"""Katib's skopt service (pkg/suggestion/v1beta1/skopt): `bayesianoptimization`.

Katib runs scikit-optimize's `Optimizer` (GP + gp_hedge by default); kubetune runs
`optuna.samplers.GPSampler` (a Gaussian process maximising log expected improvement).

Settings, checked as the service's ValidateAlgorithmSettings does: `base_estimator` (GP | RF |
ET | GBRT), `n_initial_points` (int >= 0, default 10) -> `n_startup_trials`, `acq_func`
(gp_hedge | LCB | EI | PI | EIps | PIps), `acq_optimizer` (auto | sampling | lbfgs),
`random_state`; unknown names are rejected. Non-GP estimators and the other acquisition
functions are accepted, as Katib accepts them, but run as GP + log-EI (a warning is logged).
normal/logNormal are rejected as skopt does since PR #2689, unless `kubetune.allow_normal:
"true"` (space.check_distributions); skopt never reads a parameter's step (lint says so).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Sequence

from kubetune.algorithms._checks import (
    AlgorithmContext,
    choice_setting,
    needs_parameters,
    non_negative_int,
    settings_table,
)
from kubetune.algorithms.base import TrialView
from kubetune.algorithms.registry import REJECTS, Algorithm, AlgorithmRequest
from kubetune.algorithms.settings import int_setting, seed_of, str_setting
from kubetune.experiment import distributions as dist_table
from kubetune.experiment.errors import Problem, warning
from kubetune.experiment.lint import lint_parameters
from kubetune.experiment.types import Experiment

if TYPE_CHECKING:  # the sampler loads when a suggester is built, not with the checks
    from optuna.samplers import BaseSampler

    from kubetune.algorithms.optuna_study import OptunaSuggester

_log = logging.getLogger(__name__)

BAYESIAN_ESTIMATORS = ("GP", "RF", "ET", "GBRT")
BAYESIAN_ACQ_FUNCS = ("gp_hedge", "LCB", "EI", "PI", "EIps", "PIps")
BAYESIAN_ACQ_OPTIMIZERS = ("auto", "sampling", "lbfgs")


def check_bayesianoptimization(ctx: AlgorithmContext) -> list[Problem]:
    table = {
        "base_estimator": lambda i: choice_setting(ctx, i, BAYESIAN_ESTIMATORS),
        "n_initial_points": non_negative_int(ctx),
        "acq_func": lambda i: choice_setting(ctx, i, BAYESIAN_ACQ_FUNCS),
        "acq_optimizer": lambda i: choice_setting(ctx, i, BAYESIAN_ACQ_OPTIMIZERS),
        "random_state": non_negative_int(ctx),
    }
    return needs_parameters(ctx) + settings_table(ctx, table)


def lint_bayesianoptimization(exp: Experiment) -> list[Problem]:
    """skopt samples numeric parameters without their step."""
    problems = []
    for i, raw, p in lint_parameters(exp.spec):
        dist = (raw.get("feasibleSpace") or {}).get("distribution") or "uniform"
        if p is not None and p.is_numeric and p.step is not None and dist in dist_table.DISTRIBUTIONS:
            problems.append(warning(f"spec.parameters[{i}].feasibleSpace.step",
                                    "bayesianoptimization ignores step", "remove it"))
    return problems


def make_bayesianoptimization(request: AlgorithmRequest) -> OptunaSuggester:
    from optuna.samplers import GPSampler, RandomSampler

    from kubetune.algorithms.optuna_study import optuna_suggester
    from kubetune.algorithms.space import check_distributions

    name, settings = request.algorithm, request.settings
    check_distributions(request.parameters, name, "Skopt", allow_normal=request.allow_normal)
    estimator = str_setting(settings, "base_estimator", "GP")
    acq = str_setting(settings, "acq_func", "gp_hedge")
    if estimator != "GP" or acq not in ("gp_hedge", "EI"):
        _log.warning("bayesianoptimization: base_estimator=%s acq_func=%s run as a Gaussian "
                     "process with log expected improvement (Optuna's GPSampler)", estimator, acq)
    n_initial = int_setting(settings, "n_initial_points", 10)
    seed = seed_of(request)

    def sampler(count: int, trials: Sequence[TrialView]) -> BaseSampler:
        return GPSampler(seed=seed, n_startup_trials=n_initial,
                         independent_sampler=RandomSampler(seed=seed),
                         warn_independent_sampling=False)

    return optuna_suggester(request, sampler)


ALGORITHMS = (
    Algorithm("bayesianoptimization", check_bayesianoptimization, make_bayesianoptimization,
              lint=lint_bayesianoptimization, unknown_settings=REJECTS),
)
