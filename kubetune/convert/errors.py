"""Errors and notes of the converters: every message names the file, the key path, what was found
and what is allowed."""
from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any, Iterable


class ConvertError(ValueError):
    """The input cannot be converted; `problems` lists every problem found (all at once)."""

    def __init__(self, problems: Iterable[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Note:
    """Something the user must know about the output: an approximation, a substitution, a drop.
    `where` is the key path in the input it is about."""

    where: str
    text: str

    def __str__(self) -> str:
        return f"{self.where}: {self.text}" if self.where else self.text


def join(path: str, key: Any) -> str:
    """Key path as NNI users read it: tuner.classArgs.optimize_mode, machineList[0].ip, alpha._value[2]."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def show(value: Any, limit: int = 60) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def suggestion(word: str, known: Iterable[str]) -> str:
    known = [k for k in known if isinstance(k, str)]
    lowered = {k.lower(): k for k in known}
    if word.lower() in lowered:
        return f' (did you mean "{lowered[word.lower()]}"?)'
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.7)
    return f' (did you mean "{close[0]}"?)' if close else ""


class Problems:
    """Collects error messages for one input file."""

    def __init__(self, source: str):
        self.source = source
        self.items: list[str] = []

    def add(self, path: str, message: str, allowed: Iterable[Any] | None = None) -> None:
        text = f"{self.source}: {path}: {message}" if path else f"{self.source}: {message}"
        if allowed is not None:
            text += f"; allowed: {', '.join(str(a) for a in allowed)}"
        self.items.append(text)

    def unknown_key(self, path: str, key: Any, allowed: Iterable[str], what: str = "key") -> None:
        allowed = list(allowed)
        self.add(join(path, key), f"unknown {what} {show(key)}{suggestion(str(key), allowed)}", allowed)

    def raise_if_any(self) -> None:
        if self.items:
            raise ConvertError(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)
