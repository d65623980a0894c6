"""Activations the block modules take by name in their YAML args (as in the lecture)."""

from __future__ import annotations

from torch import nn

__all__ = ["ACTIVATIONS", "canonical_activation", "make_activation"]

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "ReLU": nn.ReLU,
    "ReLU6": nn.ReLU6,
    "Hardswish": nn.Hardswish,
    "SiLU": nn.SiLU,
    "Identity": nn.Identity,
}
# Spellings seen in the lecture/YOLO code and in search spaces.
_ALIASES = {"hardswish": "Hardswish", "hard_swish": "Hardswish", "swish": "SiLU", "none": "Identity", "linear": "Identity"}
_BY_LOWER = {name.lower(): name for name in ACTIVATIONS} | _ALIASES


def canonical_activation(name: object) -> str:
    """Registered spelling of an activation name (case-insensitive); None -> 'Identity'."""
    if name is None:
        return "Identity"
    if isinstance(name, str) and name.strip().lower() in _BY_LOWER:
        return _BY_LOWER[name.strip().lower()]
    raise ValueError(f"must be one of {', '.join(ACTIVATIONS)}")


def make_activation(name: object) -> nn.Module:
    cls = ACTIVATIONS[canonical_activation(name)]
    return cls(inplace=True) if cls in (nn.ReLU, nn.ReLU6, nn.Hardswish, nn.SiLU) else cls()
