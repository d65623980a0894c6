"""Katib's goptuna service (cmd/suggestion/goptuna, Go): `cmaes` and `sobol`.

goptuna validates almost nothing: its ValidateAlgorithmSettings rejects only fewer than two
int/double parameters (cmaes) and repeated parameter names; a bad `random_state`, `sigma` or
`restart_strategy` makes study creation fail inside every GetSuggestions call (the experiment
hangs, katib-semantics 2.2), which kubetune run refuses up front and lint reports. Both keep their
bookkeeping in the service's memory and ignore settings they do not use.

* cmaes -> `optuna.samplers.CmaEsSampler` (needs the `cmaes` package), 0 startup trials.
  Settings: `random_state` (int >= 0), `sigma` (> 0), `restart_strategy` (ipop | bipop | none).
  goptuna's `sigma` is in parameter units; Optuna's CmaEsSampler works on [0, 1]-scaled
  parameters, so we pass sigma / (smallest parameter range), which maps goptuna's default
  (smallest range / 6) onto Optuna's (1 / 6). Optuna 4.4+ no longer implements restarts:
  ipop/bipop are accepted and run without restarts (a warning is logged). Optuna deprecates
  `sigma0` and `x0` (removal planned for Optuna 6); we still use them.
* sobol -> kubetune's own Sobol sequence (`_sobol`), settings ignored.

Distributions: both reject normal/logNormal and int logUniform as goptuna does since PR #2689,
unless `kubetune.allow_normal: "true"` (space.check_distributions).
"""

from __future__ import annotations

import importlib.util
import logging
import math
from typing import TYPE_CHECKING, Sequence

from kubetune.algorithms._checks import (
    AlgorithmContext,
    at_least,
    at_run_time,
    choice_setting,
    duplicate_names,
    finite_above,
    ignored_settings,
    needs_parameters,
    run_number,
)
from kubetune.algorithms.base import SUCCEEDED, SuggestionError, TrialView
from kubetune.algorithms.registry import IGNORES, Algorithm, AlgorithmRequest
from kubetune.algorithms.settings import float_setting, seed_of, str_setting
from kubetune.experiment.errors import Problem, error
from kubetune.results import is_better

if TYPE_CHECKING:  # the samplers load when a suggester is built (make_*), not with the checks
    from optuna.samplers import CmaEsSampler

    from kubetune.algorithms._sobol import SobolSuggester
    from kubetune.algorithms.optuna_study import OptunaSuggester
    from kubetune.algorithms.space import SearchSpace

_log = logging.getLogger(__name__)

# ---- cmaes -------------------------------------------------------------------------------------

CMAES_SETTINGS = ("random_state", "sigma", "restart_strategy")
CMAES_RESTART_STRATEGIES = ("ipop", "bipop", "none")


def check_cmaes(ctx: AlgorithmContext) -> list[Problem]:
    problems = needs_parameters(ctx)
    numeric = [p for p in ctx.raw_parameters() if p.get("parameterType") in ("int", "double")]
    if ctx.spec.get("parameters") and len(numeric) < 2:
        problems.append(error("spec.parameters",
                              f"cmaes needs at least two int/double parameters; found {len(numeric)}",
                              "use random, tpe or bayesianoptimization for a single numeric parameter"))
    return problems + duplicate_names(ctx)


def run_cmaes(ctx: AlgorithmContext) -> list[Problem]:
    """goptuna builds its study from the settings inside GetSuggestions: a bad value fails there."""
    problems = []
    for i, name, _ in ctx.katib_settings():
        if name == "random_state":
            problems += run_number(ctx, i, "int", at_least(0), "an integer >= 0")
        elif name == "sigma":
            problems += run_number(ctx, i, "float", finite_above(0), "a finite number greater than 0")
        elif name == "restart_strategy":
            problems += at_run_time(choice_setting(ctx, i, CMAES_RESTART_STRATEGIES), katib_fails=True)
    return problems + ignored_settings(ctx, CMAES_SETTINGS, "goptuna's CMA-ES")


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
    from optuna.samplers import CmaEsSampler

    from kubetune.algorithms.optuna_study import OptunaSuggester
    from kubetune.algorithms.space import SearchSpace, check_distributions

    if importlib.util.find_spec("cmaes") is None:
        raise SuggestionError(
            "algorithm 'cmaes' needs the Python package 'cmaes' (Optuna's CmaEsSampler backend), "
            "which is not installed"
        )
    name, settings = request.algorithm, request.settings
    check_distributions(request.parameters, name, "Goptuna", allow_normal=request.allow_normal,
                        rejects_int_log_uniform=True)
    seed = seed_of(request)
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


# ---- sobol -------------------------------------------------------------------------------------

def check_sobol(ctx: AlgorithmContext) -> list[Problem]:
    return needs_parameters(ctx) + duplicate_names(ctx)


def run_sobol(ctx: AlgorithmContext) -> list[Problem]:
    return ignored_settings(ctx, (), "goptuna's Sobol sampler")


def make_sobol(request: AlgorithmRequest) -> SobolSuggester:
    from kubetune.algorithms._sobol import SobolSuggester
    from kubetune.algorithms.space import check_distributions

    check_distributions(request.parameters, request.algorithm, "Goptuna",
                        allow_normal=request.allow_normal, rejects_int_log_uniform=True)
    return SobolSuggester(request.parameters)


ALGORITHMS = (
    Algorithm("cmaes", check_cmaes, make_cmaes, run_check=run_cmaes, unknown_settings=IGNORES,
              resumable=False, rejects_duplicate_names=True),
    Algorithm("sobol", check_sobol, make_sobol, run_check=run_sobol, unknown_settings=IGNORES,
              resumable=False, rejects_duplicate_names=True),
)
