"""kubetune's `grid` sampler: every combination of the per-parameter value lists, each once.

Katib runs grid on Optuna's GridSampler (optuna service) over
`HyperParameterSearchSpace.convert_to_combinations`: int -> range(min, max + 1, step) (step 1 by
default), double -> numpy arange(min, max + step, step) without values above max (a step is
required), categorical/discrete -> the list; distributions are ignored. `Parameter.grid_values()`
builds exactly those lists. GridSampler picks uniformly at random among the unvisited grid points
(seeded by `random_state`); so do we, but from the trial list: every point any trial already has
(in any state, as GridSampler counts finished and running trials) is visited, so a re-created
suggester never repeats a point. When no point is left we return [] — the exhaustion signal Katib
lacks (Optuna's GridSampler starts repeating points instead; Katib avoids that only through
validation: maxTrialCount must not exceed the number of combinations, a rule of `check_grid` in
kubetune.algorithms.optuna, next to the factory).

Backend: kubetune's own enumerator (Python `random.Random(random_state)` picks the order), not
GridSampler itself, because GridSampler only recognises points it asked for (its trials carry a
`grid_id` system attribute), which breaks "never repeat" for a resumed experiment.
"""

from __future__ import annotations

import math
import random
from typing import Any, Mapping, Sequence

from kubetune.algorithms._enumerated import IssuedPoints, same_number
from kubetune.algorithms.base import Suggestion, SuggestionError, TrialView

_ENUMERATE_BELOW = 200_000  # list the unvisited points outright when the grid is this small


def grid_lists(parameters: Sequence[Any]) -> list[list[str]]:
    """The value list of each parameter, as Katib's grid builds them."""
    lists = []
    for p in parameters:
        if p.type == "double" and p.step is None:
            # Katib's message (internal/search_space.py convert_to_combinations).
            raise SuggestionError(
                f"Param {p.name} step is nil; For discrete search space, all parameters "
                "must include step"
            )
        try:
            values = list(p.grid_values())
        except Exception as exc:
            raise SuggestionError(f"parameter {p.name!r}: cannot build its grid: {exc}") from exc
        if not values:
            raise SuggestionError(f"parameter {p.name!r}: its grid is empty")
        lists.append(values)
    return lists


def grid_size(parameters: Sequence[Any]) -> int:
    """Number of grid combinations (what Katib compares maxTrialCount with)."""
    return math.prod(len(values) for values in grid_lists(parameters))


class _ValueIndex:
    """Finds a value string's position in one parameter's grid list."""

    def __init__(self, param: Any, values: list[str]) -> None:
        self.exact = {v: i for i, v in enumerate(values)}
        self.numbers: list[float] | None = None
        if param.type in ("int", "double"):
            self.numbers = [float(v) for v in values]

    def find(self, value: str | None) -> int | None:
        if value is None:
            return None
        if value in self.exact:
            return self.exact[value]
        if self.numbers is None:
            return None
        try:
            x = float(value)
        except ValueError:
            return None
        return next((i for i, y in enumerate(self.numbers) if same_number(x, y)), None)


class GridSuggester:
    def __init__(self, parameters: Sequence[Any], seed: int | None) -> None:
        self._names = [p.name for p in parameters]
        if len(set(self._names)) != len(self._names):  # a point is a name -> value mapping
            raise SuggestionError(f"duplicated parameter names in {self._names}")
        self._lists = grid_lists(parameters)
        self._index = [_ValueIndex(p, v) for p, v in zip(parameters, self._lists)]
        self._sizes = [len(v) for v in self._lists]
        self.size = math.prod(self._sizes)
        self._rng = random.Random(seed)
        self._issued = IssuedPoints(self._grid_id)

    def _grid_id(self, assignments: Mapping[str, str]) -> int | None:
        grid_id = 0
        for name, index, size in zip(self._names, self._index, self._sizes):
            position = index.find(assignments.get(name))
            if position is None:
                return None
            grid_id = grid_id * size + position
        return grid_id

    def _assignments(self, grid_id: int) -> dict[str, str]:
        positions = []
        for size in reversed(self._sizes):
            grid_id, position = divmod(grid_id, size)
            positions.append(position)
        positions.reverse()
        return {n: values[i] for n, values, i in zip(self._names, self._lists, positions)}

    def _picks(self, visited: set[int], count: int) -> list[int]:
        """Up to `count` distinct unvisited grid ids, uniformly at random."""
        remaining = self.size - len(visited)
        count = min(count, remaining)
        if count <= 0:
            return []
        if self.size <= _ENUMERATE_BELOW or remaining * 2 < self.size:
            unvisited = [i for i in range(self.size) if i not in visited]
            return self._rng.sample(unvisited, count)
        picks: list[int] = []
        chosen = set(visited)
        while len(picks) < count:  # a huge, mostly unvisited grid: rejection ends quickly
            grid_id = self._rng.randrange(self.size)
            if grid_id not in chosen:
                chosen.add(grid_id)
                picks.append(grid_id)
        return picks

    def suggest(self, count: int, trials: Sequence[TrialView]) -> list[Suggestion]:
        picks = self._picks(self._issued.taken(trials), count)
        self._issued.issue(picks)
        return [Suggestion(assignments=self._assignments(grid_id)) for grid_id in picks]

