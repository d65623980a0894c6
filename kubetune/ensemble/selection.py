"""Pick the k best members by their validation objective."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from kubetune.ensemble.predictions import EnsembleError


def select_top_k(scores: Sequence[float], k: int, objective_type: str = "maximize") -> list[int]:
    """Indices of the k best scores, best first; equal scores keep input order. k larger than the
    number of members selects them all (a search may end with fewer usable trials than asked)."""
    if objective_type not in ("maximize", "minimize"):
        raise EnsembleError(f"objective type {objective_type!r} is not maximize or minimize")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise EnsembleError(f"top-k must be an integer >= 1, got {k!r}")
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    if s.size == 0:
        raise EnsembleError("no scores to select from")
    if not np.all(np.isfinite(s)):
        raise EnsembleError(f"scores must be finite numbers, got {s.tolist()}")
    key = -s if objective_type == "maximize" else s
    order = np.argsort(key, kind="stable")
    return [int(i) for i in order[: min(int(k), s.size)]]
