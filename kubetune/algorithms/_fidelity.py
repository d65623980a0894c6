"""What the multi-fidelity algorithms asha and bohb share: their resource settings and the
model that proposes new configurations from the results of one budget.

Resource settings (both algorithms; Katib's hyperband names where it has one):

* `resource_name` (required): the parameter that receives the budget (e.g. epochs); int or
  double, and every budget the plan uses must lie in its feasible space (bounds, step).
* `max_resource` or its Katib-hyperband spelling `r_l` (required, one of them): the largest
  budget R, a number > 0.
* `min_resource` (default 1): the smallest budget r, a number with 0 < r <= R.
* `eta` (default 3): the reduction factor, an integer >= 2. (Katib's hyperband reads
  int(float(eta)) and turns values <= 0 into 3; these kubetune-only algorithms refuse such
  values instead.)
* `random_state` (int >= 0): seeds sampling; without it, kubetune run's --seed.

The model (`BudgetModel`, BOHB's, Falkner et al. 2018 section 3.1): observations are the
Succeeded trials with a finite objective, grouped by the value of the resource parameter; the
model is fitted on the largest budget holding at least `min_points_in_model` observations
(default and minimum: d + 1 for d searched parameters, as in hpbandster). A fraction
`random_fraction` of new configurations is sampled at random, the rest from a multivariate TPE
(kernel density estimates of the best `top_n_percent` per cent vs the rest, optuna's
TPESampler(multivariate=True), `num_samples` candidates maximising the density ratio). Everything
is recomputed from the trial list on each call and seeded from (random_state, number of
trials), so a fresh suggester on the same list suggests the same configurations.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from kubetune.algorithms._checks import (
    AlgorithmContext,
    above,
    choice_setting,
    needs_parameters,
    non_negative_int,
    number_setting,
    parses,
    settings_table,
)
from kubetune.algorithms._values import finite
from kubetune.algorithms.base import SUCCEEDED, TrialView
from kubetune.experiment.errors import Problem, did_you_mean, error, show

if TYPE_CHECKING:  # the model's optuna loads when a suggester is built: the settings checks need none of it
    import optuna
    from optuna.study import StudyDirection

DEFAULT_ETA = 3
SAMPLERS = ("random", "tpe")


# ---- settings ----------------------------------------------------------------------------------

def resource_rules(ctx: AlgorithmContext) -> dict[str, Callable[[int], list[Problem]]]:
    """Per-setting rules of the resource settings (for settings_table)."""
    def positive(i: int) -> list[Problem]:
        return number_setting(ctx, i, "float", lambda v: 0 < v < math.inf, "a number > 0")

    def resource_name(i: int) -> list[Problem]:
        value = ctx.settings[i][1]
        names = [p.get("name") for p in ctx.raw_parameters() if isinstance(p.get("name"), str)]
        if value in names:
            return []
        return [error(ctx.setting_path(i), f"resource_name: {show(value)} is not a parameter name",
                      did_you_mean(value, names) or f"name one of spec.parameters: {', '.join(names) or 'none'}")]

    return {
        "resource_name": resource_name,
        "max_resource": positive,
        "r_l": positive,
        "min_resource": positive,
        "eta": lambda i: number_setting(ctx, i, "int", lambda v: v >= 2, "an integer >= 2"),
        "random_state": non_negative_int(ctx),
    }


def model_rules(ctx: AlgorithmContext) -> dict[str, Callable[[int], list[Problem]]]:
    """Rules of the model settings (bohb, and asha with sampler: tpe)."""
    return {
        "min_points_in_model": non_negative_int(ctx),
        "top_n_percent": lambda i: number_setting(ctx, i, "float", lambda v: 0 < v < 100, "in (0, 100)"),
        "num_samples": lambda i: number_setting(ctx, i, "int", above(0), "an integer > 0"),
        "random_fraction": lambda i: number_setting(ctx, i, "float", lambda v: 0 <= v <= 1, "in [0, 1]"),
    }


def sampler_rule(ctx: AlgorithmContext) -> Callable[[int], list[Problem]]:
    return lambda i: choice_setting(ctx, i, SAMPLERS)


def check_fidelity(ctx: AlgorithmContext, own: dict[str, Callable[[int], list[Problem]]]) -> list[Problem]:
    """The whole settings check: each setting by its rule (the resource and model settings, then
    the algorithm's `own`), unknown names refused, then the rules between settings (required
    ones, one spelling of R, r <= R)."""
    table = {**resource_rules(ctx), **model_rules(ctx), **own}
    problems = needs_parameters(ctx) + settings_table(ctx, table)
    settings = {name: value for _, name, value in ctx.katib_settings()}
    where = f"{ctx.path}.algorithmSettings"
    if "resource_name" not in settings:
        problems.append(error(where, f"{ctx.name} needs the setting resource_name",
                              "the parameter that receives the budget, e.g. epochs"))
    if "max_resource" in settings and "r_l" in settings:
        problems.append(error(ctx.setting_path(ctx.index_of("r_l"), "name"),
                              "max_resource and r_l are the same setting; give one of them"))
    elif "max_resource" not in settings and "r_l" not in settings:
        problems.append(error(where, f"{ctx.name} needs the setting max_resource (or r_l)",
                              "the largest budget, e.g. the most epochs a trial may train"))
    high_name = "max_resource" if "max_resource" in settings else "r_l"
    ok_hi, high = parses(float, settings.get(high_name, ""))
    ok_lo, low = parses(float, settings.get("min_resource", "1"))
    if ok_hi and ok_lo and 0 < low and 0 < high < low:
        i = ctx.index_of("min_resource")
        problems.append(error(ctx.setting_path(i) if i is not None else where,
                              f"min_resource: found {show(settings.get('min_resource', '1'))}; must be at most "
                              f"{high_name} ({show(settings[high_name])})"))
    return problems


@dataclass(frozen=True)
class FidelitySettings:
    resource_name: str
    min_resource: float
    max_resource: float
    eta: int
    seed: int | None


def parse_fidelity(settings: dict[str, str], seed: int | None) -> FidelitySettings:
    """The resource settings, already checked by `check_fidelity`."""
    high = settings.get("max_resource", settings.get("r_l"))
    return FidelitySettings(settings["resource_name"], float(settings.get("min_resource", "1")), float(high),
                            int(settings.get("eta", DEFAULT_ETA)),
                            int(settings["random_state"]) if "random_state" in settings else seed)


# ---- the model ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ModelSettings:
    min_points_in_model: int = 0
    top_n_percent: float = 15.0
    num_samples: int = 64
    random_fraction: float = 1 / 3

    @classmethod
    def from_settings(cls, settings: dict[str, str]) -> "ModelSettings":
        return cls(int(settings.get("min_points_in_model", 0)), float(settings.get("top_n_percent", 15)),
                   int(settings.get("num_samples", 64)), float(settings.get("random_fraction", 1 / 3)))


class BudgetModel:
    """BOHB's proposal of new configurations (module docstring): random, or TPE over the largest
    budget with enough observations. `resource_name` is left out of the model and set by the
    caller; `sample` returns the other parameters' assignments."""

    def __init__(self, parameters: Sequence[Any], resource_name: str, direction: StudyDirection,
                 settings: ModelSettings) -> None:
        from kubetune.algorithms.space import SearchSpace

        self._searched = [p for p in parameters if p.name != resource_name]
        self._space = SearchSpace(self._searched)
        self._resource_name = resource_name
        self._direction = direction
        self.settings = settings
        self.min_points = max(settings.min_points_in_model, len(self._searched) + 1)

    def model_budget(self, trials: Sequence[TrialView]) -> tuple[str | None, list[TrialView]]:
        """(budget value, its observations) of the largest budget with at least min_points
        observations; (None, []) while no budget has that many."""
        groups: dict[str, list[TrialView]] = {}
        for t in trials:
            if t.state == SUCCEEDED and finite(t.objective) and self._resource_name in t.assignments:
                groups.setdefault(t.assignments[self._resource_name], []).append(t)
        usable = [(float(b), b) for b, ts in groups.items() if len(ts) >= self.min_points and _is_number(b)]
        if not usable:
            return None, []
        _, budget = max(usable)
        return budget, groups[budget]

    def _random(self, rng: np.random.Generator) -> dict[str, str]:
        return {c.name: c.from_unit(rng.random()) for c in self._space.codecs}

    def sample(self, count: int, rng: np.random.Generator, trials: Sequence[TrialView],
               use_model: bool = True) -> list[dict[str, str]]:
        """`count` configurations (without the resource parameter)."""
        from kubetune.algorithms.optuna_study import quiet_optuna

        if count <= 0:
            return []
        _, observed = self.model_budget(trials) if use_model else (None, [])
        random_draws = [not observed or rng.random() < self.settings.random_fraction for _ in range(count)]
        study = None if all(random_draws) else self._study(observed, int(rng.integers(2**31 - 1)))
        out = []
        for is_random in random_draws:
            if is_random:
                out.append(self._random(rng))
            else:
                with quiet_optuna():
                    trial = study.ask(self._space.optuna_distributions)
                out.append(self._space.from_optuna(trial.params))
        return out

    def _study(self, observed: list[TrialView], seed: int) -> optuna.Study:
        import optuna
        from optuna.samplers import TPESampler
        from optuna.trial import TrialState, create_trial

        from kubetune.algorithms.optuna_study import quiet_optuna

        top = self.settings.top_n_percent / 100.0
        distributions = self._space.optuna_distributions
        with quiet_optuna():
            sampler = TPESampler(n_startup_trials=0, n_ei_candidates=self.settings.num_samples, multivariate=True,
                                 gamma=lambda n: max(1, int(top * n)), seed=seed)
            study = optuna.create_study(direction=self._direction, sampler=sampler)
            for t in sorted(observed, key=lambda v: v.name):
                try:
                    params = self._space.to_optuna({k: v for k, v in t.assignments.items()
                                                    if k != self._resource_name})
                except (KeyError, ValueError):
                    continue  # a trial that does not fit the space (edited spec): not modelled
                study.add_trial(create_trial(state=TrialState.COMPLETE, params=params,
                                             distributions=distributions, value=float(t.objective)))
        return study


def _is_number(text: str) -> bool:
    ok, value = parses(float, text)
    return ok and math.isfinite(value)
