"""`fixed-product`: NNI 1.x's FixedProductTuner (seed 000) as a local-engine algorithm.

The configurations and their order come from `kubetune.spec.fixed_product` (NNI 1.x grid over
the parameters, kept where |alpha * beta^2 * gamma^2 - product| < tolerance). Like NNI's grid
tuner, results are ignored: each call hands out the next configurations in order that no trial
has yet (any state, matched by value, so a resumed experiment never repeats one), and [] once
every configuration has been handed out — the engine then ends the experiment as exhausted.
"""

from __future__ import annotations

import math
from typing import Sequence

from kubetune.engine.suggest.base import Suggestion, SuggestionError, TrialView
from kubetune.engine.suggest.registry import AlgorithmRequest
from kubetune.engine.suggest.settings import float_setting
from kubetune.spec.fixed_product import DEFAULT_TOLERANCE, fixed_product_assignments

_REL_TOL = 1e-9


def _same(a: str | None, b: str) -> bool:
    if a is None:
        return False
    if a == b:
        return True
    try:
        return math.isclose(float(a), float(b), rel_tol=_REL_TOL, abs_tol=_REL_TOL)
    except ValueError:
        return False


class FixedProductSuggester:
    def __init__(self, configs: list[dict[str, str]]) -> None:
        self.configs = configs
        self._names = list(configs[0]) if configs else []
        self._exact = {tuple(c[n] for n in self._names): i for i, c in reversed(list(enumerate(configs)))}
        self._issued: set[int] = set()

    def _index_of(self, assignments: dict[str, str]) -> int | None:
        exact = self._exact.get(tuple(assignments.get(n) for n in self._names))
        if exact is not None:
            return exact
        for i, config in enumerate(self.configs):  # "1.15" written for 1.1500000000000001
            if all(_same(assignments.get(k), v) for k, v in config.items()):
                return i
        return None

    def suggest(self, count: int, trials: Sequence[TrialView]) -> list[Suggestion]:
        taken = set(self._issued)
        for view in trials:
            index = self._index_of(view.assignments)
            if index is not None:
                taken.add(index)
        picks = [i for i in range(len(self.configs)) if i not in taken][:max(count, 0)]
        self._issued.update(picks)
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
