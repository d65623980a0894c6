"""The values a stepped parameter takes: Katib's grid min + k * step (grid and optuna services,
Optuna's own step) or hyperopt's multiples of the step from 0 (round(x / step) * step: Katib's
random and tpe). Computed in decimal on the values' shortest text (Katib's float text), so that
min 0.3 with step 0.1 is a multiple and 0.05 is not. Which algorithm draws which is
kubetune.experiment.distributions' table (`step_changes_values`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class StepValues:
    """The values `first + k * step`, k = 0..count-1, exactly (Decimal)."""

    first: Decimal
    step: Decimal
    count: int

    def value(self, k: int) -> Decimal:
        return self.first + k * self.step

    def values(self) -> list[Decimal]:
        return [self.value(k) for k in range(self.count)]

    def contains(self, number: float | int | Decimal) -> bool:
        k = (_decimal(number) - self.first) / self.step
        return k == k.to_integral_value() and 0 <= k < self.count


def _decimal(number: float | int | Decimal) -> Decimal:
    if isinstance(number, Decimal):
        return number
    return Decimal(str(number)) if isinstance(number, int) else Decimal(repr(float(number)))


def step_grid(low: float | int, high: float | int, step: float | int) -> StepValues:
    """low + k * step up to high (Katib's grid and optuna services, Optuna's own step)."""
    lo, hi, q = _decimal(low), _decimal(high), _decimal(step)
    return StepValues(lo, q, max(0, int((hi - lo) // q) + 1))


def step_multiples(low: float | int, high: float | int, step: float | int) -> StepValues:
    """What round(x / step) * step gives for x drawn over [low, high] (hyperopt's quniform and
    qloguniform): the multiples k * step whose rounding interval overlaps (low, high), so a
    value drawn only from exactly min or max (one point) is left out."""
    lo, hi, q = _decimal(low), _decimal(high), _decimal(step)
    half = Decimal("0.5")
    first = math.floor(lo / q - half) + 1
    last = math.ceil(hi / q + half) - 1
    if lo == hi:
        first = last = int((lo / q).to_integral_value())  # one point: its own rounding
    return StepValues(first * q, q, max(0, last - first + 1))


def show_values(values: StepValues, ptype: str, most: int = 6) -> str:
    """'1, 3, 5' or '1, 3, 5, ..., 99' (a few of them, as written in an assignment)."""
    def text(k: int) -> str:
        v = values.value(k)
        return str(int(v)) if ptype == "int" else repr(float(v))
    if values.count <= most:
        return ", ".join(text(k) for k in range(values.count))
    return ", ".join(text(k) for k in range(most - 2)) + f", ..., {text(values.count - 1)}"
