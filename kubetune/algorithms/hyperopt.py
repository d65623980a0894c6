"""Katib's hyperopt service (pkg/suggestion/v1beta1/hyperopt): `random` and `tpe`.

Backends: `optuna.samplers.RandomSampler` for random (hyperopt's `rand.suggest`), and
`optuna.samplers.TPESampler` with hyperopt's gamma rule for tpe (`tpe.suggest`).

Settings (katib-semantics 2.2 / 3.2), checked as the service's ValidateAlgorithmSettings does:

* random: `random_state` (int >= 0) -> `seed`.
* tpe: `gamma` (0 < x < 1, default 0.25), `prior_weight` (> 0, default 1.0), `n_EI_candidates`
  (int > 0, default 24), `random_state` (int >= 0). As in Katib's hyperopt service, the number
  of random startup trials is the size of the current request, and each call draws a fresh
  sampler seed from a RandomState(random_state); `gamma` keeps hyperopt's meaning (the "below"
  group has ceil(gamma * sqrt(n)) trials, at most 25), not Optuna's. An infinite prior_weight
  passes Katib's `> 0` but makes every weight infinite: kubetune run refuses it.

Distributions: both sample all four as hyperopt does: normal/logNormal with mu = (min + max) / 2,
sigma = (max - min) / 6 (on ln(min)..ln(max) for logNormal), not clipped to [min, max], with a
step as hp.qnormal / hp.qlognormal; uniform/logUniform with a step (always for an int) as
hp.quniform / hp.qloguniform; each quantised as round(x / step) * step, ints then int()
(`SearchSpace(**hyperopt_options(algorithm))`, kubetune.algorithms.space). The service rejects
unknown setting names.

Ranges the service fails on although Katib's validation lets them through are refused
(`equal_bounds`: min == max; a log scale from min <= 0 is the registry's table-driven check).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from kubetune.algorithms._checks import (
    AlgorithmContext,
    above,
    at_run_time,
    needs_parameters,
    non_negative_int,
    number_setting,
    parses,
    settings_table,
)
from kubetune.algorithms.registry import REJECTS, Algorithm, AlgorithmRequest
from kubetune.algorithms.settings import float_setting, int_setting, seed_of
from kubetune.experiment.errors import Problem, error, show

if TYPE_CHECKING:  # optuna loads when a suggester is built: the settings checks need none of it
    from optuna.samplers import TPESampler

    from kubetune.algorithms.optuna_study import BeforeAsk, OptunaSuggester, SamplerFactory


def hyperopt_suggester(request: AlgorithmRequest, sampler_factory: SamplerFactory,
                       before_ask: BeforeAsk | None = None) -> OptunaSuggester:
    """An OptunaSuggester that draws as hyperopt does (unclipped normals, hp.quniform's steps)."""
    from kubetune.algorithms.optuna_study import OptunaSuggester
    from kubetune.algorithms.space import SearchSpace, hyperopt_options

    space = SearchSpace(request.parameters, **hyperopt_options(request.algorithm))
    return OptunaSuggester(request.algorithm, space, request.direction, sampler_factory, before_ask)


def equal_bounds(ctx: AlgorithmContext) -> list[Problem]:
    """min == max, which Katib's validation lets through (checked against hyperopt 0.2.5, Katib's
    pin, and 0.2.7). hp.uniform, hp.quniform, hp.loguniform and hp.qloguniform raise ValueError
    ("low should be less than high") when the bounds they get (min and max, or their logarithms)
    are equal and both non-zero (pyll_utils.validate_distribution_range tests `low and high`), so
    every suggestion call fails. Otherwise (uniform 0..0, logUniform 1..1, normal and logNormal,
    sigma 0) random draws the one value, as kubetune run does, and tpe's model fails
    (AssertionError) on every call after the first request's random trials."""
    problems = []
    for i, p in ctx.parameters():
        dist = p.distribution or "uniform"
        if not p.is_numeric or p.min is None or p.min != p.max or (dist.startswith("log") and p.min <= 0):
            continue  # (a log scale's min <= 0 is log_min_problems')
        value = p.format_value(p.min)
        if dist in ("uniform", "logUniform") and (math.log(p.min) if dist == "logUniform" else p.min) != 0:
            step = p.step or (1 if p.type == "int" else None)  # Katib's loader fills an int's step
            ln = "ln " if dist == "logUniform" else ""
            call = (f"hp.{'q' if step else ''}{'log' if ln else ''}uniform({ln}{value}, {ln}{value}"
                    f"{f', {p.format_value(step)}' if step else ''})")
            what = (f"Katib's hyperopt service builds {call}, which raises ValueError (low should be "
                    "less than high)")
        elif ctx.name == "tpe":
            what = ("hyperopt's TPE fails (AssertionError) on a range of width 0 as soon as it models "
                    "the trials: only the first request's random trials are created")
        else:
            continue
        problems += at_run_time([error(f"spec.parameters[{i}].feasibleSpace.max",
                                       f"min and max are both {value}: {what}",
                                       "widen the range, or set the value in the trial template")],
                                katib_fails=True)
    return problems


# ---- random ------------------------------------------------------------------------------------

def check_random(ctx: AlgorithmContext) -> list[Problem]:
    table = {"random_state": non_negative_int(ctx)}
    return needs_parameters(ctx) + settings_table(ctx, table)


def make_random(request: AlgorithmRequest) -> OptunaSuggester:
    from optuna.samplers import RandomSampler

    seed = seed_of(request)
    return hyperopt_suggester(request, lambda count, trials: RandomSampler(seed=seed))


# ---- tpe ---------------------------------------------------------------------------------------

def check_tpe(ctx: AlgorithmContext) -> list[Problem]:
    table = {
        "gamma": lambda i: number_setting(ctx, i, "float", lambda v: 0 < v < 1, "in (0, 1)"),
        "prior_weight": lambda i: number_setting(ctx, i, "float", above(0), "greater than 0"),
        "n_EI_candidates": lambda i: number_setting(ctx, i, "int", above(0), "an integer > 0"),
        "random_state": non_negative_int(ctx),
    }
    return needs_parameters(ctx) + settings_table(ctx, table)


def run_tpe(ctx: AlgorithmContext) -> list[Problem]:
    """An infinite prior_weight passes `> 0` but makes every TPE weight infinite; min == max."""
    problems = equal_bounds(ctx)
    for i, name, text in ctx.katib_settings():
        ok, value = parses(float, text)
        if name == "prior_weight" and ok and value > 0 and not math.isfinite(value):
            problems += at_run_time([error(ctx.setting_path(i), f"{name}: found {show(text)}; must be "
                                           "a finite number greater than 0")], katib_fails=False)
    return problems


_HYPEROPT_LINEAR_FORGETTING = 25


def hyperopt_gamma(gamma: float):
    """hyperopt's split: ceil(gamma * sqrt(n)) "good" trials, capped at linear_forgetting (25)."""
    def split(n: int) -> int:
        return min(int(math.ceil(gamma * math.sqrt(n))), _HYPEROPT_LINEAR_FORGETTING)
    return split


def make_tpe(request: AlgorithmRequest) -> OptunaSuggester:
    from optuna.samplers import TPESampler

    settings = request.settings
    gamma = hyperopt_gamma(float_setting(settings, "gamma", 0.25))
    prior_weight = float_setting(settings, "prior_weight", 1.0)
    n_ei = int_setting(settings, "n_EI_candidates", 24)
    seeds = np.random.RandomState(seed_of(request))

    def sampler(count: int, seed: int | None) -> TPESampler:
        return TPESampler(n_startup_trials=count, n_ei_candidates=n_ei, gamma=gamma,
                          prior_weight=prior_weight, seed=seed, constant_liar=True)

    def before_ask(study, count: int) -> None:
        # Katib's hyperopt service: n_startup_jobs = request size, one fresh seed per call.
        study.sampler = sampler(count, int(seeds.randint(2**31 - 1)))

    return hyperopt_suggester(request, lambda count, trials: sampler(count, None), before_ask)


ALGORITHMS = (
    Algorithm("random", check_random, make_random, run_check=equal_bounds, unknown_settings=REJECTS),
    Algorithm("tpe", check_tpe, make_tpe, run_check=run_tpe, unknown_settings=REJECTS),
)
