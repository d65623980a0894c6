"""What the warm parent imports before it forks trials, read from the trial's entry file.

The parent imports what the trial's script (or -m module) imports from a list of heavy, well-behaved
libraries (torch, torchvision, numpy, ... and the kubetune trainer with its model libraries), plus
the modules an Experiment lists in the annotation `kubetune.io/warm-imports`. Only the entry file is
read (its `import` statements, anywhere in it); nothing of the trial runs in the parent.

The entry file may also set environment variables that libraries read when they are imported
(`os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")` before `import torch`, as the trainer's
`__main__` does). A fresh interpreter imports torch after that line; in a warm child torch was
imported by the parent already. So such top-level settings before the first preloaded import become
the parent's environment (`EntryScan.effects`); one that cannot be read statically makes the trial
run as a subprocess (`EntryScan.reason`).
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from .safety import THREADS_VAR, import_time_var as _import_time_var

IMPORTS_ANNOTATION = "kubetune.io/warm-imports"
# Imported by the parent when the entry file imports them: big import cost, no import-time reading
# of argv / cwd / config files, no threads started at import.
AUTO = frozenset({"torch", "torchvision", "torchaudio", "torchtext", "numpy", "scipy", "pandas", "sklearn",
                  "PIL", "efficientnet_pytorch", "vit_pytorch", "einops", "timm", "trainer"})
# `python -m trainer ...`: the trainer and its model libraries (imported lazily by its CLI).
TRAINER = ("torch", "torchvision", "trainer.cli", "trainer.train", "trainer.models",
           "efficientnet_pytorch", "vit_pytorch")
_MODULE = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


class PreloadError(ValueError):
    """The warm-imports annotation is malformed."""


@dataclass
class EntryScan:
    imports: list[str] = field(default_factory=list)   # dotted names, in order of appearance
    effects: list[tuple[str, str, bool]] = field(default_factory=list)  # (var, value, only if unset)
    reason: str | None = None  # an import-time variable set in a way the parent cannot mirror


def user_modules(annotations: dict | None) -> list[str]:
    raw = (annotations or {}).get(IMPORTS_ANNOTATION)
    if raw is None:
        return []
    names = [n for n in re.split(r"[\s,]+", str(raw)) if n]
    bad = [n for n in names if not _MODULE.fullmatch(n)]
    if bad:
        raise PreloadError(f"metadata.annotations[{IMPORTS_ANNOTATION}]: {', '.join(map(repr, bad))} "
                           "is not a module name; give dotted module names separated by commas")
    return names


def scan(files: list[str], code: str | None = None, user: list[str] = ()) -> EntryScan:
    """Imports and top-level environment settings of the entry file(s) (or -c code); settings count
    until the first import of a module the parent would import (AUTO or `user`)."""
    preloaded = AUTO | {n.split(".")[0] for n in user}
    result = EntryScan()
    sources = [(code, "<string>")] if code is not None else []
    for path in files:
        try:
            with open(path, "rb") as f:
                sources.append((f.read(), path))
        except OSError:
            continue
    heavy_seen = False
    for text, name in sources:
        try:
            tree = ast.parse(text, name)
        except (SyntaxError, ValueError):
            continue  # the trial reports it itself
        for node in ast.walk(tree):
            result.imports.extend(_imported(node))
        for stmt in _top_level(tree.body):
            names = _imported(stmt)
            if any(n.split(".")[0] in preloaded for n in names):
                heavy_seen = True
            if heavy_seen:
                continue
            effect = _env_effect(stmt)
            if effect is None:
                continue
            if isinstance(effect, str):
                result.reason = result.reason or f"{name} sets {effect} before its imports"
            else:
                result.effects.append(effect)
    return result


def modules_to_preload(scan_result: EntryScan, plan_kind: str, target: str, user: list[str],
                       nni: bool) -> list[str]:
    names: list[str] = []
    if plan_kind == "module" and target.split(".")[0] == "trainer":
        names.extend(TRAINER)
    for n in scan_result.imports:
        top = n.split(".")[0]
        if top in AUTO and not (nni and top == "nni"):
            names.append(n)
    if nni:
        names.append("kubetune.compat.nni_launch")
    names.extend(user)
    seen, out = set(), []
    for n in names:
        if n not in seen:
            seen.add(n)
            out.append(n)
    return out


def apply_effects(env: dict[str, str], effects: list[tuple[str, str, bool]]) -> dict[str, str]:
    """The environment the trial's imports see once its entry file's top-level settings ran."""
    out = dict(env)
    for var, value, only_if_unset in effects:
        if only_if_unset:
            out.setdefault(var, value)
        else:
            out[var] = value
    return out


def _top_level(body):
    """Statements run at import, in order, descending into if/try/with blocks (not functions)."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, (ast.If, ast.With, ast.Try)):
            for block in ("body", "orelse", "finalbody"):
                yield from _top_level(getattr(stmt, block, []) or [])
            for handler in getattr(stmt, "handlers", []) or []:
                yield from _top_level(handler.body)


def _imported(node) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module] + [f"{node.module}.{a.name}" for a in node.names if a.name != "*"]
    return []


def import_time_var(name: str) -> bool:
    """Read when a library is imported (the thread count too: the child applies it through torch)."""
    return name == THREADS_VAR or _import_time_var(name)


def _is_environ(node) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or \
        (isinstance(node, ast.Name) and node.id == "environ")


def _const(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _env_effect(stmt):
    """(var, value, only_if_unset) for a readable setting of an import-time variable; a str naming
    the variable (or 'environment variables') for one the parent cannot mirror; None otherwise."""
    if isinstance(stmt, ast.Assign):
        for target in stmt.targets:
            if isinstance(target, ast.Subscript) and _is_environ(target.value):
                var, value = _const(target.slice), _const(stmt.value)
                if var is None:
                    return "environment variables"
                if import_time_var(var):
                    return var if value is None else (var, value, False)
        return None
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        func = stmt.value.func
        if not isinstance(func, ast.Attribute):
            return None
        args = stmt.value.args
        if _is_environ(func.value) and func.attr == "setdefault" and len(args) == 2:
            var, value = _const(args[0]), _const(args[1])
            if var is None:
                return "environment variables"
            if import_time_var(var):
                return var if value is None else (var, value, True)
        elif (_is_environ(func.value) and func.attr == "update") or \
                (isinstance(func.value, ast.Name) and func.value.id == "os" and func.attr == "putenv"):
            var = _const(args[0]) if args and func.attr == "putenv" else None
            if var is not None and not import_time_var(var):
                return None
            return var or "environment variables"
    return None
