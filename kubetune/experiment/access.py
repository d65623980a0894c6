"""Type-safe reads from spec dicts that may hold anything (checks also run on edited specs)."""
from __future__ import annotations

from typing import Any


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def dig(node: Any, *keys: str) -> Any:
    """node[k1][k2]... or None when any level is missing or not a mapping."""
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node
