"""Katib algorithms backed by Optuna samplers.

* random (Katib: hyperopt `rand.suggest`) -> `optuna.samplers.RandomSampler`
* tpe (Katib: hyperopt `tpe.suggest`) -> `optuna.samplers.TPESampler` with hyperopt's gamma rule
* multivariate-tpe (Katib: the same Optuna sampler) -> `TPESampler(multivariate=True,
  constant_liar=True)`
* cmaes (Katib: goptuna CMA-ES, 0 startup trials) -> `optuna.samplers.CmaEsSampler` (needs the
  `cmaes` package), 0 startup trials
* bayesianoptimization (Katib: scikit-optimize `Optimizer`, GP + gp_hedge) ->
  `optuna.samplers.GPSampler` (GP + log expected improvement)

Settings are the ones Katib's service for the name accepts (katib-semantics 2.2 / 3.2); which
values are valid is checked by `kubetune.spec.algorithms` before a factory here runs:

* random: `random_state` (int >= 0) -> `seed`.
* tpe: `gamma` (0 < x < 1, default 0.25), `prior_weight` (> 0, default 1.0),
  `n_EI_candidates` (int > 0, default 24), `random_state` (int >= 0). As in Katib's hyperopt
  service, the number of random startup trials is the size of the current request, and each call
  draws a fresh sampler seed from a RandomState(random_state); `gamma` keeps hyperopt's meaning
  (the "below" group has ceil(gamma * sqrt(n)) trials, at most 25), not Optuna's.
* multivariate-tpe: `n_startup_trials` (int >= 0, default 10), `n_ei_candidates` (int >= 1,
  default 24; Katib's validator also lets 0 through, after which Optuna fails on every call, so
  the spec's run-time check rejects it), `random_state`.
* cmaes: `random_state` (int >= 0), `sigma` (> 0), `restart_strategy` (ipop | bipop | none);
  needs at least two int/double parameters; other settings are ignored with a warning, as goptuna
  does. goptuna's `sigma` is in parameter units; Optuna's CmaEsSampler works on [0, 1]-scaled
  parameters, so we pass sigma / (smallest parameter range), which maps goptuna's default
  (smallest range / 6) onto Optuna's (1 / 6). Optuna 4.4+ no longer implements restarts:
  ipop/bipop are accepted and run without restarts (a warning is logged). Optuna deprecates
  `sigma0` and `x0` (removal planned for Optuna 6); we still use them.
* bayesianoptimization: `base_estimator` (GP | RF | ET | GBRT), `n_initial_points` (int >= 0,
  default 10), `acq_func` (gp_hedge | LCB | EI | PI | EIps | PIps), `acq_optimizer`
  (auto | sampling | lbfgs), `random_state`. GPSampler always fits a Gaussian process and
  maximises log expected improvement: non-GP estimators and the other acquisition functions are
  accepted, as Katib accepts them, but run as GP + log-EI (a warning is logged).
  `n_initial_points` -> `n_startup_trials`.

Distributions: random and tpe accept all four (hyperopt samples normal/logNormal; we truncate to
[min, max]). multivariate-tpe (optuna service), cmaes (goptuna) and bayesianoptimization (skopt)
reject normal/logNormal, and cmaes also int logUniform, as Katib's services do since PRs #2666 and
#2689 — unless `kubetune.allow_normal: "true"` is set (see space.py).
"""

from __future__ import annotations

import importlib.util
import logging
import math
from typing import Sequence

import numpy as np
from optuna.samplers import BaseSampler, CmaEsSampler, GPSampler, RandomSampler, TPESampler

from kubetune.engine.suggest.base import SUCCEEDED, SuggestionError, TrialView, is_better
from kubetune.engine.suggest.optuna_study import OptunaSuggester
from kubetune.engine.suggest.registry import AlgorithmRequest
from kubetune.engine.suggest.settings import float_setting, int_setting, str_setting
from kubetune.engine.suggest.space import SearchSpace, check_distributions

_log = logging.getLogger(__name__)


def _seed(request: AlgorithmRequest) -> int | None:
    return int_setting(request.settings, "random_state", request.seed)


def _suggester(request: AlgorithmRequest, sampler_factory, before_ask=None) -> OptunaSuggester:
    return OptunaSuggester(request.algorithm, SearchSpace(request.parameters), request.direction,
                           sampler_factory, before_ask)


# ---- random (hyperopt in Katib) ---------------------------------------------------------------

def make_random(request: AlgorithmRequest) -> OptunaSuggester:
    seed = _seed(request)
    return _suggester(request, lambda count, trials: RandomSampler(seed=seed))


# ---- tpe (hyperopt in Katib) ------------------------------------------------------------------

_HYPEROPT_LINEAR_FORGETTING = 25


def hyperopt_gamma(gamma: float):
    """hyperopt's split: ceil(gamma * sqrt(n)) "good" trials, capped at linear_forgetting (25)."""
    def split(n: int) -> int:
        return min(int(math.ceil(gamma * math.sqrt(n))), _HYPEROPT_LINEAR_FORGETTING)
    return split


def make_tpe(request: AlgorithmRequest) -> OptunaSuggester:
    settings = request.settings
    gamma = hyperopt_gamma(float_setting(settings, "gamma", 0.25))
    prior_weight = float_setting(settings, "prior_weight", 1.0)
    n_ei = int_setting(settings, "n_EI_candidates", 24)
    seeds = np.random.RandomState(_seed(request))

    def sampler(count: int, seed: int | None) -> TPESampler:
        return TPESampler(n_startup_trials=count, n_ei_candidates=n_ei, gamma=gamma,
                          prior_weight=prior_weight, seed=seed, constant_liar=True)

    def before_ask(study, count: int) -> None:
        # Katib's hyperopt service: n_startup_jobs = request size, one fresh seed per call.
        study.sampler = sampler(count, int(seeds.randint(2**31 - 1)))

    return _suggester(request, lambda count, trials: sampler(count, None), before_ask)


# ---- multivariate-tpe (optuna in Katib) -------------------------------------------------------

def make_multivariate_tpe(request: AlgorithmRequest) -> OptunaSuggester:
    settings = request.settings
    check_distributions(request.parameters, request.algorithm, "Optuna",
                        allow_normal=request.allow_normal)
    kwargs = dict(
        n_startup_trials=int_setting(settings, "n_startup_trials", 10),
        n_ei_candidates=int_setting(settings, "n_ei_candidates", 24),
        seed=_seed(request),
    )
    return _suggester(request, lambda count, trials: TPESampler(
        multivariate=True, constant_liar=True, **kwargs))


# ---- cmaes (goptuna in Katib) -----------------------------------------------------------------

def _best_numeric_params(space: SearchSpace, trials: Sequence[TrialView], direction) -> dict | None:
    """Numeric parameters (Optuna form) of the best succeeded trial, to restart CMA-ES from."""
    best: TrialView | None = None
    for view in trials:
        if view.state != SUCCEEDED or view.objective is None or not math.isfinite(view.objective):
            continue
        if best is None or is_better(view.objective, best.objective, direction):
            best = view
    if best is None:
        return None
    try:
        params = space.to_optuna(best.assignments)
    except ValueError:
        return None
    return {c.name: params[c.name] for c in space.codecs if c.mode != "choice"}


def _smallest_range(space: SearchSpace) -> float:
    """Smallest numeric range on the scale CMA-ES works on (log for log-uniform, the CDF
    coordinate for normal distributions)."""
    widths = []
    for codec in space.codecs:
        if codec.mode == "choice":
            continue
        if codec.mode == "unit":
            widths.append(1.0)
        elif codec.distribution == "logUniform":
            widths.append(math.log(codec.hi) - math.log(codec.low))
        else:
            widths.append(float(codec.hi - codec.lo))
    positive = [w for w in widths if w > 0]
    return min(positive) if positive else 1.0


def make_cmaes(request: AlgorithmRequest) -> OptunaSuggester:
    if importlib.util.find_spec("cmaes") is None:
        raise SuggestionError(
            "algorithm 'cmaes' needs the Python package 'cmaes' (Optuna's CmaEsSampler backend), "
            "which is not installed"
        )
    name, settings = request.algorithm, request.settings
    check_distributions(request.parameters, name, "Goptuna", allow_normal=request.allow_normal,
                        rejects_int_log_uniform=True)
    seed = _seed(request)
    sigma = float_setting(settings, "sigma", None)
    restart = str_setting(settings, "restart_strategy", None)
    if restart in ("ipop", "bipop"):
        _log.warning("cmaes: restart_strategy %r is accepted but Optuna's CmaEsSampler no longer "
                     "restarts; running plain CMA-ES", restart)
    space = SearchSpace(request.parameters)
    sigma0 = None if sigma is None else sigma / _smallest_range(space)

    def sampler(count: int, trials: Sequence[TrialView]) -> CmaEsSampler:
        # A resumed experiment restarts CMA-ES around its best trial so far (goptuna cannot resume).
        x0 = _best_numeric_params(space, trials, request.direction)
        return CmaEsSampler(x0=x0, sigma0=sigma0, seed=seed, n_startup_trials=0,
                            warn_independent_sampling=False)

    return OptunaSuggester(name, space, request.direction, sampler)


# ---- bayesianoptimization (skopt in Katib) ----------------------------------------------------

def make_bayesianoptimization(request: AlgorithmRequest) -> OptunaSuggester:
    name, settings = request.algorithm, request.settings
    check_distributions(request.parameters, name, "Skopt", allow_normal=request.allow_normal)
    estimator = str_setting(settings, "base_estimator", "GP")
    acq = str_setting(settings, "acq_func", "gp_hedge")
    if estimator != "GP" or acq not in ("gp_hedge", "EI"):
        _log.warning("bayesianoptimization: base_estimator=%s acq_func=%s run as a Gaussian "
                     "process with log expected improvement (Optuna's GPSampler)", estimator, acq)
    n_initial = int_setting(settings, "n_initial_points", 10)
    seed = _seed(request)

    def sampler(count: int, trials: Sequence[TrialView]) -> BaseSampler:
        return GPSampler(seed=seed, n_startup_trials=n_initial,
                         independent_sampler=RandomSampler(seed=seed),
                         warn_independent_sampling=False)

    return _suggester(request, sampler)
