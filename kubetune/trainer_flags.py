"""The trainer's flags as kubetune reads them in a trial's command (`python -m trainer train ...`).

Flag names come from the trainer's own schema (trainer/config/schema.py: each option's aliases,
`-` and `_` alike, any case, one or two dashes, the short flags), so kubetune knows every spelling
the trainer accepts and no second list can drift from it:

    flag_option("--output-dir=/models/t1")              -> "out"
    option_value(["--save_dir", "runs/x"], "out")         -> "runs/x"

Imports only the trainer's schema (no torch).
"""
from __future__ import annotations

from typing import Sequence

from trainer.config.schema import ALIASES, SHORT_FLAGS, norm_key


def flag_option(arg: str) -> str | None:
    """The trainer option (canonical key, e.g. "out") that `arg` (`--flag` or `--flag=value`) sets;
    None for a value, a number or a flag the trainer does not know."""
    name = arg.partition("=")[0]
    if not name.startswith("-"):
        return None  # a value; a negative number maps to no option below
    if not name.startswith("--") and len(name) == 2:
        return SHORT_FLAGS.get(name[1])
    return ALIASES.get(norm_key(name))


def option_value(argv: Sequence[str], option: str) -> str | None:
    """The value `argv` gives trainer option `option` (`--flag=X` or `--flag X`, any alias); the last
    one wins, as in the trainer; None when no flag sets it."""
    found = None
    for i, arg in enumerate(argv):
        if flag_option(arg) == option:
            _, eq, value = arg.partition("=")
            found = value if eq else (argv[i + 1] if i + 1 < len(argv) else None)
    return found

