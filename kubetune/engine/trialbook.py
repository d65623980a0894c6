"""The engine's in-memory index of its trials, kept in step with the state file.

The loop asks for counts, the best trial and the algorithm's view of every trial on each
iteration; computing them from scratch is O(trials) each time (quadratic over an experiment).
The book updates them as trials change instead.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence

from kubetune.algorithms import SuggestionError, TrialView
from kubetune.algorithms.earlystopping import early_stopping_rule, rule_to_dict
from kubetune.results import Counts, TrialRow, better, objective_value, optimal_trial


class TrialBook:
    def __init__(self, rows: Iterable[TrialRow], objective_type: str, strategies: dict[str, str] | None = None):
        self.objective_type = objective_type
        self.strategies = strategies or {}
        self.rows: dict[str, TrialRow] = {}
        self.by_state: Counter = Counter()
        self._views: dict[str, TrialView] = {}
        self.intermediate: dict[str, Sequence[float]] = {}  # objective values in report order (finished trials)
        # Succeeded trials' objective values in Katib's DB order (time, then report order), which
        # early-stopping services read; a text float() rejects stays text (Katib's service fails on it).
        self.curves: dict[str, Sequence[float | str]] = {}
        self._seen_succeeded: list[str] = []  # the order a service first saw them succeeded
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
        if row.terminal and better(row, self.best, self.objective_type):
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
                                 dict(row.labels), self.intermediate.get(name, ()))
                if row.terminal:  # only finished trials are stable enough to cache
                    self._views[name] = view
            out.append(view)
        return out

    def succeeded_curves(self) -> list[Sequence[float | str]]:
        """What an early-stopping service is given for the rule of trials created now: each
        Succeeded trial's curve (DB order), in the order the service first saw them succeeded
        (Katib's medianstop sums its per-trial averages in that order); new ones in creation order."""
        seen = set(self._seen_succeeded)
        self._seen_succeeded += [n for n, r in self.rows.items() if r.state == "Succeeded" and n not in seen]
        return [self.curves.get(n, ()) for n in self._seen_succeeded if n in self.rows]

    def succeeded_names(self) -> list[str]:
        """The trials of the last succeeded_curves(), in its order."""
        return [n for n in self._seen_succeeded if n in self.rows]


    def rule_for_new_trials(self, algorithm: str, objective_type: str, settings, metric_name: str) -> dict | None:
        """The early-stopping service's rule for trials created now (GetEarlyStoppingRules), as
        Trial.spec.earlyStoppingRules holds it; None while it has none. A history the service
        cannot use (Katib's medianstop calls float() on a text) fails the suggestion, naming the
        trial: on Katib every later GetEarlyStoppingRules fails the same way and no trial is created."""
        curves = self.succeeded_curves()
        try:
            rule = early_stopping_rule(algorithm, curves, objective_type, settings, metric_name=metric_name)
        except ValueError as e:
            index, names = getattr(e, "index", None), self.succeeded_names()
            who = f" (trial {names[index]})" if isinstance(index, int) and 0 <= index < len(names) else ""
            raise SuggestionError(f"early stopping {algorithm}{who}: {e}") from None
        return None if rule is None else rule_to_dict(rule)
