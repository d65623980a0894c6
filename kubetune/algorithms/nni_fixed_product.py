"""NNI 1.x's FixedProductTuner (the EfficientNet example, seed 000): grid search over the
compound-scaling coefficients, keeping only the points where alpha * beta**2 * gamma**2 is close
to a fixed product.

NNI's class (`examples/trials/efficientnet/tuner.py`) subclasses the 1.x GridSearchTuner and
filters its expansion hook: a configuration is kept when
`abs(alpha * beta**2 * gamma**2 - product) < 0.1` (strict, absolute). The 1.x grid enumerates
`choice` values as listed, `randint [l, u]` as l..u-1 and `quniform [low, high, q]` as
`clip(arange(round(low/q), round(high/q) + 1) * q, low, high)` (numpy float64, so 23 * 0.05 gives
1.1500000000000001), and takes the cartesian product with the first key outermost. With
product 2 and the seed's space (alpha 1.0-2.0, beta and gamma 1.0-1.5, q 0.05) that is 2541
points of which 109 are kept. From NNI 2.6 on the hook is dead code (the grid was rewritten), so
this module implements the 1.x behaviour explicitly, as the seed ran it (NNI 1.9).

Everything here is pure and reusable: kubetune's `fixed-product` algorithm (fixed_product.py)
enumerates these points, and the NNI converter (kubetune.convert) lists the allowed triples as
one categorical Katib parameter.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

import numpy as np

SCALING_KEYS = ("alpha", "beta", "gamma")
DEFAULT_TOLERANCE = 0.1  # hard-coded in NNI's FixedProductTuner
GRID_TYPES = ("choice", "randint", "quniform")  # what NNI 1.x's GridSearchTuner can enumerate


class GridError(ValueError):
    """A search-space entry the NNI 1.x grid cannot enumerate (the message names the key)."""


def grid_values(key: str, spec: Mapping[str, Any]) -> list[Any]:
    """The values NNI 1.x's GridSearchTuner enumerates for one (non-nested) parameter, in order.

    quniform values are numpy float64 (NNI's own arithmetic), randint values Python ints, choice
    values as written.
    """
    kind, value = spec.get("_type"), spec.get("_value")
    if kind not in GRID_TYPES:
        raise GridError(f"{key}: NNI 1.x grid search cannot enumerate _type {kind!r}; "
                        f"allowed: {', '.join(GRID_TYPES)}")
    if not isinstance(value, list) or not value:
        raise GridError(f"{key}: _value must be a non-empty list")
    if kind == "choice":
        if any(isinstance(v, dict) for v in value):
            raise GridError(f"{key}: nested choices are not supported here")
        return list(value)
    if kind == "randint":
        return list(range(int(value[0]), int(value[1])))
    low, high, q = (float(v) for v in value[:3])
    return list(np.clip(np.arange(np.round(low / q), np.round(high / q) + 1) * q, low, high))


def expand_grid(space: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every configuration in NNI 1.x grid order: the cartesian product, first key outermost."""
    configs: list[dict[str, Any]] = [{}]
    for key in reversed(list(space)):
        values = grid_values(key, space[key])
        configs = [{key: v, **rest} for v in values for rest in configs]
    return [{k: c[k] for k in space} for c in configs]


def product_of(alpha: float, beta: float, gamma: float) -> float:
    """alpha * beta**2 * gamma**2 computed as NNI's tuner does (numpy float64 operands)."""
    a, b, g = np.float64(alpha), np.float64(beta), np.float64(gamma)
    return float(a * (b ** 2) * (g ** 2))


def keeps(config: Mapping[str, Any], product: float, tolerance: float = DEFAULT_TOLERANCE) -> bool:
    """The tuner's filter for one configuration."""
    return abs(product_of(config["alpha"], config["beta"], config["gamma"]) - product) < tolerance


def fixed_product_configs(space: Mapping[str, Mapping[str, Any]], product: float,
                          tolerance: float = DEFAULT_TOLERANCE) -> list[dict[str, Any]]:
    """The configurations NNI 1.x's FixedProductTuner hands out, in its order (Python floats).

    The filter only applies when the space has alpha, beta and gamma (as in NNI); otherwise this
    is plain 1.x grid search.
    """
    missing = [k for k in SCALING_KEYS if k not in space]
    configs = expand_grid(space)
    if not missing:
        configs = [c for c in configs if keeps(c, product, tolerance)]
    return [{k: _plain(v) for k, v in c.items()} for c in configs]


def allowed_triples(space: Mapping[str, Mapping[str, Any]], product: float,
                    tolerance: float = DEFAULT_TOLERANCE) -> list[tuple[float, float, float]]:
    """The allowed (alpha, beta, gamma) triples in NNI 1.x order, from the three entries of the
    space (other keys do not change the triples, only repeat them)."""
    missing = [k for k in SCALING_KEYS if k not in space]
    if missing:
        raise GridError(f"FixedProductTuner needs search-space keys alpha, beta and gamma; missing "
                        f"{', '.join(missing)}")
    sub = {k: space[k] for k in space if k in SCALING_KEYS}
    return [(c["alpha"], c["beta"], c["gamma"]) for c in fixed_product_configs(sub, product, tolerance)]


def format_triple(triple: Iterable[float]) -> str:
    """'alpha,beta,gamma' with each float's shortest round-trip repr (so NNI's exact values survive)."""
    return ",".join(repr(float(v)) for v in triple)


def parse_triple(text: str) -> tuple[float, float, float]:
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != 3:
        raise ValueError(f"expected 'alpha,beta,gamma', found {text!r}")
    a, b, g = (float(p) for p in parts)
    return a, b, g


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
