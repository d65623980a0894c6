"""What the algorithms over a finite list of points (grid, fixed-product) share: never hand out a
point twice, even after a restart.

A point counts as taken when this suggester issued it or when any trial (in any state) has it,
matched by value, so a re-created suggester (a resumed experiment) never repeats one. Value
strings are compared as numbers where they parse: "0.3" and "0.30000000000000004", or "1.15"
written for NNI's 1.1500000000000001, are the same point.
"""
from __future__ import annotations

import math
from typing import Callable, Iterable, Mapping, Sequence

from kubetune.algorithms.base import TrialView

_REL_TOL = 1e-9


def same_number(a: str | float, b: str | float) -> bool:
    """True when both are numbers (or number strings) that agree to ~1e-9 (binary rounding apart)."""
    try:
        return math.isclose(float(a), float(b), rel_tol=_REL_TOL, abs_tol=_REL_TOL)
    except ValueError:
        return False


class IssuedPoints:
    """The indices of points already handed out; `index_of` maps assignments to a point's index
    (None when they match no point)."""

    def __init__(self, index_of: Callable[[Mapping[str, str]], int | None]) -> None:
        self._index_of = index_of
        self._issued: set[int] = set()

    def taken(self, trials: Sequence[TrialView]) -> set[int]:
        """Every index issued here or held by a trial."""
        taken = set(self._issued)
        for view in trials:
            index = self._index_of(view.assignments)
            if index is not None:
                taken.add(index)
        return taken

    def issue(self, indices: Iterable[int]) -> None:
        self._issued.update(indices)
