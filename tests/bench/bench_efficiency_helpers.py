"""A synthetic table for the replay machinery's tests: no training, curves from a formula."""
from __future__ import annotations

import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "bench") not in sys.path:
    sys.path.insert(0, str(ROOT / "bench"))

from efficiency.spaces import Space, config_key  # noqa: E402
from efficiency.table import Curve, Table  # noqa: E402

TOY = Space(
    name="toy", description="synthetic curves",
    choices={"a": ("0", "1", "2", "3"), "b": ("0", "1", "2"), "c": ("x", "y")},
    flags={"a": "a", "b": "b", "c": "c"}, fixed_args=(), max_epochs=9, budget_trials=6,
)


def toy_table(fail: str | None = None) -> Table:
    """Quality rises with a and b; c=y learns slower, c=x overfits after epoch 4 (its accuracy
    drops). `fail`: a key whose run diverges at epoch 3."""
    curves = {}
    for config in TOY.configurations():
        key = config_key(config, tuple(TOY.choices))
        quality = 0.3 + 0.15 * int(config["a"]) + 0.03 * int(config["b"])
        tau = 1.5 if config["c"] == "x" else 4.0
        drop = (lambda e: 0.01 * max(0, e - 4)) if config["c"] == "x" else (lambda e: 0.0)
        acc = tuple(round(min(0.99, quality * (1 - math.exp(-e / tau))) - drop(e), 4) for e in range(1, 10))
        times = tuple(0.5 + 0.1 * int(config["b"]) for _ in acc)
        if key == fail:
            curves[key] = Curve(acc[:3], times[:3], 1.0, failed=True)
        else:
            curves[key] = Curve(acc, times, 1.0)
    return Table(TOY, curves, {"space": "toy"})
