"""What kubetune's own early-stopping rules share: reading checked settings, best-so-far values."""
from __future__ import annotations

import math
from typing import Iterable, Mapping

from kubetune.algorithms._checks import EARLY_STOPPING_PATH, AlgorithmContext, Check
from kubetune.results import MAXIMIZE, check_objective_type


def checked_settings(name: str, check: Check, settings: Mapping[str, object] | None) -> dict[str, str]:
    """The settings as a name -> text dict after the rule's own check (what `kubetune validate`
    reports); ValueError naming the field on the first error."""
    pairs = tuple((str(k), str(v)) for k, v in (settings or {}).items())
    errors = [p for p in check(AlgorithmContext(name, pairs, {}, EARLY_STOPPING_PATH)) if p.is_error]
    if errors:
        raise ValueError(str(errors[0]))
    return dict(pairs)


def best(values: Iterable[float], objective_type: str) -> float | None:
    """The best finite value (max for maximize, min for minimize), as Katib's sidecar compares;
    None when there is none."""
    finite = [float(v) for v in values if math.isfinite(float(v))]
    if not finite:
        return None
    return max(finite) if check_objective_type(objective_type) == MAXIMIZE else min(finite)


def strictly_better(a: float, b: float, objective_type: str) -> bool:
    return a > b if objective_type == MAXIMIZE else a < b
