"""Lazy package exports: `kubetune status` must not pay for numpy, optuna or the Katib API models."""
from __future__ import annotations

import importlib
from typing import Callable


def lazy_exports(package: str, exports: dict[str, str]) -> Callable[[str], object]:
    """A module `__getattr__` that imports `exports[name]` (a submodule, relative to `package`)
    the first time `name` is used."""

    def __getattr__(name: str):
        if name in exports:
            return getattr(importlib.import_module(exports[name], package), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
