"""The methods compared: kubetune algorithms (+ early-stopping rules) and the Optuna peer.

Settings are what a user would write: Katib's defaults where a setting is optional, the resource
settings of the multi-fidelity algorithms over the space's `epochs` (1..R, eta 3). A method whose
algorithm or early-stopping rule is not registered in this checkout is skipped with a note, so the
bench runs on any tree (`available_methods`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from efficiency.spaces import RESOURCE, Space

OPTUNA_PEER = "optuna-tpe+hyperband"


@dataclass(frozen=True)
class Method:
    name: str
    algorithm: str  # kubetune algorithm name; for the peer: "optuna"
    settings: dict[str, str] = field(default_factory=dict)  # {R} is replaced by the space's max epochs
    early_stopping: str | None = None
    early_stopping_settings: dict[str, str] = field(default_factory=dict)
    multi_fidelity: bool = False  # the resource `epochs` is a searched parameter

    @property
    def is_peer(self) -> bool:
        return self.algorithm == "optuna"

    def algorithm_settings(self, space: Space) -> dict[str, str]:
        return {k: v.replace("{R}", str(space.max_epochs)) for k, v in self.settings.items()}


_FIDELITY = {"resource_name": RESOURCE, "max_resource": "{R}", "min_resource": "1", "eta": "3"}

METHODS = (
    Method("random", "random"),
    Method("tpe", "tpe"),
    Method("tpe+medianstop", "tpe", early_stopping="medianstop"),
    Method("tpe+percentile", "tpe", early_stopping="percentile"),
    Method("tpe+successivehalving", "tpe", early_stopping="successivehalving"),
    Method("tpe+patience", "tpe", early_stopping="patience"),
    Method("hyperband", "hyperband", {"resource_name": RESOURCE, "r_l": "{R}", "eta": "3"}, multi_fidelity=True),
    Method("asha", "asha", dict(_FIDELITY), multi_fidelity=True),
    Method("asha-tpe", "asha", {**_FIDELITY, "sampler": "tpe"}, multi_fidelity=True),
    Method("bohb", "bohb", dict(_FIDELITY), multi_fidelity=True),
    Method(OPTUNA_PEER, "optuna"),
)


def available_methods(names: list[str] | None = None) -> tuple[list[Method], list[str]]:
    """The methods this checkout can run (all, or those named), and a note per skipped one."""
    from kubetune.algorithms import registered_algorithms
    from kubetune.algorithms.earlystopping import known_early_stopping

    algorithms, rules = set(registered_algorithms()), set(known_early_stopping())
    wanted = METHODS if not names else [m for m in METHODS if m.name in names]
    unknown = sorted(set(names or []) - {m.name for m in METHODS})
    if unknown:
        raise SystemExit(f"--methods: unknown {', '.join(unknown)}; known: {', '.join(m.name for m in METHODS)}")
    ok, notes = [], []
    for method in wanted:
        if not method.is_peer and method.algorithm not in algorithms:
            notes.append(f"{method.name}: skipped, algorithm {method.algorithm!r} is not registered")
        elif method.early_stopping and method.early_stopping not in rules:
            notes.append(f"{method.name}: skipped, early stopping {method.early_stopping!r} is not registered")
        else:
            ok.append(method)
    return ok, notes
