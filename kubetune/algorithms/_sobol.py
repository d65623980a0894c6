"""kubetune's `sobol` sampler: quasi-random points of an unscrambled Sobol sequence.

Katib runs sobol on goptuna's Sobol sampler: one sequence over the parameters sorted by name,
starting at the sequence's second point (0.5, 0.5, ...), settings ignored. Backend here:
`scipy.stats.qmc.Sobol(scramble=False)`, the engine Optuna's QMCSampler wraps, used directly so
that point k of the experiment is always sequence point k + 1: a resumed experiment continues the
sequence where it stopped (the k-th point is indexed by the number of trials so far), where
QMCSampler (and goptuna, which cannot resume at all) would start over.

Each coordinate is mapped through the parameter's prior (`ParamCodec.from_unit`): uniform over
the [min, max] range or step grid (goptuna's int mapping never reaches max; ours does), log-uniform
for double logUniform, list index floor(u * n) for categorical/discrete. As in Katib's goptuna
service since PR #2689, normal/logNormal and int logUniform are rejected unless
`kubetune.allow_normal: "true"` is set (kubetune.algorithms.goptuna.make_sobol). Settings are
ignored (goptuna's `run_sobol` warns about each one).
"""

from __future__ import annotations

import warnings
from typing import Sequence

from kubetune.algorithms.base import Suggestion, TrialView
from kubetune.algorithms.space import SearchSpace


class SobolSuggester:
    def __init__(self, parameters: Sequence) -> None:
        space = SearchSpace(parameters)
        self._names = space.names
        self._codecs = sorted(space.codecs, key=lambda c: c.name)  # goptuna sorts by name
        self._issued = 0

    def points(self, start: int, count: int) -> list[list[float]]:
        """Sequence points start + 1 .. start + count (point 0, all zeros, is skipped)."""
        from scipy.stats import qmc  # scipy.stats takes ~1 s to import; only sobol needs it

        engine = qmc.Sobol(d=len(self._codecs), scramble=False)
        engine.fast_forward(start + 1)
        with warnings.catch_warnings():  # "balance properties" warning for non-powers of 2
            warnings.simplefilter("ignore", UserWarning)
            return engine.random(count).tolist()

    def suggest(self, count: int, trials: Sequence[TrialView]) -> list[Suggestion]:
        if count <= 0:
            return []
        start = max(len(trials), self._issued)
        self._issued = start + count
        out = []
        for point in self.points(start, count):
            values = {c.name: c.from_unit(u) for c, u in zip(self._codecs, point)}
            out.append(Suggestion(assignments={n: values[n] for n in self._names}))
        return out

