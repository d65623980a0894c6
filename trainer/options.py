"""`option()`: a dataclass field that is also a command-line flag and a YAML key.

The metadata it attaches (help, group, aliases, choices, value aliases) is read by trainer.config
to build the flag table, `--help` and value conversion. TrainConfig and the model families' option
dataclasses (trainer/models/*_options.py) both declare their fields with it.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any, Iterable


def option(default: Any, help: str, *, group: str, aliases: Iterable[str] = (),
           choices: Iterable[str] | None = None, value_aliases: dict[str, str] | None = None) -> Any:
    """A field with `default`; list/dict defaults are copied per instance."""
    meta = {"help": help, "group": group, "aliases": tuple(aliases),
            "choices": tuple(choices) if choices else None, "value_aliases": value_aliases or {}}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda d=default: type(d)(d), metadata=meta)
    return field(default=default, metadata=meta)


def free_section(help: str, *, group: str) -> Any:
    """A dict field of free keys (`cells.<name>`), checked later against the model's builder."""
    return field(default_factory=dict, metadata={"help": help, "group": group, "aliases": (), "choices": None,
                                                 "value_aliases": {}})
