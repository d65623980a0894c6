"""Katib's optuna service (pkg/suggestion/v1beta1/optuna): `multivariate-tpe` and `grid`.

* multivariate-tpe -> `TPESampler(multivariate=True, constant_liar=True)`, the sampler Katib's
  service uses. Settings: `n_startup_trials` (int >= 0, default 10), `n_ei_candidates` (default
  24), `random_state`; Katib's validator checks int(value) >= 0 for all three, so
  `n_ei_candidates: "0"` passes it and then Optuna fails on every call: kubetune run refuses it,
  lint warns. normal/logNormal are rejected as the newest Katib does, unless
  `kubetune.allow_normal: "true"` (space.check_distributions).
* grid -> kubetune's own enumerator (`_grid`, which says why not GridSampler). Settings:
  `random_state` only; every double needs a step and maxTrialCount must not exceed the number
  of combinations (Katib's validation). The step grid is sampled whatever the distribution.

Both keep their bookkeeping in the service's memory on a Katib cluster (no restart from a
volume), and the service rejects unknown setting names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kubetune.algorithms._checks import (
    AlgorithmContext,
    at_run_time,
    needs_parameters,
    non_negative_int,
    parses,
    settings_table,
)
from kubetune.algorithms._grid import GridSuggester
from kubetune.algorithms._lint import parsed_space_size
from kubetune.algorithms.registry import REJECTS, Algorithm, AlgorithmRequest
from kubetune.algorithms.settings import int_setting, seed_of
from kubetune.experiment.errors import Problem, error, show, warning
from kubetune.experiment.space import space_size
from kubetune.experiment.types import Experiment

if TYPE_CHECKING:
    from kubetune.algorithms.optuna_study import OptunaSuggester

# ---- multivariate-tpe --------------------------------------------------------------------------

MULTIVARIATE_TPE_SETTINGS = ("n_startup_trials", "n_ei_candidates", "random_state")


def check_multivariate_tpe(ctx: AlgorithmContext) -> list[Problem]:
    # Katib's optuna service: int(value) >= 0 for all three ("should be greate or equal than zero").
    table = {name: non_negative_int(ctx) for name in MULTIVARIATE_TPE_SETTINGS}
    return needs_parameters(ctx) + settings_table(ctx, table)


def run_multivariate_tpe(ctx: AlgorithmContext) -> list[Problem]:
    """n_ei_candidates 0 passes Katib's `>= 0`; Optuna's TPESampler then fails on every ask."""
    problems = []
    for i, name, text in ctx.katib_settings():
        ok, value = parses(int, text)
        if name == "n_ei_candidates" and ok and value == 0:
            problems += at_run_time([error(ctx.setting_path(i), f"{name}: found {show(text)}; must be "
                                           "an integer >= 1",
                                           "Optuna's TPESampler draws n_ei_candidates samples per ask")],
                                    katib_fails=True)
    return problems


def make_multivariate_tpe(request: AlgorithmRequest) -> OptunaSuggester:
    from optuna.samplers import TPESampler  # the samplers load only when a suggester is built

    from kubetune.algorithms.optuna_study import optuna_suggester
    from kubetune.algorithms.space import check_distributions

    settings = request.settings
    check_distributions(request.parameters, request.algorithm, "Optuna",
                        allow_normal=request.allow_normal)
    kwargs = dict(
        n_startup_trials=int_setting(settings, "n_startup_trials", 10),
        n_ei_candidates=int_setting(settings, "n_ei_candidates", 24),
        seed=seed_of(request),
    )
    return optuna_suggester(request, lambda count, trials: TPESampler(
        multivariate=True, constant_liar=True, **kwargs))


# ---- grid --------------------------------------------------------------------------------------

def _grid_points(ctx: AlgorithmContext) -> int | None:
    """The number of grid combinations (from the cardinalities, nothing enumerated)."""
    params = [p for _, p in ctx.parameters()]
    try:
        return space_size(params)
    except ValueError:
        return None


def check_grid(ctx: AlgorithmContext) -> list[Problem]:
    table = {"random_state": non_negative_int(ctx)}
    problems = needs_parameters(ctx) + settings_table(ctx, table)
    grid_ok = True
    for i, param in ctx.parameters():
        if param.type == "double" and param.step is None:
            grid_ok = False
            problems.append(error(f"spec.parameters[{i}].feasibleSpace.step",
                                  f"grid needs a step for double parameter {show(param.name)}",
                                  'add e.g. step: "0.01", or use a categorical list'))
        else:
            try:
                param.cardinality()
            except ValueError as exc:
                grid_ok = False
                problems.append(error(f"spec.parameters[{i}].feasibleSpace", f"grid cannot be built: {exc}"))
    max_trials = ctx.spec.get("maxTrialCount")
    if grid_ok and isinstance(max_trials, int):
        size = _grid_points(ctx)
        if size is not None and max_trials > size:
            problems.append(error("spec.maxTrialCount",
                                  f"found {max_trials}; the grid has only {size} points",
                                  f"set maxTrialCount to at most {size}"))
    return problems


def lint_grid(exp: Experiment) -> list[Problem]:
    if exp.spec.get("maxTrialCount") is not None:
        return []
    size = parsed_space_size(exp.spec)
    return [warning("spec.maxTrialCount", "grid without maxTrialCount: once the grid is used up "
                    "Optuna re-suggests old points and the experiment never ends",
                    f"set maxTrialCount to the grid size{f' ({size})' if size else ''}")]


def make_grid(request: AlgorithmRequest) -> GridSuggester:
    return GridSuggester(request.parameters, seed_of(request))


ALGORITHMS = (
    Algorithm("multivariate-tpe", check_multivariate_tpe, make_multivariate_tpe,
              run_check=run_multivariate_tpe, unknown_settings=REJECTS, resumable=False),
    Algorithm("grid", check_grid, make_grid, lint=lint_grid, unknown_settings=REJECTS,
              resumable=False, repeats_points=False),
)
