"""Problems found in an Experiment, and the exception that carries them."""
from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, replace
from typing import Any, Iterable

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One finding: where (a Katib-style field path), what, how bad, and how to fix it."""

    path: str
    message: str
    severity: str = ERROR  # 'error' | 'warning'
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}" if self.path else self.message
        return f"{text} ({self.hint})" if self.hint else text

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def moved(self, old: str, new: str) -> Problem | None:
        """This finding with the field path prefix `old` replaced by `new`; None when its path is not
        under `old` (a finding about a value that was written somewhere else)."""
        if self.path != old and not self.path.startswith(old + "."):
            return None
        return replace(self, path=new + self.path[len(old):])


def error(path: str, message: str, hint: str = "") -> Problem:
    return Problem(path, message, ERROR, hint)


def warning(path: str, message: str, hint: str = "") -> Problem:
    return Problem(path, message, WARNING, hint)


class SpecError(Exception):
    """An Experiment that Katib would reject (or that cannot be read at all).

    `problems` holds every error found (all at once, not just the first), followed by the
    warnings found on the way, so a typo that causes an error is shown next to its
    "did you mean" warning.
    """

    def __init__(self, problems: Iterable[Problem], source: str = "<dict>") -> None:
        self.problems: list[Problem] = list(problems)
        self.source = source
        super().__init__(self.__str__())

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    def __str__(self) -> str:
        lines = []
        for p in self.problems:
            prefix = "" if p.is_error else "warning: "
            lines.append(f"{self.source}: {prefix}{p}")
        return "\n".join(lines) if lines else f"{self.source}: invalid Experiment"

    def __reduce__(self):  # keep it picklable (multiprocessing, pytest-xdist)
        return (SpecError, (self.problems, self.source))


# ---------------------------------------------------------------------------------------------
# Message helpers shared by the checkers.


def show(value: Any, limit: int = 60) -> str:
    """Render a found value the way it appears in YAML/JSON, shortened for messages."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def kind_of(value: Any) -> str:
    """A YAML-ish name for the type of a value ("a string", "a number", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"a {type(value).__name__}"


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """' (did you mean "x"?)' when a known key is close to `word`, else ''."""
    known = [k for k in known if isinstance(k, str)]
    lowered = {k.lower(): k for k in known}
    if word.lower() in lowered:  # Katib matches keys case-sensitively
        return f'did you mean "{lowered[word.lower()]}"?'
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.75)
    return f'did you mean "{close[0]}"?' if close else ""
