"""Text -> bool, one set of words for the whole project.

Booleans arrive as text from Katib (trial parameters substituted into argv), YAML, `--set` and
pipeline parameters; every reader goes through `parse_bool` so "yes" means the same everywhere.
Standard library only: kubetune's pipeline steps import it too.
"""

from __future__ import annotations

from typing import Any

TRUE_WORDS = frozenset({"1", "true", "yes", "y", "on", "t"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "off", "f"})
# A path option (e.g. the checkpoint pool's directory) is off for a false word, and also when empty or "none".
PATH_OFF_WORDS = FALSE_WORDS | {"", "none"}


def parse_bool(raw: Any) -> bool:
    """A bool, the numbers 0/1, or one of the words above; ValueError for anything else."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw)
    s = str(raw).strip().lower()
    if s in TRUE_WORDS:
        return True
    if s in FALSE_WORDS:
        return False
    raise ValueError(f"expected a boolean (true/false, 1/0, yes/no), got {raw!r}")


def is_off_path(raw: str | None) -> bool:
    """True when a path option's text switches it off: None, empty, "none" or a false word (off, false, 0...)."""
    return raw is None or str(raw).strip().lower() in PATH_OFF_WORDS
