"""EfficientNet b0-b7 (efficientnet-pytorch, built with `from_name`: never a download).

Compound scaling as in the EfficientNet paper and seed 000 (NNI's search over alpha/beta/gamma):
for coefficients alpha (depth), beta (width), gamma (resolution) and compound coefficient phi,

    depth multiplier = alpha ** phi,  width multiplier = beta ** phi,
    resolution       = base_resolution * gamma ** phi          (base 224, the b0 resolution)

applied to the b0 block layout through efficientnet-pytorch's GlobalParams
(`width_coefficient`, `depth_coefficient`; the library rounds channels to multiples of 8 and
repeats up with ceil). When any of alpha/beta/gamma/phi/scaling is given the multipliers come from
this formula (relative to b0) instead of the named variant's table; the variant then only supplies
the default dropout. Missing coefficients take the paper's grid-search values (1.2, 1.1, 1.15),
phi defaults to 1.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

from torch import nn

from trainer.errors import ConfigError
from trainer.models.efficientnet_options import VARIANTS
from trainer.models.registry import register_model

__all__ = ["compound_resolution", "compound_multipliers", "parse_scaling", "BASE_RESOLUTION"]

BASE_RESOLUTION = 224
PAPER_COEFFICIENTS = (1.2, 1.1, 1.15)  # alpha, beta, gamma found by the paper's grid search on b0


def compound_resolution(gamma: float, phi: float = 1.0, base: int = BASE_RESOLUTION) -> int:
    """Input resolution base * gamma**phi, rounded to the nearest pixel."""
    _check_positive("gamma", gamma)
    _check_finite("phi", phi)
    return max(1, int(round(base * gamma**phi)))


def compound_multipliers(alpha: float, beta: float, gamma: float, phi: float = 1.0) -> tuple[float, float, int]:
    """(depth multiplier, width multiplier, resolution) for the b0 base."""
    for name, value in (("alpha", alpha), ("beta", beta), ("gamma", gamma)):
        _check_positive(name, value)
    _check_finite("phi", phi)
    return alpha**phi, beta**phi, compound_resolution(gamma, phi)


def parse_scaling(value: str | Sequence[float]) -> tuple[float, float, float]:
    """'alpha,beta,gamma' (one categorical Katib parameter) -> three floats."""
    parts = value.replace(";", ",").split(",") if isinstance(value, str) else list(value)
    try:
        numbers = tuple(float(p) for p in parts)
    except (TypeError, ValueError):
        numbers = ()
    if len(numbers) != 3:
        raise ConfigError(f"efficientnet: scaling must be 'alpha,beta,gamma' (three numbers), found {value!r}")
    for name, number in zip(("alpha", "beta", "gamma"), numbers):
        _check_positive(f"scaling {name}", number)
    return numbers  # type: ignore[return-value]


def _check_finite(name: str, value: float) -> None:
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"efficientnet: {name} must be a finite number, found {value!r}")


def _check_positive(name: str, value: float) -> None:
    _check_finite(name, value)
    if value <= 0:
        raise ConfigError(f"efficientnet: {name} must be > 0, found {value!r}")


def _check_probability(name: str, value: float) -> None:
    _check_finite(name, value)
    if not 0 <= value < 1:
        raise ConfigError(f"efficientnet: {name} must be in [0, 1), found {value!r}")


def build_efficientnet(
    variant: str,
    num_classes: int,
    *,
    in_channels: int = 3,
    image_size: int | None = None,
    alpha: float | None = None,
    beta: float | None = None,
    gamma: float | None = None,
    phi: float | None = None,
    scaling: str | Sequence[float] | None = None,
    dropout: float | None = None,
    drop_connect: float = 0.2,
) -> nn.Module:
    from efficientnet_pytorch import EfficientNet
    from efficientnet_pytorch.utils import efficientnet_params

    if variant not in VARIANTS:
        raise ConfigError(f"efficientnet: unknown variant {variant!r}; valid: {', '.join(VARIANTS)}")
    if in_channels < 1:
        raise ConfigError(f"efficientnet: in_channels must be >= 1, found {in_channels}")
    _, _, own_resolution, own_dropout = efficientnet_params(variant)
    overrides: dict[str, float | int] = {}
    if scaling is not None:
        if any(v is not None for v in (alpha, beta, gamma)):
            raise ConfigError("efficientnet: give either 'scaling' or 'alpha'/'beta'/'gamma', not both")
        alpha, beta, gamma = parse_scaling(scaling)
    if any(v is not None for v in (alpha, beta, gamma, phi)):
        a, b, g = (v if v is not None else d for v, d in zip((alpha, beta, gamma), PAPER_COEFFICIENTS))
        depth, width, resolution = compound_multipliers(a, b, g, 1.0 if phi is None else phi)
        overrides = {"depth_coefficient": depth, "width_coefficient": width}
        default_size = resolution
    else:
        default_size = own_resolution
    size = default_size if image_size is None else image_size
    if size < 1:
        raise ConfigError(f"efficientnet: image_size must be >= 1, found {size}")
    dropout = own_dropout if dropout is None else dropout
    _check_probability("dropout", dropout)
    _check_probability("drop_connect", drop_connect)
    # from_name only (never from_pretrained): builds the architecture, downloads nothing.
    return EfficientNet.from_name(
        variant,
        in_channels=in_channels,
        num_classes=num_classes,
        image_size=size,
        dropout_rate=dropout,
        drop_connect_rate=drop_connect,
        **overrides,
    )


# One registration per variant: the registry reads the partial's signature (num_classes, *, ...).
for _variant in VARIANTS:
    register_model(_variant, family="efficientnet")(functools.partial(build_efficientnet, _variant))
