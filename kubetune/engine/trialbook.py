"""The engine's in-memory index of its trials, kept in step with the state file.

The loop asks for counts, the best trial and the algorithm's view of every trial on each
iteration; computing them from scratch is O(trials) each time (quadratic over an experiment).
The book updates them as trials change instead.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable

from kubetune.algorithms import TrialView
from kubetune.results import Counts, TrialRow, better, optimal_trial

from .objective import objective_value


class TrialBook:
    def __init__(self, rows: Iterable[TrialRow], objective_type: str, strategies: dict[str, str] | None = None):
        self.objective_type = objective_type
        self.strategies = strategies or {}
        self.rows: dict[str, TrialRow] = {}
        self.by_state: Counter = Counter()
        self._views: dict[str, TrialView] = {}
        self.intermediate: dict[str, list[float]] = {}  # objective values in report order
        for row in rows:
            self._index(row)
        self.best: TrialRow | None = optimal_trial(list(self.rows.values()), objective_type)

    def _index(self, row: TrialRow) -> None:
        old = self.rows.get(row.name)
        if old is not None:
            self.by_state[old.state] -= 1
        self.rows[row.name] = row
        self.by_state[row.state] += 1
        self._views.pop(row.name, None)

    def put(self, row: TrialRow) -> None:
        self._index(row)
        if row.terminal and row.objective is not None and better(row, self.best, self.objective_type):
            self.best = row

    def __getitem__(self, name: str) -> TrialRow:
        return self.rows[name]

    def __len__(self) -> int:
        return len(self.rows)

    def counts(self) -> Counts:
        return Counts.of_states(self.by_state)

    def views(self) -> list[TrialView]:
        out = []
        for name, row in self.rows.items():
            view = self._views.get(name)
            if view is None:
                # each metric as its strategy selects it (Katib sends suggestion services these, 5.7)
                metrics = {m: v for m in row.observation
                           if (v := objective_value(row.observation, m, self.strategies.get(m, "latest"))) is not None}
                view = TrialView(row.name, dict(row.assignments), row.state, row.objective, metrics,
                                 dict(row.labels), tuple(self.intermediate.get(name, ())))
                if row.terminal:  # only finished trials are stable enough to cache
                    self._views[name] = view
            out.append(view)
        return out

    def succeeded_curves(self) -> list[list[float]]:
        return [self.intermediate.get(r.name, []) for r in self.rows.values() if r.state == "Succeeded"]

