"""`bohb` (kubetune only): BOHB, Falkner, Klein & Hutter, "BOHB: Robust and Efficient
Hyperparameter Optimization at Scale" (ICML 2018). Katib has no BOHB service.

Hyperband's brackets (hyperband.py's `BracketScheduler`, the same scheduler as `hyperband`,
state in the same trial labels) whose new configurations come from a model instead of uniform
sampling: a multivariate TPE fitted on the results of the largest budget that has enough of
them (`_fidelity.BudgetModel`), with a fraction of random configurations. Promotions re-run a
configuration with the larger budget and its other values unchanged; with the kubetune trainer
they continue from the lower budget's checkpoint (the engine gives every trial a checkpoint
pool, docs/multi-fidelity.md).

Settings (kubetune validate checks them; unknown names are errors):

* resource settings (`_fidelity`): `resource_name`, `max_resource` (or `r_l`), `min_resource`
  (default 1), `eta` (default 3), `random_state`. The plan is Hyperband's with
  s_max = floor(log_eta(max_resource / min_resource)) (BOHB's min_budget / max_budget).
* model settings, hpbandster's names and defaults: `min_points_in_model` (default d + 1),
  `top_n_percent` (15), `num_samples` (64), `random_fraction` (1/3).
* `iterations` (int >= 1): passes over all brackets; unset, bohb keeps starting new passes
  until maxTrialCount (as NNI's and hpbandster's BOHB do), so set maxTrialCount.

Differences from hpbandster's BOHB: the kernel density estimates are optuna's (TPESampler with
multivariate=True: its own bandwidth rule, so `bandwidth_factor` and `min_bandwidth` are not
settings); like kubetune's hyperband, a round waits for the previous one to finish before
promoting (hpbandster may start the next iteration's brackets meanwhile: use asha for a search
that never leaves a slot idle).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from kubetune.algorithms._checks import AlgorithmContext, number_setting, at_least
from kubetune.algorithms._fidelity import (
    BudgetModel,
    FidelitySettings,
    ModelSettings,
    check_fidelity,
    parse_fidelity,
)
from kubetune.algorithms.base import TrialView
from kubetune.algorithms.hyperband import BracketScheduler, check_resource, hyperband_plan, plan_resources
from kubetune.algorithms.registry import REJECTS, Algorithm, AlgorithmRequest
from kubetune.algorithms.settings import int_setting
from kubetune.experiment.errors import Problem, warning
from kubetune.experiment.types import Experiment

if TYPE_CHECKING:  # optuna loads when a suggester is built, not with the checks
    from optuna.study import StudyDirection

NAME = "bohb"


def check_bohb(ctx: AlgorithmContext) -> list[Problem]:
    return check_fidelity(ctx, {
        "iterations": lambda i: number_setting(ctx, i, "int", at_least(1), "an integer >= 1")})


def lint_bohb(exp: Experiment) -> list[Problem]:
    settings = exp.algorithm.settings or {}
    if exp.spec.get("maxTrialCount") is None and "iterations" not in settings:
        return [warning("spec.maxTrialCount", "bohb keeps starting new passes over its brackets until "
                        "maxTrialCount; without it (and without the setting iterations) it never ends",
                        "set maxTrialCount, or the bohb setting iterations")]
    return []


class BohbSuggester(BracketScheduler):
    def __init__(self, parameters: Sequence[Any], fidelity: FidelitySettings, model: ModelSettings,
                 direction: StudyDirection, iterations: int | None) -> None:
        plan = hyperband_plan(fidelity.max_resource, fidelity.eta, fidelity.min_resource)
        super().__init__(parameters, fidelity.resource_name, plan, direction, fidelity.seed, iterations,
                         iteration_label=True)
        self.model = BudgetModel(parameters, fidelity.resource_name, direction, model)

    def new_configurations(self, count: int, rng: np.random.Generator, trials: Sequence[TrialView],
                           resource: int) -> list[dict[str, str]]:
        out = []
        for assignments in self.model.sample(count, rng, trials):
            assignments[self._resource.name] = self._resource.format(resource)
            out.append(assignments)
        return out


def make_bohb(request: AlgorithmRequest) -> BohbSuggester:
    fidelity = parse_fidelity(dict(request.settings), request.seed)
    plan = hyperband_plan(fidelity.max_resource, fidelity.eta, fidelity.min_resource)
    check_resource(request.parameters, fidelity.resource_name, plan_resources(plan), request.algorithm,
                   f"min_resource={fidelity.min_resource:g}, max_resource={fidelity.max_resource:g} and "
                   f"eta={fidelity.eta}")
    return BohbSuggester(request.parameters, fidelity, ModelSettings.from_settings(dict(request.settings)),
                         request.direction, int_setting(request.settings, "iterations", None))


ALGORITHMS = (
    Algorithm(NAME, check_bohb, make_bohb, lint=lint_bohb, unknown_settings=REJECTS, repeats_points=False,
              promotes=True),
)
