"""Observed values the samplers may use: a trial's objective or intermediate value counts only when
it is a real, finite number (a NaN or an infinity from a diverged run would poison a model)."""
from __future__ import annotations

import math


def finite(value: float | None) -> bool:
    """True for a finite number; False for None, NaN and +/-inf."""
    return value is not None and math.isfinite(value)
