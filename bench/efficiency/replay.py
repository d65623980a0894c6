"""Replay every method over a table, several seeds each, on the same virtual cluster and budget."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from efficiency import simulate
from efficiency.methods import Method
from efficiency.table import Table


@dataclass
class Results:
    """Traces per space and method (one per seed), and how long the replays took."""

    budget: dict[str, float] = field(default_factory=dict)  # space -> B in epochs
    traces: dict[str, dict[str, list[simulate.Trace]]] = field(default_factory=dict)
    replay_seconds: dict[str, dict[str, float]] = field(default_factory=dict)


def driver_for(table: Table, method: Method, seed: int):
    if method.is_peer:
        from efficiency.optuna_peer import OptunaDriver
        return OptunaDriver(table, seed)
    from efficiency.kubetune_driver import KubetuneDriver
    return KubetuneDriver(table, method, seed)


def replay_one(table: Table, method: Method, seed: int, *, parallel: int, cap_epochs: float) -> simulate.Trace:
    return simulate.run(driver_for(table, method, seed), parallel, cap_epochs)


def replay_all(tables: list[Table], methods: list[Method], seeds: list[int], *, parallel: int,
               cap_factor: float = 2.0, progress=print) -> Results:
    """Each method and seed runs until cap_factor x the space's budget B (to see when a method
    reaches random search's final best even after B); results are read off at B and below."""
    results = Results()
    for table in tables:
        budget = table.space.budget_epochs
        results.budget[table.space.name] = budget
        per_method = results.traces.setdefault(table.space.name, {})
        for method in methods:
            t0 = time.perf_counter()
            per_method[method.name] = [replay_one(table, method, seed, parallel=parallel,
                                                  cap_epochs=cap_factor * budget) for seed in seeds]
            spent = time.perf_counter() - t0
            results.replay_seconds.setdefault(table.space.name, {})[method.name] = spent
            progress(f"[replay] {table.space.name:13s} {method.name:22s} {len(seeds)} seeds in {spent:5.1f} s")
    return results
