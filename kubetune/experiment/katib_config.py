"""Which algorithm names an Experiment may use: the webhook's lookup in katib-config.

Katib's admission webhook accepts `spec.algorithm.algorithmName` only when katib-config lists a
suggestion service for it ("unable to get Suggestion config data"), and
`spec.earlyStopping.algorithmName` only when it lists an early-stopping service
(katib-semantics 2.1, 3.1, 8.3). This module is that list of names and nothing more: the services
themselves (settings checks, sampling, rules) live in `kubetune.algorithms`, which adds the names
of algorithms registered at run time here. tests/algorithms checks that every built-in service
is listed, so loading an Experiment needs no algorithm code.
"""
from __future__ import annotations

# Katib's default katib-config (3.1).
KATIB_ALGORITHMS = ("random", "tpe", "grid", "multivariate-tpe", "cmaes", "sobol", "bayesianoptimization",
                    "hyperband", "pbt", "enas", "darts")
KATIB_EARLY_STOPPING = ("medianstop",)
# kubetune's own (kubetune.experiment.extensions): a Katib cluster rejects them.
KUBETUNE_ALGORITHMS = ("fixed-product", "asha", "bohb")
KUBETUNE_EARLY_STOPPING = ("percentile", "successivehalving", "patience")

_added_algorithms: set[str] = set()
_added_early_stopping: set[str] = set()


def add_algorithm(name: str) -> None:
    """List a suggestion algorithm registered at run time (kubetune.algorithms does this)."""
    _added_algorithms.add(name)


def add_early_stopping(name: str) -> None:
    _added_early_stopping.add(name)


def remove_algorithm(name: str) -> None:
    """Forget a suggestion algorithm added at run time (the built-in names stay; an early-stopping
    algorithm of the same name stays listed)."""
    _added_algorithms.discard(name)


def remove_early_stopping(name: str) -> None:
    """Forget an early-stopping algorithm added at run time (the built-in names stay)."""
    _added_early_stopping.discard(name)


def known_algorithms() -> list[str]:
    return sorted(set(KATIB_ALGORITHMS) | set(KUBETUNE_ALGORITHMS) | _added_algorithms)


def known_early_stopping() -> list[str]:
    return sorted(set(KATIB_EARLY_STOPPING) | set(KUBETUNE_EARLY_STOPPING) | _added_early_stopping)
