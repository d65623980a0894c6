"""kubeflow-katib-api's generated models, imported one class at a time.

`kubeflow_katib_api.models/__init__.py` imports all 325 generated pydantic models (every
Kubernetes type the Katib CRDs mention); loading an Experiment needs about 140 of them, and
importing the rest doubled `kubetune validate`'s start-up. Importing this module installs, when
nothing has imported the package yet, a stand-in `kubeflow_katib_api.models` package module: the
same directory (`__path__`), so `kubeflow_katib_api.models.<module>` imports as before, and a
module-level `__getattr__` that imports a class's generated module the first time the class is
asked for. The class-to-module table is read from the real `__init__.py` (its
`from kubeflow_katib_api.models.<module> import <Class>` lines), so every name resolves to the
very class the real package would give. Everything else (kubeflow's optimizer SDK:
`from kubeflow_katib_api import models; models.V1beta1Experiment`) works unchanged.

When the real package is already imported, or its `__init__.py` holds anything but a docstring
and such imports (a newer generator), nothing is installed and the real package is used.

    from kubetune.experiment.katib_models import V1beta1Experiment
"""
from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import types
from typing import Any

PACKAGE = "kubeflow_katib_api.models"
_IMPORT = re.compile(r"from kubeflow_katib_api\.models\.(\w+) import (\w+)")
_DOCSTRING = re.compile(r'\A(?:[ \t]*(?:#[^\n]*)?\n)*[ \t]*""".*?"""[^\n]*\n', re.S)  # comments, then it


def _table(source: str) -> dict[str, str] | None:
    """Class name -> generated module name, from the package's `__init__.py` text; None when the
    text holds anything besides comments, a docstring and single-name model imports."""
    table: dict[str, str] = {}
    for line in _DOCSTRING.sub("", source, count=1).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _IMPORT.fullmatch(line)
        if match is None:
            return None
        table[match.group(2)] = match.group(1)
    return table or None


def _lazy_package(spec: Any, table: dict[str, str]) -> types.ModuleType:
    package = types.ModuleType(PACKAGE, "kubeflow-katib-api's models, each imported when first used "
                                        "(kubetune.experiment.katib_models).")
    package.__spec__ = spec
    package.__path__ = list(spec.submodule_search_locations)
    package.__package__ = PACKAGE
    package.__file__ = spec.origin
    package.__loader__ = spec.loader
    package.__all__ = list(table)
    modules = set(table.values())

    def __getattr__(name: str) -> Any:
        if name in table:
            value = getattr(importlib.import_module(f"{PACKAGE}.{table[name]}"), name)
        elif name in modules:  # the real package has imported every submodule, so it has them all
            value = importlib.import_module(f"{PACKAGE}.{name}")
        else:
            raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}")
        setattr(package, name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(package)) | set(table) | modules)

    package.__getattr__ = __getattr__
    package.__dir__ = __dir__
    return package


def install() -> types.ModuleType:
    """`kubeflow_katib_api.models`: the module already imported, or else the lazy stand-in
    (installed in `sys.modules` and as the parent package's attribute), or else, when the real
    `__init__.py` cannot be read as a table, the real package."""
    if PACKAGE in sys.modules:
        return sys.modules[PACKAGE]
    spec = importlib.util.find_spec(PACKAGE)  # imports kubeflow_katib_api (its version only), not models
    try:
        source = spec.loader.get_source(PACKAGE)  # None when only bytecode is installed
    except (AttributeError, ImportError, OSError):
        source = None
    table = _table(source) if source else None
    if table is None or PACKAGE in sys.modules:
        return importlib.import_module(PACKAGE)
    package = _lazy_package(spec, table)
    sys.modules[PACKAGE] = package
    setattr(sys.modules["kubeflow_katib_api"], "models", package)
    return package


models = install()


def __getattr__(name: str) -> Any:
    """`from kubetune.experiment.katib_models import V1beta1Experiment`: the model class."""
    try:
        return getattr(models, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r} "
                             f"(nor has {PACKAGE})") from None
