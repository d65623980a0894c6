"""Model registry: one registered builder per model name.

A builder is `fn(num_classes: int, *, kw=default, ...) -> nn.Module`. Its keyword parameters are
the model's kwargs (what `model_kwargs` reports and `create_model` accepts). Values arriving as
strings (Katib substitutes trial parameters into argv, so everything is text) are converted to the
builder's annotated type here, once, so builders only see typed values.

Adding a family is one decorated function:

    @register_model("mynet", family="custom")
    def build_mynet(num_classes: int, *, width: int = 32, in_channels: int = 3) -> nn.Module: ...

A `functools.partial` of a wider builder also registers (its signature and annotations are read
through the partial), so variants of one builder need no copy of its parameter list:

    register_model("mynet-wide", family="custom")(functools.partial(build_mynet_variant, "wide"))

Importing this module imports no torch: the built-in builders load on first use, and
`model_family` / `resolve_model_name` answer built-in names from trainer.models.families.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import inspect
import math
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from trainer.booleans import parse_bool
from trainer.errors import ConfigError
from trainer.models.families import BUILTIN_FAMILY

if TYPE_CHECKING:
    from torch import nn

__all__ = [
    "ModelSpec",
    "register_model",
    "create_model",
    "list_models",
    "model_kwargs",
    "model_family",
    "resolve_model_name",
    "match_kwarg",
]

Builder = Callable[..., "nn.Module"]

# Modules whose import registers the built-in families (imported lazily: keeps `import` cheap).
_BUILTIN_MODULES = (
    "trainer.models.efficientnet",
    "trainer.models.vit",
    "trainer.models.torchvision_models",
    "trainer.models.block_models",
)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    family: str
    builder: Builder
    kwarg_types: Mapping[str, Any] = field(default_factory=dict)


_REGISTRY: dict[str, ModelSpec] = {}
_builtins_loaded = False


def _load_builtins() -> None:
    global _builtins_loaded
    if not _builtins_loaded:
        _builtins_loaded = True
        for module in _BUILTIN_MODULES:
            importlib.import_module(module)


def _builder_label(fn: Builder) -> str:
    """A builder's name for messages: `build_x`, or `build_x('b0')` for a functools.partial."""
    if isinstance(fn, functools.partial):
        bound = [repr(a) for a in fn.args] + [f"{k}={v!r}" for k, v in fn.keywords.items()]
        return f"{_builder_label(fn.func)}({', '.join(bound)})"
    return fn.__qualname__


def _innermost(fn: Builder) -> Builder:
    """The function under any functools.partial layers."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    return fn


def _builder_origin(fn: Builder) -> tuple[str, str]:
    """(module, label): the same builder defined again (a module re-imported) has the same origin."""
    return _innermost(fn).__module__, _builder_label(fn)


def _builder_kwarg_types(fn: Builder, extra: Mapping[str, Any] | None) -> dict[str, Any]:
    sig = inspect.signature(fn)
    params = list(sig.parameters.values())
    if not params or params[0].name != "num_classes":
        raise TypeError(f"model builder {_builder_label(fn)} must take num_classes as its first argument")
    hints = typing.get_type_hints(_innermost(fn))
    kwarg_types: dict[str, Any] = {}
    has_var_kw = False
    for p in params[1:]:
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            has_var_kw = True
        elif p.kind is inspect.Parameter.KEYWORD_ONLY:
            kwarg_types[p.name] = hints.get(p.name, Any)
        else:
            raise TypeError(f"model builder {_builder_label(fn)}: parameter {p.name!r} must be keyword-only")
    if extra:
        if not has_var_kw:
            raise TypeError(f"model builder {_builder_label(fn)} declares extra_kwargs but has no **kwargs")
        kwarg_types.update(extra)
    return kwarg_types


def register_model(
    name: str, *, family: str, extra_kwargs: Mapping[str, Any] | None = None
) -> Callable[[Builder], Builder]:
    """Register `fn(num_classes, **kw) -> nn.Module` (a function or a functools.partial) under `name`.

    `extra_kwargs` (name -> type) declares keyword names a builder takes through `**kwargs`
    (e.g. per-stage overrides `n_repeat_2`), so they are still listed and validated.
    """
    builtin = BUILTIN_FAMILY.get(name)
    if builtin is not None and builtin != family:
        raise ValueError(f"model {name!r} belongs to family {builtin!r} in trainer/models/families.py, "
                         f"not {family!r}")

    def decorator(fn: Builder) -> Builder:
        existing = _REGISTRY.get(name)
        if existing is not None and existing.builder is not fn:
            if _builder_origin(existing.builder) != _builder_origin(fn):
                raise ValueError(f"model name {name!r} is already registered by {_builder_label(existing.builder)}")
        _REGISTRY[name] = ModelSpec(name, family, fn, _builder_kwarg_types(fn, extra_kwargs))
        return fn

    return decorator


def list_models(family: str | None = None) -> list[str]:
    """Sorted names of the registered models (optionally of one family)."""
    _load_builtins()
    return sorted(n for n, s in _REGISTRY.items() if family is None or s.family == family)


def _spec(name: str) -> ModelSpec:
    _load_builtins()
    spec = _REGISTRY.get(name)
    if spec is None:
        raise ConfigError(f"unknown model {name!r}; valid models: {', '.join(list_models())}")
    return spec


def model_kwargs(name: str) -> set[str]:
    """The keyword arguments the builder of `name` accepts (besides num_classes)."""
    return set(_spec(name).kwarg_types)


def model_family(name: str) -> str:
    """The family of a model name, in any spelling `resolve_model_name` accepts; '' for an unknown name.

    Built-in models are answered from trainer.models.families without importing model code (torch);
    models registered at run time by their registration."""
    known = {**BUILTIN_FAMILY, **{n: s.family for n, s in _REGISTRY.items()}}
    try:
        return known[resolve_model_name(name, known)]
    except ConfigError:
        return ""


def resolve_model_name(name: str, available: Iterable[str]) -> str:
    """Accept the seeds' spellings: 'Efficientnet_b4' -> 'efficientnet-b4', 'efficientnet' -> '-b0'."""
    available = list(available)
    if name in available:
        return name
    low = name.strip().lower()
    for cand in (low, low.replace("_", "-"), low.replace("-", "_")):
        if cand in available:
            return cand
    if low in ("efficientnet", "efficient-net", "efficient_net") and "efficientnet-b0" in available:
        return "efficientnet-b0"
    hint = _close_matches(low.replace("_", "-"), available) or _close_matches(low, available)
    raise ConfigError(f"model: unknown model {name!r}"
                      + (f" (did you mean {', '.join(hint)}?)" if hint else "")
                      + f"; available: {', '.join(sorted(available))}")


def _close_matches(name: str, candidates: list[str]) -> list[str]:
    return difflib.get_close_matches(name, candidates, n=4, cutoff=0.6)


def match_kwarg(name: str, accepted: Iterable[str]) -> str | None:
    """The builder's spelling of a keyword: exact, else the one that matches ignoring case and -/_."""
    accepted = list(accepted)
    if name in accepted:
        return name
    squash = name.lower().replace("-", "_")
    found = [k for k in accepted if k.lower() == squash]
    return found[0] if len(found) == 1 else None


def create_model(name: str, num_classes: int, **kw: Any) -> nn.Module:
    """Build a fresh (randomly initialised) model. Unknown name or kwarg -> ValueError naming it."""
    spec = _spec(name)
    n = _coerce(name, "num_classes", num_classes, int)
    if not isinstance(n, int) or n < 1:
        raise ConfigError(f"model {name!r}: num_classes must be a positive integer, found {num_classes!r}")
    unknown = sorted(set(kw) - set(spec.kwarg_types))
    if unknown:
        raise ConfigError(
            f"model {name!r}: unknown argument(s) {', '.join(map(repr, unknown))}; "
            f"valid: {', '.join(sorted(spec.kwarg_types)) or '(none)'}"
        )
    typed = {k: _coerce(name, k, v, spec.kwarg_types[k]) for k, v in kw.items()}
    return spec.builder(n, **typed)


# --- string -> typed value conversion -------------------------------------------------------

_NONE = {"none", "null", ""}


def _union_args(tp: Any) -> tuple[Any, ...]:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return typing.get_args(tp)
    return (tp,)


def _coerce(model: str, key: str, value: Any, tp: Any) -> Any:
    """Convert `value` to annotation `tp` where that is unambiguous; otherwise pass it through."""
    options = _union_args(tp)
    allows_none = type(None) in options
    concrete = [t for t in options if t is not type(None)]
    if value is None:
        if allows_none or tp is Any:
            return None
        raise ConfigError(f"model {model!r}: argument {key!r} must not be empty (null)")
    if isinstance(value, str) and allows_none and value.strip().lower() in _NONE:
        return None
    # Several concrete types (e.g. `int | str`) or anything we do not convert: leave to the builder.
    if len(concrete) != 1 or concrete[0] not in (int, float, bool, str):
        return value
    target = concrete[0]
    try:
        return _convert_scalar(value, target)
    except (TypeError, ValueError):
        raise ConfigError(
            f"model {model!r}: argument {key!r} must be {target.__name__}, found {value!r}"
        ) from None


def _convert_scalar(value: Any, target: type) -> Any:
    if target is bool:
        return parse_bool(value)
    if isinstance(value, bool):  # bool is an int subclass: never a silent 0/1 for a number
        raise ValueError(value)
    if target is int:
        if isinstance(value, int):
            return value
        number = float(value) if isinstance(value, str) else value
        # Katib/Optuna may hand an integer as "3" or 3.0; anything fractional is an error.
        if isinstance(number, float) and math.isfinite(number) and number.is_integer():
            return int(number)
        if isinstance(value, str):
            return int(value)
        raise ValueError(value)
    if target is float:
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            return float(value)
        raise ValueError(value)
    if target is str:
        if isinstance(value, str):
            return value
        raise ValueError(value)
    return value
