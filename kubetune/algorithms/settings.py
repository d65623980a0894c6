"""Reading `algorithm.algorithmSettings` values inside the factories.

The rules (names, types, ranges, `kubetune.*` extensions) are each algorithm's settings check,
which the registry applies before any factory runs, so these readers only convert a value that
is known to be valid, or return the factory's default when the setting is absent.
"""

from __future__ import annotations

from typing import Mapping, TypeVar

T = TypeVar("T")


def int_setting(settings: Mapping[str, str], name: str, default: T) -> int | T:
    """Python int() of the string, as Katib's services read it."""
    raw = settings.get(name)
    return default if raw is None else int(raw)


def float_setting(settings: Mapping[str, str], name: str, default: T) -> float | T:
    raw = settings.get(name)
    return default if raw is None else float(raw)


def str_setting(settings: Mapping[str, str], name: str, default: T) -> str | T:
    raw = settings.get(name)
    return default if raw is None else raw


def seed_of(request) -> int | None:
    """The sampler seed of an AlgorithmRequest: its `random_state` setting, else the seed
    kubetune run was given (None: fresh randomness)."""
    return int_setting(request.settings, "random_state", request.seed)
