"""Pipeline parameters: their names and types (from the compiled YAML or the pipeline function), and
`NAME=VALUE` text converted to the right type with a clear error naming the parameter."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from trainer.booleans import parse_bool

# compiled IR type -> Python type; the pipeline function's own type names map to the same
IR_TYPES = {"STRING": str, "NUMBER_INTEGER": int, "NUMBER_DOUBLE": float, "BOOLEAN": bool}
SPEC_TYPES = {"String": str, "Integer": int, "Float": float, "Boolean": bool}


class ParameterError(ValueError):
    pass


def parameters_of_package(path: str | Path) -> dict[str, tuple[type, Any]]:
    """name -> (type, default) of a compiled pipeline's root parameters."""
    try:
        docs = list(yaml.safe_load_all(Path(path).read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError) as e:
        raise ParameterError(f"{path}: cannot read the compiled pipeline: {e}") from None
    spec = docs[0] if docs and isinstance(docs[0], dict) else {}
    params = (((spec.get("root") or {}).get("inputDefinitions") or {}).get("parameters")) or {}
    if not params:
        raise ParameterError(f"{path}: not a compiled KFP pipeline (no root.inputDefinitions.parameters)")
    return {name: (IR_TYPES.get(p.get("parameterType"), str), p.get("defaultValue")) for name, p in params.items()}


def parameters_of_pipeline(pipeline) -> dict[str, tuple[type, Any]]:
    """name -> (type, default) of a @dsl.pipeline function."""
    return {name: (SPEC_TYPES.get(str(spec.type), str), spec.default)
            for name, spec in pipeline.component_spec.inputs.items()}


def convert(name: str, value: Any, kind: type) -> Any:
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        if kind is bool:
            return parse_bool(text)
        if kind is int:
            return int(text)
        if kind is float:
            return float(text)
    except ValueError:
        raise ParameterError(f"pipeline parameter {name}: {value!r} is not {kind.__name__ if kind is not bool else 'a boolean (true/false)'}") from None
    return value


def build_arguments(known: dict[str, tuple[type, Any]], given: dict[str, Any], extra: list[str]) -> dict[str, Any]:
    """Arguments for a run: `given` (from named options) plus `extra` NAME=VALUE items, each checked
    against the pipeline's parameters and converted to its type."""
    out: dict[str, Any] = {}
    items = [(k, v) for k, v in given.items() if v is not None]
    for item in extra:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ParameterError(f"--param {item!r}: expected NAME=VALUE")
        items.append((key.strip(), value))
    for key, value in items:
        if key not in known:
            import difflib

            hint = difflib.get_close_matches(key, list(known), n=3)
            raise ParameterError(f"pipeline parameter {key!r} does not exist"
                                 + (f" (did you mean {', '.join(hint)}?)" if hint else "")
                                 + f"; parameters: {', '.join(sorted(known))}")
        out[key] = convert(key, value, known[key][0])
    return out
