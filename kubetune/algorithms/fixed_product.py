"""`fixed-product`: kubetune's compound-scaling search (seed 000's NNI 1.x FixedProductTuner).

An Experiment with `algorithmName: fixed-product` has parameters `alpha`, `beta` and `gamma`
(EfficientNet's depth, width and resolution coefficients) and any others. The algorithm is NNI
1.x's grid search restricted to the points where `alpha * beta**2 * gamma**2` lies within
`tolerance` of `product` (strictly: |a*b^2*g^2 - product| < tolerance):

    algorithm:
      algorithmName: fixed-product
      algorithmSettings:
        - {name: product, value: "2"}        # required (NNI's classArgs.product)
        - {name: tolerance, value: "0.1"}    # optional; NNI hard-codes 0.1
    parameters:
      - {name: alpha, parameterType: double, feasibleSpace: {min: "1.0", max: "2.0", step: "0.05"}}
      - {name: beta,  parameterType: double, feasibleSpace: {min: "1.0", max: "1.5", step: "0.05"}}
      - {name: gamma, parameterType: double, feasibleSpace: {min: "1.0", max: "1.5", step: "0.05"}}

Each parameter is enumerated as NNI 1.x's grid does: double with step = `quniform [min, max,
step]` (k * step for k = round(min/step)..round(max/step), clipped to [min, max], so values carry
NNI's float artefacts such as 1.1500000000000001), int = min..max (by step), categorical and
discrete = the list; the cartesian product runs first parameter outermost, in spec order. The
computation is NNI's own (`nni_fixed_product`, shared with the NNI converter). Like NNI's grid
tuner, results are ignored: each call hands out the next configurations in that order that no
trial has yet (any state, matched by value, so a resumed experiment never repeats one), and []
once every configuration has been handed out: the experiment ends (Succeeded, "Suggestion
reached the end of the search space").

Katib has no such algorithm: on a cluster the same search is a `grid` over one categorical
parameter listing the allowed triples (docs/search-spaces.md, examples/compound-scaling/,
`kubetune convert katib`).
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from kubetune.algorithms._checks import AlgorithmContext, number_setting, unknown_setting
from kubetune.algorithms._enumerated import IssuedPoints, same_number
from kubetune.algorithms.base import Suggestion, SuggestionError, TrialView
from kubetune.algorithms.nni_fixed_product import fixed_product_configs, grid_values
from kubetune.algorithms.registry import Algorithm, AlgorithmRequest
from kubetune.algorithms.settings import float_setting
from kubetune.experiment.errors import Problem, error, warning
from kubetune.experiment.space import Parameter

NAME = "fixed-product"
SCALING_PARAMETERS = ("alpha", "beta", "gamma")
SETTINGS = ("product", "tolerance")
DEFAULT_TOLERANCE = 0.1
MAX_GRID = 1_000_000  # the whole grid is expanded before filtering, as NNI does


# ---- settings ----------------------------------------------------------------------------------

def check_fixed_product(ctx: AlgorithmContext) -> list[Problem]:
    """Settings and parameters the algorithm cannot run with (errors)."""
    problems: list[Problem] = []
    for i, name, _ in ctx.katib_settings():
        if name == "product" or name == "tolerance":
            problems += number_setting(ctx, i, "float", lambda v: math.isfinite(v) and v > 0, "a number > 0")
        else:
            problems.append(unknown_setting(ctx, i, SETTINGS))
    if ctx.index_of("product") is None:
        problems.append(error("spec.algorithm.algorithmSettings", "fixed-product needs the setting product",
                              'e.g. {name: product, value: "2"} (alpha * beta^2 * gamma^2 ~= product)'))
    params = dict((p.name, (i, p)) for i, p in ctx.parameters())
    for name in SCALING_PARAMETERS:
        if name not in params:
            problems.append(error("spec.parameters", f"fixed-product needs a parameter named {name}",
                                  "alpha (depth), beta (width), gamma (resolution), as in NNI's FixedProductTuner"))
    for name, (i, p) in params.items():
        path = f"spec.parameters[{i}]"
        if p.type == "double" and p.step is None:
            problems.append(error(f"{path}.feasibleSpace.step", f"fixed-product enumerates a grid: double "
                                  f"parameter {name} needs a step", 'e.g. step: "0.05"'))
        if name in SCALING_PARAMETERS and p.type in ("categorical", "discrete"):
            bad = [v for v in p.values if _float(v) is None]
            if bad:
                problems.append(error(f"{path}.feasibleSpace.list", f"{name} values must be numbers; found "
                                      f"{', '.join(bad)}"))
    return problems


def run_fixed_product(ctx: AlgorithmContext) -> list[Problem]:
    """A Katib cluster has no fixed-product (warning); a grid with no allowed point (error)."""
    problems = [warning("spec.algorithm.algorithmName", "fixed-product is kubetune's own algorithm (NNI's "
                        "FixedProductTuner): a Katib cluster rejects it",
                        "on a cluster, search the allowed triples with grid over one categorical parameter "
                        "(see docs/search-spaces.md)")]
    if check_fixed_product(ctx):
        return problems  # the errors are reported by the settings check
    settings = ctx.settings_dict
    try:
        configs = fixed_product_assignments([p for _, p in ctx.parameters()], float(settings["product"]),
                                            float(settings.get("tolerance", DEFAULT_TOLERANCE)))
    except ValueError as exc:
        return problems + [error("spec.parameters", str(exc))]
    if not configs:
        problems.append(error("spec.algorithm.algorithmSettings", "no point of the alpha/beta/gamma grid has "
                              "alpha * beta^2 * gamma^2 within tolerance of product",
                              "widen the grid, raise tolerance or change product"))
    return problems


# ---- the configurations ------------------------------------------------------------------------

def nni_space(parameters: Sequence[Parameter]) -> dict[str, dict[str, Any]]:
    """The parameters as the NNI 1.x search space whose grid fixed-product enumerates."""
    space: dict[str, dict[str, Any]] = {}
    for p in parameters:
        if p.type == "double":
            if p.step is None:
                raise ValueError(f"parameter {p.name}: a double needs a step for fixed-product")
            space[p.name] = {"_type": "quniform", "_value": [float(p.min), float(p.max), float(p.step)]}
        elif p.type == "int":
            space[p.name] = {"_type": "choice", "_value": list(range(int(p.min), int(p.max) + 1, int(p.step or 1)))}
        elif p.name in SCALING_PARAMETERS:
            space[p.name] = {"_type": "choice", "_value": [float(v) for v in p.values]}
        else:
            space[p.name] = {"_type": "choice", "_value": list(p.values)}
    return space


def grid_size(parameters: Sequence[Parameter]) -> int:
    """Points of the unfiltered grid (what NNI expands before filtering)."""
    return math.prod(len(grid_values(name, entry)) for name, entry in nni_space(parameters).items())


def fixed_product_assignments(parameters: Sequence[Parameter], product: float,
                              tolerance: float = DEFAULT_TOLERANCE) -> list[dict[str, str]]:
    """Every configuration fixed-product hands out, in NNI 1.x's order, as Katib value strings."""
    size = grid_size(parameters)
    if size > MAX_GRID:
        raise ValueError(f"the fixed-product grid has {size} points (at most {MAX_GRID}); use larger steps")
    by_name = {p.name: p for p in parameters}
    configs = fixed_product_configs(nni_space(parameters), product, tolerance)
    return [{name: _format(by_name[name], value) for name, value in config.items()} for config in configs]


def _format(param: Parameter, value: Any) -> str:
    if param.type == "double":
        return repr(float(value))  # NNI's exact float (k * step), e.g. 1.1500000000000001
    if param.type == "int":
        return str(int(value))
    if isinstance(value, float):  # a numeric list entry of alpha/beta/gamma: give back its text
        return next(v for v in param.values if _float(v) == value)
    return str(value)


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


# ---- sampling ----------------------------------------------------------------------------------

class FixedProductSuggester:
    def __init__(self, configs: list[dict[str, str]]) -> None:
        self.configs = configs
        self._names = list(configs[0]) if configs else []
        self._exact = {tuple(c[n] for n in self._names): i for i, c in reversed(list(enumerate(configs)))}
        self._issued = IssuedPoints(self._index_of)

    def _index_of(self, assignments: Mapping[str, str]) -> int | None:
        exact = self._exact.get(tuple(assignments.get(n) for n in self._names))
        if exact is not None:
            return exact
        for i, config in enumerate(self.configs):  # "1.15" written for 1.1500000000000001
            if all(k in assignments and (assignments[k] == v or same_number(assignments[k], v))
                   for k, v in config.items()):
                return i
        return None

    def suggest(self, count: int, trials: Sequence[TrialView]) -> list[Suggestion]:
        taken = self._issued.taken(trials)
        picks = [i for i in range(len(self.configs)) if i not in taken][:max(count, 0)]
        self._issued.issue(picks)
        return [Suggestion(assignments=dict(self.configs[i])) for i in picks]


def make_fixed_product(request: AlgorithmRequest) -> FixedProductSuggester:
    product = float_setting(request.settings, "product", None)
    if product is None:  # the settings check requires it; keep a clear message for direct callers
        raise SuggestionError("algorithm 'fixed-product' needs the setting product")
    tolerance = float_setting(request.settings, "tolerance", DEFAULT_TOLERANCE)
    try:
        configs = fixed_product_assignments(request.parameters, product, tolerance)
    except ValueError as exc:
        raise SuggestionError(f"algorithm 'fixed-product': {exc}") from exc
    if not configs:
        raise SuggestionError("algorithm 'fixed-product': no point of the grid has alpha * beta^2 * gamma^2 "
                              f"within {tolerance} of {product}")
    return FixedProductSuggester(configs)


ALGORITHMS = (Algorithm(NAME, check_fixed_product, make_fixed_product, run_check=run_fixed_product),)
