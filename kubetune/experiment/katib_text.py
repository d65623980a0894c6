"""How a value is written as Katib text: Katib keeps every feasibleSpace bound, list item, setting
and assignment as a string, and a trial gets exactly that string in its command.

    katib_string(True)   -> "true"      (YAML's and the trainer's spelling, not Python's "True")
    katib_string(3)      -> "3"
    katib_string(1e-05)  -> "1e-05"     (the shortest text that reads back as the same float)
    katib_string("adam") -> "adam"      (text unchanged)
    katib_string(None)   -> "null"      (anything else as compact JSON)

Every writer of Katib values (the NNI and Optuna-style converters, the pipeline's search spaces)
goes through this one rule, so the same value comes out the same whichever path wrote it.
"""
from __future__ import annotations

import json
from typing import Any


def katib_string(value: Any) -> str:
    """`value` as Katib text (module docstring)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)
