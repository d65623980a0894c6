"""Type-check a YAML/JSON object against the Katib API types, the way Katib's Go decoder does.

The Experiment CRD has no structural schema (katib-semantics 1.1): the webhook decodes the
object into Go structs, so a value of the wrong JSON type rejects the whole request before any
validation rule runs, and keys the structs do not know are silently dropped. We reproduce
that with the field types of the pydantic models in `kubeflow_katib_api` (and, for the strict
batch/v1 Job check of the webhook, `kubeflow_trainer_api`): strings must be strings (a YAML
number in `feasibleSpace.min` is an error), counts are int32, `goal` is a number.

`decode()` returns a normalised copy (nulls dropped, as the Go decoder leaves them unset) and
the problems found: type errors as errors, unknown keys as warnings (Katib drops them; a typo
like `parallelTrialcount` silently loses the setting).
"""
from __future__ import annotations

import datetime
import math
import typing
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

from pydantic import BaseModel

from .errors import Problem, did_you_mean, error, kind_of, show, warning

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
MAX_DEPTH = 64  # deeper nesting than this is not a real Experiment (and would blow the stack)


@dataclass(frozen=True)
class FieldType:
    """What JSON a field accepts: kind is str|int|bool|number|datetime|any|list|map|model|oneof."""

    kind: str
    inner: "FieldType | None" = None
    model: type | None = None
    oneof: tuple[str, ...] = ()
    required: bool = False


@dataclass
class Options:
    """How strict to be; the Job check of webhook rule 18 is stricter than the Experiment decode."""

    int_range: tuple[int, int] = INT64
    int32_models: str = "V1beta1"  # ints of models whose class name starts with this are int32
    unknown_severity: str = "warning"
    unknown_note: str = "Katib ignores unknown fields and drops them"
    reject_null: bool = False  # Job check: a null is lost in Katib's round trip -> rejected
    reject_empty_collections: bool = False  # Job check: [] and {} (maps) vanish (omitempty)
    skip_paths: tuple[str, ...] = ()  # path fragments not checked at all


def _scalar_kind(tp: Any) -> str | None:
    if tp is str:
        return "str"
    if tp is bool:
        return "bool"
    if tp is int:
        return "int"
    if tp is float:
        return "number"
    if tp in (datetime.datetime, datetime.date):
        return "datetime"
    if tp is Any:
        return "any"
    return None


def field_type(annotation: Any, required: bool = False) -> FieldType:
    """Translate a pydantic field annotation into a FieldType."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return field_type(args[0], required)
    if origin is typing.Union:
        members = [a for a in args if a is not type(None)]
        if len(members) == 1:
            return field_type(members[0], required)
        kinds = {field_type(a).kind for a in members}
        if kinds <= {"int", "number"}:
            return FieldType("number", required=required)
        return FieldType("oneof", oneof=tuple(sorted(kinds)), required=required)
    if origin in (list, typing.List, set, typing.Set):
        return FieldType("list", inner=field_type(args[0]) if args else FieldType("any"),
                         required=required)
    if origin in (dict, typing.Dict):
        return FieldType("map", inner=field_type(args[1]) if len(args) > 1 else FieldType("any"),
                         required=required)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        fields = annotation.model_fields
        if "actual_instance" in fields:  # generated oneOf wrapper: IntOrString, Quantity
            inner = field_type(fields["actual_instance"].annotation)
            kinds = inner.oneof or (inner.kind,)
            return FieldType("oneof", oneof=tuple(sorted(kinds)), required=required)
        return FieldType("model", model=annotation, required=required)
    kind = _scalar_kind(annotation)
    return FieldType(kind or "any", required=required)


@lru_cache(maxsize=None)
def model_schema(model: type) -> dict[str, tuple[str, FieldType]]:
    """JSON key -> (python attribute name, FieldType) for a generated pydantic model."""
    schema = {}
    for attr, info in model.model_fields.items():
        key = info.alias or attr
        schema[key] = (attr, field_type(info.annotation, info.is_required()))
    return schema


def _enum_checks(model: type) -> dict[str, list[Callable[[Any], Any]]]:
    """The generated `*_validate_enum` field validators (e.g. imagePullPolicy), per attribute."""
    checks: dict[str, list[Callable[[Any], Any]]] = {}
    decorators = getattr(model, "__pydantic_decorators__", None)
    for dec in getattr(decorators, "field_validators", {}).values():
        for attr in dec.info.fields:
            checks.setdefault(attr, []).append(dec.func)
    return checks


_enum_cache: dict[type, dict[str, list[Callable[[Any], Any]]]] = {}


def enum_checks(model: type) -> dict[str, list[Callable[[Any], Any]]]:
    if model not in _enum_cache:
        _enum_cache[model] = _enum_checks(model)
    return _enum_cache[model]


_QUOTE_HINTS = {
    "str": "Katib reads this field as a string; quote it",
    "int": "write a whole number without quotes",
    "number": "write a number without quotes",
    "bool": "write true or false without quotes",
}


def _type_error(path: str, value: Any, ft: FieldType, int_range: tuple[int, int]) -> Problem:
    want = {
        "str": "a string",
        "int": "an integer",
        "number": "a number",
        "bool": "true or false",
        "datetime": "a timestamp string",
        "list": "a list",
        "map": "a mapping",
        "model": "a mapping",
        "oneof": " or ".join({"int": "an integer", "str": "a string", "number": "a number"}
                             .get(k, k) for k in ft.oneof),
    }.get(ft.kind, ft.kind)
    hint = ""
    key = path.rsplit(".", 1)[-1]
    if ft.kind == "str" and isinstance(value, (int, float, bool)):
        literal = show(value)
        hint = f'{_QUOTE_HINTS["str"]}: {key}: "{literal}"' if "[" not in key else \
            f'{_QUOTE_HINTS["str"]}: "{literal}"'
        if isinstance(value, bool):
            hint += " (YAML reads yes/no/on/off/true/false as booleans)"
    elif ft.kind in ("int", "number") and isinstance(value, str):
        hint = _QUOTE_HINTS[ft.kind]
    elif ft.kind == "bool" and isinstance(value, str):
        hint = _QUOTE_HINTS["bool"]
    found = f"{show(value)} ({kind_of(value)})" if not isinstance(value, (dict, list)) \
        else kind_of(value)
    return error(path, f"found {found}; must be {want}", hint)


class _Decoder:
    def __init__(self, options: Options) -> None:
        self.o = options
        self.problems: list[Problem] = []

    def error_count(self) -> int:
        return sum(1 for p in self.problems if p.is_error)

    def skip(self, path: str) -> bool:
        return any(fragment in path for fragment in self.o.skip_paths)

    def value(self, value: Any, ft: FieldType, path: str, depth: int, int32: bool) -> Any:
        """Check one value; return its normalised form (or None when it must be dropped)."""
        if depth > MAX_DEPTH:
            self.problems.append(error(path, f"nested more than {MAX_DEPTH} levels deep"))
            return None
        if self.skip(path):
            return value
        kind = ft.kind
        if kind == "any":
            return normalise_free(value, path, self.problems, depth)
        if kind == "str":
            if isinstance(value, str):
                return value
        elif kind == "bool":
            if isinstance(value, bool):
                return value
        elif kind == "int":
            if isinstance(value, int) and not isinstance(value, bool):
                lo, hi = INT32 if int32 else self.o.int_range
                if not lo <= value <= hi:
                    bits = "32" if int32 else "64"
                    self.problems.append(error(
                        path, f"found {value}; must fit in a {bits}-bit signed integer ({lo}..{hi})"))
                    return None
                return value
            if isinstance(value, float) and value.is_integer():
                self.problems.append(error(
                    path, f"found {show(value)} (a decimal number); must be an integer",
                    f"write {int(value)} without the decimal point"))
                return None
        elif kind == "number":
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                if isinstance(value, float) and not math.isfinite(value):
                    self.problems.append(error(path, f"found {show(value)}; must be a finite number"))
                    return None
                return value
        elif kind == "datetime":
            if isinstance(value, (str, datetime.date)):
                return value.isoformat() if isinstance(value, datetime.date) else value
        elif kind == "oneof":
            ok = (isinstance(value, str) and "str" in ft.oneof) or (
                isinstance(value, int) and not isinstance(value, bool)
                and ("int" in ft.oneof or "number" in ft.oneof)) or (
                isinstance(value, float) and math.isfinite(value) and "number" in ft.oneof)
            if ok:
                return value
        elif kind == "list":
            if isinstance(value, list):
                out = []
                for i, item in enumerate(value):
                    item_path = f"{path}[{i}]"
                    if item is None:
                        if self.o.reject_null:
                            self.problems.append(error(item_path, "found null; must be a value"))
                        # Go decodes a null list item as the zero value
                        out.append(_zero(ft.inner))
                        continue
                    out.append(self.value(item, ft.inner, item_path, depth + 1, int32))
                return out
        elif kind == "map":
            if isinstance(value, dict) and ft.inner is not None and ft.inner.kind == "any":
                return normalise_free(value, path, self.problems, depth)  # e.g. trialSpec
            if isinstance(value, dict):
                out = {}
                for k, v in value.items():
                    if not isinstance(k, str):
                        self.problems.append(error(f"{path}[{show(k)}]",
                                                   f"key {show(k)} is {kind_of(k)}; keys must be strings",
                                                   "quote the key"))
                        continue
                    item_path = f"{path}[{k}]" if not _plain_key(k) else f"{path}.{k}"
                    if v is None:
                        if self.o.reject_null:
                            self.problems.append(error(item_path, "found null; must be a value"))
                        continue
                    out[k] = self.value(v, ft.inner, item_path, depth + 1, int32)
                return out
        elif kind == "model":
            if isinstance(value, dict):
                return self.model(value, ft.model, path, depth + 1)
        self.problems.append(_type_error(path, value, ft, self.o.int_range))
        return None

    def model(self, obj: dict, model: type, path: str, depth: int) -> dict:
        schema = model_schema(model)
        int32 = model.__name__.startswith(self.o.int32_models)
        checks = enum_checks(model)
        out: dict = {}
        for key, value in obj.items():
            key_path = f"{path}.{key}" if path else str(key)
            if not isinstance(key, str):
                self.problems.append(error(f"{path}[{show(key)}]" if path else show(key),
                                           f"key {show(key)} is {kind_of(key)}; keys must be strings",
                                           "quote the key"))
                continue
            if key not in schema:
                if self.skip(key_path):
                    out[key] = value
                    continue
                if key_path not in EXTENSION_FIELDS:
                    suggestion = did_you_mean(key, schema)
                    hint = "; ".join(h for h in (suggestion, self.o.unknown_note) if h)
                    self.problems.append(Problem(key_path, f'unknown field "{key}"',
                                                 self.o.unknown_severity, hint))
                # Kept (JSON-shaped) for kubetune extensions; Katib itself drops it.
                unusable: list[Problem] = []
                kept = normalise_free(value, key_path, unusable, depth)
                if not unusable:
                    out[key] = kept
                continue
            attr, ft = schema[key]
            if value is None:
                if self.o.reject_null and ft.kind != "datetime":
                    self.problems.append(error(key_path, "found null; remove the key or give it a value",
                                               "Katib's Job round trip drops nulls and then rejects the template"))
                continue  # Go leaves a null field unset
            before = self.error_count()
            checked = self.value(value, ft, key_path, depth, int32)
            if self.error_count() > before or checked is None:
                continue
            if self.o.reject_empty_collections and not self.skip(key_path) and (
                    (ft.kind == "list" and checked == [] and key != "containers")
                    or (ft.kind == "map" and checked == {})):
                self.problems.append(error(
                    key_path, f"found an empty {'list' if ft.kind == 'list' else 'mapping'}",
                    "remove the key: Katib's Job round trip drops empty values and then rejects "
                    "the template"))
                continue
            for check in checks.get(attr, ()):
                try:
                    check(checked)
                except (ValueError, TypeError) as exc:
                    self.problems.append(error(key_path, f"found {show(checked)}; {exc}"))
            out[key] = checked
        for key, (_attr, ft) in schema.items():
            if ft.required and obj.get(key) is None:
                self.problems.append(error(f"{path}.{key}" if path else key, "required field is missing"))
        return out


def _plain_key(key: str) -> bool:
    return key.replace("-", "").replace("_", "").isalnum()


def _zero(ft: FieldType | None) -> Any:
    if ft is None:
        return None
    return {"str": "", "int": 0, "number": 0, "bool": False, "list": [], "map": {}, "model": {}}.get(
        ft.kind)


def normalise_free(value: Any, path: str, problems: list[Problem], depth: int = 0) -> Any:
    """Make unstructured content (trialSpec) JSON-shaped, as kubectl's YAML->JSON step does."""
    if depth > MAX_DEPTH:
        problems.append(error(path, f"nested more than {MAX_DEPTH} levels deep"))
        return None
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if isinstance(k, bool):
                k = "true" if k else "false"
            elif isinstance(k, (int, float)) or k is None:
                k = "null" if k is None else show(k)
            elif isinstance(k, (datetime.date,)):
                k = k.isoformat()
            elif not isinstance(k, str):
                problems.append(error(path, f"key {show(k)} cannot be written as JSON"))
                continue
            out[k] = normalise_free(v, f"{path}.{k}", problems, depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [normalise_free(v, f"{path}[{i}]", problems, depth + 1) for i, v in enumerate(value)]
    if isinstance(value, float) and not math.isfinite(value):
        problems.append(error(path, f"found {show(value)}; JSON has no such number"))
        return None
    if isinstance(value, datetime.date):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    problems.append(error(path, f"found {kind_of(value)}; cannot be written as JSON"))
    return None


def decode(obj: dict, model: type, path: str, options: Options | None = None
           ) -> tuple[dict, list[Problem]]:
    """Check `obj` against `model`; return (normalised copy, problems)."""
    decoder = _Decoder(options or Options())
    out = decoder.model(obj, model, path, 0)
    return out, decoder.problems


# Dotted paths of kubetune's own extra fields (e.g. "spec.kubetune"): kept and not warned about.
EXTENSION_FIELDS: set[str] = set()


def register_extension_field(path: str) -> None:
    """Declare a kubetune extension field so loading keeps it without an unknown-field warning."""
    EXTENSION_FIELDS.add(path)


API_VERSION = "kubeflow.org/v1beta1"
KIND = "Experiment"


def decode_experiment(doc: dict) -> tuple[dict, list[Problem]]:
    """Check a whole Experiment document (apiVersion, kind, metadata, spec)."""
    from .katib_models import IoK8sApimachineryPkgApisMetaV1ObjectMeta, V1beta1ExperimentSpec

    problems: list[Problem] = []
    out: dict = {}
    known = ("apiVersion", "kind", "metadata", "spec", "status")
    for key, value in doc.items():
        if not isinstance(key, str):
            problems.append(error(show(key), f"key {show(key)} is {kind_of(key)}; keys must be strings"))
            continue
        if key not in known:
            if key in EXTENSION_FIELDS:
                unusable: list[Problem] = []
                kept = normalise_free(value, key, unusable)
                if not unusable:
                    out[key] = kept
                continue
            hint = "; ".join(h for h in (did_you_mean(key, known),
                                         "Katib ignores unknown fields and drops them") if h)
            problems.append(warning(key, f'unknown field "{key}"', hint))
            continue
        if value is None:
            continue
        if key in ("apiVersion", "kind"):
            if not isinstance(value, str):
                problems.append(_type_error(key, value, FieldType("str"), INT64))
            else:
                out[key] = value
        elif key == "status":
            problems.append(warning("status", "status is ignored",
                                    "Katib owns the status; remove it from the file"))
        elif not isinstance(value, dict):
            problems.append(_type_error(key, value, FieldType("model"), INT64))
        elif key == "metadata":
            meta, found = decode(value, IoK8sApimachineryPkgApisMetaV1ObjectMeta, "metadata")
            problems += found
            out["metadata"] = meta
        else:
            spec, found = decode(value, V1beta1ExperimentSpec, "spec")
            problems += found
            out["spec"] = spec
    if out.get("apiVersion") != API_VERSION:
        problems.append(error("apiVersion", f"found {show(doc.get('apiVersion'))}; must be {API_VERSION}"))
    if out.get("kind") != KIND:
        problems.append(error("kind", f"found {show(doc.get('kind'))}; must be {KIND}"))
    if "spec" not in out:
        problems.append(error("spec", "required field is missing"))
    return out, problems
